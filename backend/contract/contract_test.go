package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/render"
)

// view converts request id as u sees it through the real service.
func view(t *testing.T, env *testenv.Env, u airlock.User, id string) Request {
	t.Helper()
	v, err := env.Svc.GetRequest(testenv.Ctx(), u, id)
	require.NoError(t, err)
	return FromRequestView(v)
}

func commentTexts(r Request) []string {
	var out []string
	for _, g := range r.Groups {
		for _, c := range g.Comments {
			out = append(out, c.Author+": "+c.Text)
		}
	}
	return out
}

func TestFromRequestView_BlindsIndependentReview(t *testing.T) {
	env := testenv.NewEnv(t)
	researcher, c1, c2 := testenv.Researcher(), testenv.Checker1(), testenv.Checker2()
	r := testenv.CreateRequestAtStatus(t, env, researcher, airlock.StatusSubmitted,
		testenv.File("output/a.csv"), testenv.File("output/notes.txt", testenv.Supporting()))
	ctx := testenv.Ctx()
	_, err := env.Svc.Vote(ctx, c1, r.ID, []string{"output/a.csv"}, "CHANGES_REQUESTED")
	require.NoError(t, err)
	_, err = env.Svc.AddComment(ctx, c1, r.ID, testenv.DefaultGroup, "c1 **private**", airlock.VisibilityPrivate)
	require.NoError(t, err)
	_, err = env.Svc.SubmitReview(ctx, c1, r.ID)
	require.NoError(t, err)

	t.Run("the reviewer who voted sees their own vote and comment, blinded", func(t *testing.T) {
		got := view(t, env, c1, r.ID)
		assert.Equal(t, airlock.PhaseIndependent, got.Phase)
		f := got.Groups[0].Files[0]
		require.NotNil(t, f.MyVote)
		assert.Equal(t, airlock.VoteChangesRequested, *f.MyVote)
		assert.Equal(t, airlock.DecisionIncomplete, f.Decision)
		require.Len(t, got.Groups[0].Comments, 1)
		cm := got.Groups[0].Comments[0]
		assert.True(t, cm.Blinded)
		assert.Equal(t, "<p>c1 <strong>private</strong></p>", cm.HTML)
		assert.Equal(t, []string{"checker1"}, got.SubmittedReviewers)
		assert.False(t, got.Actions[airlock.ActionReview].Allowed, "already submitted")
	})
	t.Run("the other reviewer sees neither the vote nor the comment nor who submitted", func(t *testing.T) {
		got := view(t, env, c2, r.ID)
		f := got.Groups[0].Files[0]
		assert.Nil(t, f.MyVote)
		assert.Equal(t, airlock.DecisionIncomplete, f.Decision)
		assert.Empty(t, got.Groups[0].Comments)
		assert.Empty(t, got.SubmittedReviewers)
		assert.True(t, f.Actions["vote"].Allowed)
		assert.True(t, got.Groups[0].Files[1].Actions["vote"].Reason != "", "supporting files are not voted on")
	})
	t.Run("the author sees no review at all", func(t *testing.T) {
		got := view(t, env, researcher, r.ID)
		assert.Empty(t, got.Groups[0].Comments)
		assert.Nil(t, got.Groups[0].Files[0].MyVote)
		assert.False(t, got.Groups[0].Files[0].Actions["vote"].Allowed)
		assert.NotEmpty(t, got.Actions[airlock.ActionSubmit].Reason)
		assert.Equal(t, []airlock.Visibility{}, got.CommentVisibilities)
	})

	// Checker 2 completes the review: consolidation.
	_, err = env.Svc.Vote(ctx, c2, r.ID, []string{"output/a.csv"}, "APPROVED")
	require.NoError(t, err)
	_, err = env.Svc.SubmitReview(ctx, c2, r.ID)
	require.NoError(t, err)

	t.Run("after both reviews the reviewers see each other's work and the conflict", func(t *testing.T) {
		got := view(t, env, c2, r.ID)
		assert.Equal(t, airlock.PhaseConsolidating, got.Phase)
		assert.Equal(t, []string{"checker1: c1 **private**"}, commentTexts(got))
		assert.False(t, got.Groups[0].Comments[0].Blinded)
		assert.Equal(t, airlock.DecisionConflicted, got.Groups[0].Files[0].Decision)
		assert.ElementsMatch(t, []string{"checker1", "checker2"}, got.SubmittedReviewers)
		require.NotNil(t, got.Groups[0].Files[0].MyVote)
		assert.Equal(t, airlock.VoteApproved, *got.Groups[0].Files[0].MyVote)
	})
	t.Run("the author still sees an incomplete decision and no private comment", func(t *testing.T) {
		got := view(t, env, researcher, r.ID)
		assert.Empty(t, commentTexts(got))
		assert.Equal(t, airlock.DecisionIncomplete, got.Groups[0].Files[0].Decision)
	})
}

