package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
)

// userKeys are the fields of docs/api.md's User, and grantKeys and projectKeys those of one
// workspace entry and its project.
var (
	userKeys    = []string{"actions", "copilotedWorkspaces", "fullname", "outputChecker", "readonlyAccess", "username", "workspaces"}
	grantKeys   = []string{"archived", "project"}
	projectKeys = []string{"name", "ongoing", "orgs"}
)

func keysOf(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "%s is a JSON object, not %#v", what, v)
	return m
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// assertAPIUser checks the raw JSON of a session answer: exactly docs/api.md's User
// (camelCase, no other fields), maps always objects and orgs always arrays (never null).
func assertAPIUser(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var raw map[string]any
	require.NoError(t, json.Unmarshal(body, &raw), "%s", body)
	assert.Equal(t, []string{"csrfToken", "user"}, sortedKeys(raw), "%s", body)
	u := keysOf(t, raw["user"], "user")
	assert.Equal(t, userKeys, sortedKeys(u), "%s", body)
	for _, k := range []string{"workspaces", "copilotedWorkspaces"} {
		for name, g := range keysOf(t, u[k], k) {
			gm := keysOf(t, g, k+"."+name)
			assert.Equal(t, grantKeys, sortedKeys(gm), "%s", body)
			p := keysOf(t, gm["project"], k+"."+name+".project")
			assert.Equal(t, projectKeys, sortedKeys(p), "%s", body)
			_, isList := p["orgs"].([]any)
			assert.True(t, isList, "%s.%s.project.orgs is a list, not %#v: %s", k, name, p["orgs"], body)
		}
	}
	return u
}

// TestSessionUserJSON: login and me answer docs/api.md's User exactly, through the real
// server.
func TestSessionUserJSON(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, name := range []string{"researcher", "copilot", "checker1"} {
		c := h.client(t)
		r := c.do("POST", "/api/v1/auth/login", map[string]string{"username": name, "token": name + "-token"}, nil)
		r.want(t, 200, "")
		u := assertAPIUser(t, r.body)
		assert.Equal(t, name, u["username"])
		me := c.do("GET", "/api/v1/auth/me", nil, nil)
		me.want(t, 200, "")
		assert.Equal(t, u, assertAPIUser(t, me.body), "me answers the same user as login")
	}
}

// TestMeUserJSONFromBareRecord: the answer's shape does not depend on how complete the
// session's user record is: a record with nil maps and nil org lists (as a job-server
// answer or an older cache row may give) is still answered with objects and arrays.
func TestMeUserJSONFromBareRecord(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	bare := airlock.User{Username: "bare", Fullname: "Bare Record",
		Workspaces: map[string]airlock.WorkspaceGrant{"ws": {Project: airlock.Project{Name: "P"}}}}
	req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
	req = req.WithContext(auth.NewContext(req.Context(), auth.Session{Key: "k", User: bare, CSRFToken: "tok"}))
	rec := httptest.NewRecorder()
	h.server.handleMe(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	u := assertAPIUser(t, rec.Body.Bytes())
	assert.Equal(t, map[string]any{}, u["copilotedWorkspaces"])
	assert.JSONEq(t, `{"ws": {"project": {"name": "P", "ongoing": false, "orgs": []}, "archived": false}}`,
		string(mustJSON(t, u["workspaces"])))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
