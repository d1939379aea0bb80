package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/render"
)

const (
	tablePath   = "output/tables/counts.csv"
	ratesPath   = "output/tables/rates.csv"
	figurePath  = "output/figures/figure.svg"
	supportPath = "output/notes.txt"
)

const countsCSV = "region,count\nNorth,100\nSouth,5\nEast,[REDACTED]\n"

// TestWorkflow walks the whole workflow of docs/api.md over HTTP with several users: the
// researcher adds files to two groups and submits; two checkers vote blind (each sees only
// their own work, checked in the JSON), submit reviews and comment; the request is
// returned; the researcher updates a file and resubmits; the checkers approve and release.
func TestWorkflow(t *testing.T) {
	h := newAPI(t)
	env := h.env
	ws := testenv.Workspace
	env.WriteFile(t, ws, tablePath, countsCSV)
	env.WriteFile(t, ws, ratesPath, "region,rate\nNorth,0.5\nSouth,1.5\n")
	env.WriteFile(t, ws, figurePath, `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	env.WriteFile(t, ws, supportPath, "how the tables were made\n")

	researcher := h.login(t, "researcher")
	collaborator := h.login(t, "collaborator")
	c1 := h.login(t, "checker1")
	c2 := h.login(t, "checker2")

	// The researcher's workspaces.
	var wsl contract.WorkspaceList
	researcher.do("GET", "/api/v1/workspaces", nil, nil).decode(t, &wsl)
	require.Len(t, wsl.Workspaces, 1)
	assert.Equal(t, ws, wsl.Workspaces[0].Name)
	assert.Equal(t, "ROLE", wsl.Workspaces[0].Access)
	assert.True(t, wsl.Workspaces[0].CanCreateRequest)
	assert.Nil(t, wsl.Workspaces[0].CurrentRequestID)

	// The tree, one level at a time.
	var tree contract.Tree
	r := researcher.do("GET", "/api/v1/workspaces/"+ws+"/tree/output/tables", nil, nil)
	r.want(t, 200, "")
	r.decode(t, &tree)
	assert.Equal(t, "output/tables", tree.Path)
	require.Len(t, tree.Entries, 2)
	assert.Equal(t, "counts.csv", tree.Entries[0].Name)
	assert.Equal(t, airlock.WorkspaceUnreleased, tree.Entries[0].Status)
	assert.True(t, tree.Entries[0].AllowedType)

	// Create the request (201), then get it again (200, the same one).
	r = researcher.do("POST", "/api/v1/requests", map[string]string{"workspace": ws}, nil)
	r.want(t, http.StatusCreated, "")
	var req contract.Request
	r.decode(t, &req)
	id := req.ID
	assert.Equal(t, airlock.StatusPending, req.Status)
	r = researcher.do("POST", "/api/v1/requests", map[string]string{"workspace": ws}, nil)
	r.want(t, http.StatusOK, "")
	r.decode(t, &req)
	assert.Equal(t, id, req.ID)

	// Add files to two groups.
	r = researcher.do("POST", "/api/v1/requests/"+id+"/files", map[string]any{"group": "tables", "files": []map[string]string{
		{"path": tablePath, "fileType": "OUTPUT"}, {"path": ratesPath, "fileType": "OUTPUT"}, {"path": supportPath, "fileType": "SUPPORTING"},
	}}, nil)
	r.want(t, http.StatusCreated, "")
	r = researcher.do("POST", "/api/v1/requests/"+id+"/files", map[string]any{"group": "figures", "files": []map[string]string{
		{"path": figurePath, "fileType": "OUTPUT"},
	}}, nil)
	r.want(t, http.StatusCreated, "")
	r.decode(t, &req)
	require.Len(t, req.Groups, 2)
	assert.Len(t, groupOf(req, "tables").Files, 3)
	assert.Equal(t, testenv.SHA256(countsCSV), fileOf(req, tablePath).SHA256)
	assert.Equal(t, airlock.WorkspaceUnderReview, fileOf(req, tablePath).WorkspaceStatus)

	// Adding the same file again is a conflict, and changes nothing.
	researcher.do("POST", "/api/v1/requests/"+id+"/files", map[string]any{"group": "tables", "files": []map[string]string{
		{"path": tablePath, "fileType": "OUTPUT"},
	}}, nil).want(t, http.StatusConflict, airlock.CodeConflict)

	// The file detail knows where the file is.
	var fd contract.FileDetail
	researcher.do("GET", "/api/v1/workspaces/"+ws+"/files/"+tablePath, nil, nil).decode(t, &fd)
	require.NotNil(t, fd.Request)
	assert.Equal(t, contract.FileOnRequest{ID: id, Group: "tables", FileType: airlock.FileTypeOutput}, *fd.Request)
	assert.Equal(t, "text/csv; charset=utf-8", fd.ContentType)
	assert.False(t, fd.Actions["add"].Allowed)
	assert.NotEmpty(t, fd.Actions["add"].Reason)

	// Submitting needs context and controls: the action says why, and the call agrees.
	req = researcher.request(id)
	assert.False(t, req.Actions[airlock.ActionSubmit].Allowed)
	reason := req.Actions[airlock.ActionSubmit].Reason
	r = researcher.do("POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	r.want(t, http.StatusConflict, airlock.CodeInvalidState)
	var eb contract.ErrorBody
	r.decode(t, &eb)
	assert.Equal(t, reason, eb.Error.Message, "the refusal gives the actions block's reason")
	for _, g := range []string{"tables", "figures"} {
		researcher.do("PATCH", "/api/v1/requests/"+id+"/groups/"+g, map[string]string{
			"context": "Counts of " + g, "controls": "Small numbers redacted, rounded to 5",
		}, nil).want(t, 200, "")
	}
	r = researcher.do("POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	r.want(t, 200, "")
	r.decode(t, &req)
	assert.Equal(t, airlock.StatusSubmitted, req.Status)
	assert.Equal(t, airlock.PhaseIndependent, req.Phase)
	assert.NotNil(t, req.LastSubmittedAt)

	// The checkers' queue.
	var list contract.RequestList
	c1.do("GET", "/api/v1/requests?scope=review", nil, nil).decode(t, &list)
	require.Len(t, list.Requests, 1)
	assert.Equal(t, &contract.MyReview{Voted: 0, Submitted: false}, list.Requests[0].MyReview)
	assert.Equal(t, 3, list.Requests[0].OutputFiles)

	// Checker 1 views a file's table and summary, votes, and comments privately.
	var tbl render.Table
	c1.do("GET", "/api/v1/requests/"+id+"/table/"+tablePath+"?sort=1&desc=true", nil, nil).decode(t, &tbl)
	assert.Equal(t, []string{"region", "count"}, tbl.Columns)
	assert.Equal(t, [][]string{{"North", "100"}, {"South", "5"}, {"East", "[REDACTED]"}}, tbl.Rows, "numbers first, largest first")
	var sum render.Summary
	c1.do("GET", "/api/v1/requests/"+id+"/summary/"+tablePath, nil, nil).decode(t, &sum)
	assert.Equal(t, 3, sum.Rows)
	assert.Equal(t, 1, sum.Columns[1].Redacted)
	require.NotEmpty(t, sum.Warnings)
	assert.Equal(t, render.RuleSmallCount, sum.Warnings[0].Rule)

	vote := func(c *client, path, v string) {
		t.Helper()
		c.do("POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": []string{path}, "vote": v}, nil).want(t, 200, "")
	}
	vote(c1, tablePath, "CHANGES_REQUESTED")
	vote(c1, ratesPath, "APPROVED")
	vote(c1, figurePath, "APPROVED")
	// Submitting the review needs a comment on the group with changes requested.
	c1.do("POST", "/api/v1/requests/"+id+"/review", nil, nil).want(t, http.StatusConflict, airlock.CodeInvalidState)
	r = c1.do("POST", "/api/v1/requests/"+id+"/groups/tables/comments", map[string]string{"text": "South is **5**: redact it", "visibility": "PRIVATE"}, nil)
	r.want(t, http.StatusCreated, "")
	var co contract.CommentOutput
	r.decode(t, &co)
	assert.Equal(t, "<p>South is <strong>5</strong>: redact it</p>", co.Comment.HTML)
	assert.Equal(t, airlock.VisibilityPrivate, co.Comment.Visibility)
	c1.do("POST", "/api/v1/requests/"+id+"/review", nil, nil).want(t, 200, "")

	// Blinding, in the JSON each user gets.
	t.Run("checker 1 sees their own votes and comment, marked blinded", func(t *testing.T) {
		got := c1.request(id)
		assert.Equal(t, airlock.StatusPartiallyReviewed, got.Status)
		require.NotNil(t, fileOf(got, tablePath).MyVote)
		assert.Equal(t, airlock.VoteChangesRequested, *fileOf(got, tablePath).MyVote)
		assert.Equal(t, airlock.DecisionIncomplete, fileOf(got, tablePath).Decision)
		cs := groupOf(got, "tables").Comments
		require.Len(t, cs, 1)
		assert.True(t, cs[0].Blinded)
		assert.Equal(t, []string{"checker1"}, got.SubmittedReviewers)
	})
	t.Run("checker 2 sees nothing of checker 1's review", func(t *testing.T) {
		raw := c2.requestJSON(id)
		data, _ := json.Marshal(raw)
		assert.NotContains(t, string(data), "redact it", "no comment text")
		assert.NotContains(t, string(data), "CHANGES_REQUESTED", "no vote, no decision")
		assert.NotContains(t, string(data), "checker1", "not even who submitted")
		got := c2.request(id)
		assert.Nil(t, fileOf(got, tablePath).MyVote)
		assert.Empty(t, got.SubmittedReviewers)
	})
	t.Run("the researcher and collaborator see nothing of the review", func(t *testing.T) {
		for _, c := range []*client{researcher, collaborator} {
			raw := c.requestJSON(id)
			data, _ := json.Marshal(raw)
			assert.NotContains(t, string(data), "redact it")
			assert.NotContains(t, string(data), "CHANGES_REQUESTED")
		}
	})
	t.Run("activity is blinded too", func(t *testing.T) {
		r := c2.do("GET", "/api/v1/requests/"+id+"/activity", nil, nil)
		r.want(t, 200, "")
		assert.NotContains(t, string(r.body), "redact it")
		assert.NotContains(t, string(r.body), "REQUEST_FILE_REQUEST_CHANGES")
		r = c1.do("GET", "/api/v1/requests/"+id+"/activity?group=tables", nil, nil)
		assert.Contains(t, string(r.body), "REQUEST_FILE_REQUEST_CHANGES", "checker 1 sees their own")
	})

	// Checker 2 approves everything and submits: consolidation. The table's small count is
	// a BLOCK warning: approving it needs an acknowledgement note (see warnings_test.go).
	c2.do("POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": []string{tablePath}, "vote": "APPROVED",
		"acknowledgement": "South's 5 is a count of sites, not of people"}, nil).want(t, 200, "")
	for _, p := range []string{ratesPath, figurePath} {
		vote(c2, p, "APPROVED")
	}
	c2.do("POST", "/api/v1/requests/"+id+"/review", nil, nil).want(t, 200, "")
	t.Run("after both reviews the checkers see each other's work", func(t *testing.T) {
		got := c2.request(id)
		assert.Equal(t, airlock.StatusReviewed, got.Status)
		assert.Equal(t, airlock.DecisionConflicted, fileOf(got, tablePath).Decision)
		assert.Equal(t, airlock.DecisionApproved, fileOf(got, ratesPath).Decision)
		assert.Len(t, groupOf(got, "tables").Comments, 1)
		assert.ElementsMatch(t, []string{"checker1", "checker2"}, got.SubmittedReviewers)
		assert.False(t, got.Actions[airlock.ActionRelease].Allowed, "a file is not approved")
		raw := researcher.requestJSON(id)
		data, _ := json.Marshal(raw)
		assert.NotContains(t, string(data), "redact it", "the author still sees nothing")
		assert.NotContains(t, string(data), "CONFLICTED")
	})

	// Release is refused; returning needs a public comment on the conflicted group.
	c1.do("POST", "/api/v1/requests/"+id+"/release", nil, nil).want(t, http.StatusConflict, airlock.CodeInvalidState)
	c1.do("POST", "/api/v1/requests/"+id+"/return", nil, nil).want(t, http.StatusConflict, airlock.CodeInvalidState)
	c2.do("POST", "/api/v1/requests/"+id+"/groups/tables/comments", map[string]string{"text": "Please redact South", "visibility": "PUBLIC"}, nil).want(t, http.StatusCreated, "")
	r = c1.do("POST", "/api/v1/requests/"+id+"/return", nil, nil)
	r.want(t, 200, "")
	r.decode(t, &req)
	assert.Equal(t, airlock.StatusReturned, req.Status)

	t.Run("the researcher sees the public comment, not the private one; conflicts read as changes requested", func(t *testing.T) {
		got := researcher.request(id)
		cs := groupOf(got, "tables").Comments
		require.Len(t, cs, 1)
		assert.Equal(t, "Please redact South", cs[0].Text)
		assert.Equal(t, airlock.DecisionChangesRequested, fileOf(got, tablePath).Decision)
		assert.True(t, got.Actions[airlock.ActionAddFiles].Allowed)
	})

	// The researcher fixes the table in the workspace and updates the request's copy.
	fixed := "region,count\nNorth,100\nSouth,[REDACTED]\nEast,[REDACTED]\n"
	env.WriteFile(t, ws, tablePath, fixed)
	researcher.do("GET", "/api/v1/workspaces/"+ws+"/files/"+tablePath, nil, nil).decode(t, &fd)
	assert.Equal(t, airlock.WorkspaceUpdated, fd.Status)
	assert.True(t, fd.Actions["update"].Allowed)
	r = researcher.do("POST", "/api/v1/requests/"+id+"/files/update", map[string]any{"paths": []string{tablePath}}, nil)
	r.want(t, 200, "")
	r.decode(t, &req)
	assert.Equal(t, testenv.SHA256(fixed), fileOf(req, tablePath).SHA256)
	researcher.do("POST", "/api/v1/requests/"+id+"/groups/tables/comments", map[string]string{"text": "Redacted South"}, nil).want(t, http.StatusCreated, "")
	r = researcher.do("POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	r.want(t, 200, "")
	r.decode(t, &req)
	assert.Equal(t, airlock.StatusSubmitted, req.Status)
	assert.Equal(t, 3, req.Turn)

	// Second round: both approve; the checkers release.
	for _, c := range []*client{c1, c2} {
		got := c.request(id)
		for _, p := range []string{tablePath, ratesPath, figurePath} {
			if f := fileOf(got, p); f.MyVote == nil || *f.MyVote != airlock.VoteApproved {
				vote(c, p, "APPROVED")
			}
		}
		c.do("POST", "/api/v1/requests/"+id+"/review", nil, nil).want(t, 200, "")
	}
	r = c2.do("POST", "/api/v1/requests/"+id+"/release", nil, nil)
	r.want(t, 200, "")
	r.decode(t, &req)
	assert.Equal(t, airlock.StatusApproved, req.Status)
	assert.Equal(t, contract.Upload{Released: 3, Uploaded: 0}, req.Upload)
	for _, p := range []string{tablePath, ratesPath, figurePath} {
		assert.True(t, fileOf(req, p).Released)
		assert.Equal(t, airlock.DecisionApproved, fileOf(req, p).Decision)
	}
	assert.False(t, fileOf(req, supportPath).Released, "supporting files are never released")

	// After the release everyone sees public comments; the author never sees private ones.
	got := researcher.request(id)
	var texts []string
	for _, c := range groupOf(got, "tables").Comments {
		texts = append(texts, c.Text)
	}
	assert.ElementsMatch(t, []string{"Please redact South", "Redacted South"}, texts)
	assert.Len(t, groupOf(c1.request(id), "tables").Comments, 3)

	// The researcher's activity log, newest first, without private comments.
	var evs contract.Events
	researcher.do("GET", "/api/v1/requests/"+id+"/activity", nil, nil).decode(t, &evs)
	require.NotEmpty(t, evs.Events)
	assert.Equal(t, airlock.AuditRequestApprove, evs.Events[0].Type)
	data, _ := json.Marshal(evs)
	assert.NotContains(t, string(data), "redact it")
	assert.NotContains(t, string(data), "WORKSPACE_FILE_VIEW")

	// The audit log is for output checkers.
	researcher.do("GET", "/api/v1/audit", nil, nil).want(t, http.StatusForbidden, airlock.CodePermissionDenied)
	c1.do("GET", "/api/v1/audit?request="+id+"&limit=5", nil, nil).decode(t, &evs)
	assert.Len(t, evs.Events, 5)
	for _, ev := range evs.Events {
		assert.Equal(t, id, ev.Request)
	}

	// The live event stream saw the changes: the hub published them after each commit.
	var mine contract.RequestList
	researcher.do("GET", "/api/v1/requests?scope=mine", nil, nil).decode(t, &mine)
	require.Len(t, mine.Requests, 1)
	assert.Equal(t, airlock.StatusApproved, mine.Requests[0].Status)
	assert.Nil(t, mine.Requests[0].MyReview)
	_ = fmt.Sprint
	_ = strings.TrimSpace
}