func TestFromRequestView_JSONShape(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
		testenv.File("output/a.csv", testenv.ChangesRequested()))
	got := view(t, env, testenv.Researcher(), r.ID)
	data, err := json.Marshal(got)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"id", "workspace", "author", "status", "turn", "phase", "createdAt", "lastSubmittedAt", "submittedReviewers", "groups", "upload", "actions"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, "RETURNED", m["status"])
	assert.Equal(t, "AUTHOR", m["phase"])
	assert.True(t, strings.HasSuffix(m["createdAt"].(string), "Z"), "UTC: %v", m["createdAt"])
	actions := m["actions"].(map[string]any)
	for _, k := range airlock.ActionKeys {
		assert.Contains(t, actions, string(k))
	}
	assert.Equal(t, map[string]any{"shown": true, "allowed": true}, actions["withdraw"], "the author withdraws a returned request")
	assert.Equal(t, false, actions["review"].(map[string]any)["shown"], "the author never reviews")
	assert.NotEmpty(t, m["nextStep"])
	g := m["groups"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "context", "controls", "files", "comments"} {
		assert.Contains(t, g, k)
	}
	f := g["files"].([]any)[0].(map[string]any)
	for _, k := range []string{"path", "fileType", "sha256", "size", "decision", "myVote", "workspaceStatus", "released", "uploaded"} {
		assert.Contains(t, f, k)
	}
	assert.Equal(t, "CHANGES_REQUESTED", f["decision"], "the previous turn's decision, shown to the author")
	assert.Nil(t, f["myVote"])
	c := g["comments"].([]any)
	require.NotEmpty(t, c, "the public return comment")
	for _, k := range []string{"id", "author", "text", "html", "visibility", "turn", "createdAt"} {
		assert.Contains(t, c[0].(map[string]any), k)
	}
	assert.Equal(t, map[string]any{"released": float64(0), "uploaded": float64(0)}, m["upload"])
}

func TestFromRequestView_UploadCounts(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusApproved,
		testenv.File("output/a.csv"), testenv.File("output/b.csv"))
	require.NoError(t, env.Svc.RecordUploadAttempt(testenv.Ctx(), r.ID, "output/a.csv", nil))
	require.NoError(t, env.Svc.MarkUploaded(testenv.Ctx(), r.ID, "output/a.csv"))
	got := view(t, env, testenv.Checker1(), r.ID)
	assert.Equal(t, Upload{Released: 2, Uploaded: 1}, got.Upload)
	assert.True(t, got.Groups[0].Files[0].Actions["download"].Allowed)
	assert.False(t, view(t, env, testenv.Researcher(), r.ID).Groups[0].Files[0].Actions["download"].Allowed)
}

func TestFromUserAndEvents(t *testing.T) {
	u := FromUser(testenv.Copilot())
	data, err := json.Marshal(u)
	require.NoError(t, err)
	assert.JSONEq(t, `{"username":"copilot","fullname":"Cole Copilot","outputChecker":false,"readonlyAccess":false,"workspaces":{},
		"copilotedWorkspaces":{"workspace":{"project":{"name":"Project 1","ongoing":true,"orgs":["Org 1"]},"archived":false}},
		"actions":{"viewAllWorkspaces":{"shown":false,"allowed":false,"reason":"Only output checkers and users with read-only access can list all workspaces"},
			"reviewRequests":{"shown":false,"allowed":false,"reason":"Only output checkers can review requests"}}}`, string(data))
	// the rule of the "All workspaces" list, rendered from the domain
	assert.True(t, FromUser(testenv.Checker1()).Actions["viewAllWorkspaces"].Allowed)
	assert.False(t, FromUser(testenv.Researcher()).Actions["viewAllWorkspaces"].Allowed)

	evs := FromAuditEvents([]airlock.AuditEvent{{ID: 7, Type: airlock.AuditRequestSubmit, User: "u", CreatedAt: testenv.Start}})
	data, err = json.Marshal(evs)
	require.NoError(t, err)
	assert.JSONEq(t, `{"events":[{"id":7,"type":"REQUEST_SUBMIT","user":"u","workspace":"","request":"","path":"","extra":{},
		"createdAt":"2026-05-01T12:00:00Z","description":"`+airlock.AuditDescription(airlock.AuditRequestSubmit)+`"}]}`, string(data))
}

// The kinds of a diff are render's, typed for the API's shapes.
func TestKindsAreRenders(t *testing.T) {
	for _, c := range [][2]string{
		{string(DiffCSV), render.DiffCSV}, {string(DiffText), render.DiffText}, {string(DiffBinary), render.DiffBinary},
		{string(RowAdded), render.ChangeAdded}, {string(RowRemoved), render.ChangeRemoved}, {string(RowChanged), render.ChangeChanged},
		{string(LineContext), render.ChangeContext}, {string(LineAdded), render.ChangeAdded}, {string(LineRemoved), render.ChangeRemoved},
	} {
		if c[0] != c[1] {
			t.Errorf("contract has %q where render has %q", c[0], c[1])
		}
	}
}
