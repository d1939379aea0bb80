package httpapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// FileDetail.producedBy: the manifest's provenance with the code link, null without a
// manifest entry (docs/api.md "FileDetail").
func TestAPI_FileDetailProducedBy(t *testing.T) {
	tpl, err := service.ParseCodeURLTemplate("https://{repo}/blob/{commit}/{path}")
	require.NoError(t, err)
	h := newAPI(t, testenv.WithCodeURL(tpl))
	h.env.WriteFiles(t, testenv.Workspace, map[string]string{"output/table.csv": "n\n10\n"})
	o, _ := h.env.Output(testenv.Workspace, "output/table.csv")
	o.Action, o.JobID, o.JobRequest, o.User = "generate_table", "jobabc123", "jrq77", "researcher"
	h.env.SetOutput(t, testenv.Workspace, "output/table.csv", o)
	h.env.WriteRaw(t, testenv.Workspace, "metadata/generate_table.log", "done\n")
	plain := filepath.Join(h.env.Root, "plain")
	require.NoError(t, os.MkdirAll(plain, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(plain, "notes.txt"), []byte("hi\n"), 0o644))

	c := h.login(t, "checker1")
	var got map[string]any
	c.do("GET", "/api/v1/workspaces/workspace/files/output/table.csv", nil, nil).decode(t, &got)
	assert.Equal(t, map[string]any{
		"action": "generate_table", "jobId": "jobabc123", "jobRequest": "jrq77", "user": "researcher",
		"repo": "https://github.com/opensafely/study", "commit": "0123456789abcdef0123456789abcdef01234567",
		"codeUrl": "https://github.com/opensafely/study/blob/0123456789abcdef0123456789abcdef01234567/project.yaml",
	}, got["producedBy"])

	for _, p := range []string{"/api/v1/workspaces/workspace/files/metadata/generate_table.log", "/api/v1/workspaces/plain/files/notes.txt"} {
		var d map[string]any
		r := c.do("GET", p, nil, nil)
		r.want(t, 200, "")
		r.decode(t, &d)
		v, ok := d["producedBy"]
		assert.True(t, ok, "producedBy is always present: %s", p)
		assert.Nil(t, v, p)
	}
}

// Request and RequestSummary carry project and orgs; the review list filters by org; the
// "All workspaces" list is for checkers and read-only users, as the user's actions say.
func TestAPI_ProjectOrgsAndAllWorkspaces(t *testing.T) {
	h := newAPI(t)
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusSubmitted)
	c := h.login(t, "checker1")

	var req map[string]any
	c.do("GET", "/api/v1/requests/"+r.ID, nil, nil).decode(t, &req)
	assert.Equal(t, "Project 1", req["project"])
	assert.Equal(t, []any{"Org 1"}, req["orgs"])

	var list struct {
		Requests []map[string]any `json:"requests"`
	}
	c.do("GET", "/api/v1/requests?scope=review", nil, nil).decode(t, &list)
	require.Len(t, list.Requests, 1)
	assert.Equal(t, "Project 1", list.Requests[0]["project"])
	assert.Equal(t, []any{"Org 1"}, list.Requests[0]["orgs"])
	list.Requests = nil
	c.do("GET", "/api/v1/requests?scope=review&org=Org+1", nil, nil).decode(t, &list)
	assert.Len(t, list.Requests, 1)
	list.Requests = nil
	c.do("GET", "/api/v1/requests?scope=review&org=Org+2", nil, nil).decode(t, &list)
	assert.Empty(t, list.Requests)

	var me struct {
		User struct {
			Actions map[string]airlock.ActionState `json:"actions"`
		} `json:"user"`
	}
	c.do("GET", "/api/v1/auth/me", nil, nil).decode(t, &me)
	assert.True(t, me.User.Actions["viewAllWorkspaces"].Allowed)

	var all map[string]any
	c.do("GET", "/api/v1/all-workspaces?q=work", nil, nil).decode(t, &all)
	assert.Equal(t, map[string]any{
		"projects": []any{
			map[string]any{"name": "Project 1", "orgs": []any{"Org 1"}, "workspaces": []any{map[string]any{"name": "workspace", "access": "CHECKER"}}},
			map[string]any{"name": "", "orgs": []any{}, "workspaces": []any{map[string]any{"name": "other-workspace", "access": "CHECKER"}}},
		},
		"total": float64(2), "matched": float64(2),
	}, all)
	h.login(t, "readonly").do("GET", "/api/v1/all-workspaces", nil, nil).want(t, 200, "")

	researcher := h.login(t, "researcher")
	me.User.Actions = nil
	researcher.do("GET", "/api/v1/auth/me", nil, nil).decode(t, &me)
	assert.False(t, me.User.Actions["viewAllWorkspaces"].Allowed)
	r403 := researcher.do("GET", "/api/v1/all-workspaces", nil, nil)
	r403.want(t, 403, airlock.CodePermissionDenied)
	assert.Equal(t, me.User.Actions["viewAllWorkspaces"].Reason, r403.errorMessage(), "the same reason as the actions block")
	c.do("GET", "/api/v1/all-workspaces?q="+strings.Repeat("y", 201), nil, nil).want(t, 400, airlock.CodeInvalid)
}
