package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// unchanged asserts that the request and its audit trail are as they were.
type snapshot struct {
	req   *airlock.ReleaseRequest
	audit int
}

func snap(t *testing.T, h *harness, id string) snapshot {
	t.Helper()
	return snapshot{req: h.env.Request(t, id), audit: len(h.env.RequestAudit(t, id))}
}

func (s snapshot) unchanged(t *testing.T, h *harness, id, what string) {
	t.Helper()
	assert.True(t, reflect.DeepEqual(s.req, h.env.Request(t, id)), "%s changed the request", what)
	assert.Equal(t, s.audit, len(h.env.RequestAudit(t, id)), "%s wrote audit events", what)
}

// unsafeRoutes are the matrix's state-changing rows about a request (login and logout
// excluded), with the PENDING fixture's paths and bodies.
func unsafeRoutes() []matrixRoute {
	var out []matrixRoute
	for _, r := range matrixRoutes() {
		if r.method() != "GET" && !strings.Contains(r.pattern, "/auth/") {
			out = append(out, r)
		}
	}
	return out
}

// TestCSRFOnEveryUnsafeRoute: every unsafe route, called with the session cookie but without the CSRF token
// (or with a wrong one), answers 403 csrf and changes nothing.
func TestCSRFOnEveryUnsafeRoute(t *testing.T) {
	h := newAPI(t)
	m := &matrix{t: t, h: h, clients: map[who]*client{}, fixtures: map[string]*fixture{}}
	c := h.login(t, "researcher")
	f := m.fixtureFor(cell{who: author, status: airlock.StatusPending})
	routes := unsafeRoutes()
	require.NotEmpty(t, routes)
	for _, rt := range routes {
		for _, token := range []string{"", "not-the-token"} {
			before := snap(t, h, f.id)
			var body any
			if rt.body != nil {
				body = rt.body(f)
			}
			saved := c.csrf
			c.csrf = token
			r := c.do(rt.method(), rt.path(f), body, nil)
			c.csrf = saved
			name := fmt.Sprintf("%s with token %q", rt.name(), token)
			assert.Equal(t, http.StatusForbidden, r.status, "%s: %s", name, r.body)
			assert.Equal(t, airlock.CodeCSRF, r.errorCode(), name)
			before.unchanged(t, h, f.id, name)
		}
	}
	// With the token the same client can act (the token is the only difference).
	c.do("POST", "/api/v1/requests/"+f.id+"/withdraw", nil, nil).want(t, 200, "")
}

// jsonRoutes are the unsafe routes that take a JSON body.
func jsonRoutes() []matrixRoute {
	var out []matrixRoute
	for _, r := range unsafeRoutes() {
		if r.body != nil {
			out = append(out, r)
		}
	}
	return out
}

// TestBadBodies: malformed JSON, wrong types, unknown fields, trailing data, a missing body,
// the wrong content type and bodies over the limit (with and without a Content-Length),
// on every route with a JSON body: each is refused with its code and changes nothing.
func TestBadBodies(t *testing.T) {
	h := newAPI(t)
	m := &matrix{t: t, h: h, clients: map[who]*client{}, fixtures: map[string]*fixture{}}
	c := h.login(t, "researcher")
	f := m.fixtureFor(cell{who: author, status: airlock.StatusPending})
	huge := `{"paths": ["` + strings.Repeat("a", 2<<20) + `"]}`
	cases := []struct {
		name   string
		body   string
		header http.Header
		status int
		code   airlock.Code
	}{
		{"malformed JSON", `{"paths": [`, nil, 400, airlock.CodeInvalid},
		{"not JSON", `paths=a`, nil, 400, airlock.CodeInvalid},
		{"wrong types", `{"paths": "output/file.csv", "group": 7, "files": {}, "context": [], "text": 1, "vote": false, "workspace": 3}`, nil, 400, airlock.CodeInvalid},
		{"unknown field", `{"bogus": true}`, nil, 400, airlock.CodeInvalid},
		{"two values", `{} {}`, nil, 400, airlock.CodeInvalid},
		{"empty body", ``, nil, 400, airlock.CodeInvalid},
		{"wrong content type", `{}`, http.Header{"Content-Type": {"text/plain"}}, 400, airlock.CodeInvalid},
		{"over the body limit", huge, nil, 413, airlock.CodeTooLarge},
	}
	for _, rt := range jsonRoutes() {
		for _, tc := range cases {
			name := rt.name() + ": " + tc.name
			before := snap(t, h, f.id)
			r := c.do(rt.method(), rt.path(f), tc.body, tc.header)
			assert.Equal(t, tc.status, r.status, "%s: %s", name, r.body)
			assert.Equal(t, tc.code, r.errorCode(), name)
			before.unchanged(t, h, f.id, name)
		}
		// Over the limit without a Content-Length (chunked): refused while reading.
		before := snap(t, h, f.id)
		req, err := http.NewRequest(rt.method(), h.srv.URL+rt.path(f), io.MultiReader(strings.NewReader(huge)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(CSRFHeader, c.csrf)
		req.ContentLength = -1
		resp, err := c.http.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s: chunked body over the limit", rt.name())
		before.unchanged(t, h, f.id, rt.name()+" chunked")
	}
}

// TestBadValues: well-formed bodies with values the rules refuse.
func TestBadValues(t *testing.T) {
	h := newAPI(t)
	m := &matrix{t: t, h: h, clients: map[who]*client{}, fixtures: map[string]*fixture{}}
	c := h.login(t, "researcher")
	f := m.fixtureFor(cell{who: author, status: airlock.StatusPending})
	id := f.id
	h.env.WriteFile(t, testenv.Workspace, "output/script.sh", "echo hi\n")
	secret := filepath.Join(h.env.Dir, "secret.csv")
	require.NoError(t, os.WriteFile(secret, []byte("a\n1\n"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(h.env.Root, testenv.Workspace, "output", "link.csv")))
	addBody := func(p string) string {
		b, err := json.Marshal(map[string]any{"group": "g", "files": []map[string]string{{"path": p, "fileType": "OUTPUT"}}})
		require.NoError(t, err)
		return string(b)
	}
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     airlock.Code
	}{
		{"no workspace", "POST", "/api/v1/requests", `{"workspace": ""}`, 400, airlock.CodeInvalid},
		{"unknown workspace", "POST", "/api/v1/requests", `{"workspace": "nope"}`, 404, airlock.CodeNotFound},
		{"no files", "POST", "/api/v1/requests/" + id + "/files", `{"group": "g", "files": []}`, 400, airlock.CodeInvalid},
		{"bad file type", "POST", "/api/v1/requests/" + id + "/files", `{"group": "g", "files": [{"path": "output/x.csv", "fileType": "BOGUS"}]}`, 400, airlock.CodeInvalid},
		{"disallowed extension", "POST", "/api/v1/requests/" + id + "/files", `{"group": "g", "files": [{"path": "output/script.sh", "fileType": "OUTPUT"}]}`, 400, airlock.CodeInvalid},
		{"file not in the workspace", "POST", "/api/v1/requests/" + id + "/files", `{"group": "g", "files": [{"path": "output/missing.csv", "fileType": "OUTPUT"}]}`, 404, airlock.CodeNotFound},
		{"traversal in a body path", "POST", "/api/v1/requests/" + id + "/files", `{"group": "g", "files": [{"path": "../other-workspace/x.csv", "fileType": "OUTPUT"}]}`, 404, airlock.CodeNotFound},
		{"NUL in a body path", "POST", "/api/v1/requests/" + id + "/files", `{"group": "g", "files": [{"path": "output/file.csv\u0000", "fileType": "OUTPUT"}]}`, 404, airlock.CodeNotFound},
		{"absolute body path", "POST", "/api/v1/requests/" + id + "/files", addBody(secret), 404, airlock.CodeNotFound},
		{"symlink leaving the workspace", "POST", "/api/v1/requests/" + id + "/files", addBody("output/link.csv"), 404, airlock.CodeNotFound},
		{"a directory", "POST", "/api/v1/requests/" + id + "/files", addBody("output"), 404, airlock.CodeNotFound},
		{"no paths", "POST", "/api/v1/requests/" + id + "/files/withdraw", `{"paths": []}`, 400, airlock.CodeInvalid},
		{"unknown path", "POST", "/api/v1/requests/" + id + "/files/withdraw", `{"paths": ["output/nope.csv"]}`, 404, airlock.CodeNotFound},
		{"bad new file type", "POST", "/api/v1/requests/" + id + "/files/properties", `{"paths": ["` + f.file + `"], "fileType": "BOGUS"}`, 400, airlock.CodeInvalid},
		{"group without controls", "PATCH", "/api/v1/requests/" + id + "/groups/" + testenv.DefaultGroup, `{"context": "only"}`, 400, airlock.CodeInvalid},
		{"unknown group", "PATCH", "/api/v1/requests/" + id + "/groups/nope", `{"context": "c", "controls": "k"}`, 404, airlock.CodeNotFound},
		{"empty comment", "POST", "/api/v1/requests/" + id + "/groups/" + testenv.DefaultGroup + "/comments", `{"text": "  "}`, 400, airlock.CodeInvalid},
		{"bad visibility", "POST", "/api/v1/requests/" + id + "/groups/" + testenv.DefaultGroup + "/comments", `{"text": "x", "visibility": "SECRET"}`, 400, airlock.CodeInvalid},
		{"private comment by the author", "POST", "/api/v1/requests/" + id + "/groups/" + testenv.DefaultGroup + "/comments", `{"text": "x", "visibility": "PRIVATE"}`, 400, airlock.CodeInvalid},
		{"comment on an unknown group", "POST", "/api/v1/requests/" + id + "/groups/nope/comments", `{"text": "x"}`, 404, airlock.CodeNotFound},
		{"unknown comment", "DELETE", "/api/v1/requests/" + id + "/comments/999999", ``, 404, airlock.CodeNotFound},
		{"unknown request", "POST", "/api/v1/requests/nope/submit", ``, 404, airlock.CodeNotFound},
	}
	for _, tc := range cases {
		before := snap(t, h, id)
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := c.do(tc.method, tc.path, body, nil)
		before.unchanged(t, h, id, tc.name)
		assert.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.body)
		assert.Equal(t, tc.code, r.errorCode(), "%s: %s", tc.name, r.body)
	}

	checker := h.login(t, "checker1")
	for _, tc := range []struct{ name, path string }{
		{"unknown status", "/api/v1/requests?status=BOGUS"},
		{"unknown scope", "/api/v1/requests?scope=everything"},
		{"bad audit limit", "/api/v1/audit?limit=0"},
		{"audit limit not a number", "/api/v1/audit?limit=ten"},
		{"table limit too big", "/api/v1/workspaces/" + testenv.Workspace + "/table/" + f.file + "?limit=1001"},
		{"table sort not a number", "/api/v1/workspaces/" + testenv.Workspace + "/table/" + f.file + "?sort=x"},
		{"table sort out of range", "/api/v1/workspaces/" + testenv.Workspace + "/table/" + f.file + "?sort=9"},
		{"table of a text file", "/api/v1/workspaces/" + testenv.Workspace + "/table/output/script.sh"},
		{"summary of a text file", "/api/v1/workspaces/" + testenv.Workspace + "/summary/output/script.sh"},
		{"bad tree flag", "/api/v1/workspaces/" + testenv.Workspace + "/tree?outOfDate=maybe"},
		{"bad download flag", "/api/v1/requests/" + id + "/content/" + f.file + "?download=perhaps"},
	} {
		r := checker.do("GET", tc.path, nil, nil)
		assert.Equal(t, 400, r.status, "%s: %s", tc.name, r.body)
		assert.Equal(t, airlock.CodeInvalid, r.errorCode(), tc.name)
	}
	for _, p := range []string{
		"/api/v1/requests/nope", "/api/v1/requests/nope/activity", "/api/v1/requests/nope/content/x.csv",
		"/api/v1/requests/" + id + "/content/output/nope.csv", "/api/v1/requests/" + id + "/table/output/nope.csv",
		"/api/v1/workspaces/nope", "/api/v1/workspaces/nope/tree", "/api/v1/workspaces/" + testenv.Workspace + "/files/output/nope.csv",
		"/api/v1/requests/" + id + "/activity?group=nope",
	} {
		r := checker.do("GET", p, nil, nil)
		assert.Equal(t, 404, r.status, "%s: %s", p, r.body)
		assert.Equal(t, airlock.CodeNotFound, r.errorCode(), p)
	}
}

// TestTraversal: encoded traversal, absolute paths, NUL bytes and symlinks leaving the
// workspace are not_found on every file route, and nothing outside the workspace is read.
func TestTraversal(t *testing.T) {
	h := newAPI(t)
	env := h.env
	const secret = "TOP-SECRET-CONTENT"
	require.NoError(t, os.WriteFile(filepath.Join(env.Dir, "secret.csv"), []byte("a\n"+secret+"\n"), 0o600))
	env.WriteFile(t, testenv.OtherWorkspace, "output/other.csv", "a\n"+secret+"\n")
	env.WriteFile(t, testenv.Workspace, "output/a.csv", "a\n1\n")
	require.NoError(t, os.Symlink(filepath.Join(env.Dir, "secret.csv"), filepath.Join(env.Root, testenv.Workspace, "output", "link.csv")))
	c := h.login(t, "checker1")
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tails := []string{
		"output/%2e%2e/%2e%2e/secret.csv",
		"..%2f..%2fsecret.csv",
		"output%2F..%2F..%2F..%2Fsecret.csv",
		"%2e%2e/" + testenv.OtherWorkspace + "/output/other.csv",
		"..%2F" + testenv.OtherWorkspace + "%2Foutput%2Fother.csv",
		"%2F" + strings.TrimPrefix(filepath.ToSlash(filepath.Join(env.Dir, "secret.csv")), "/"),
		"output/a.csv%00",
		"output/a.csv%00.csv",
		"output/link.csv",
	}
	for _, kind := range []string{"files", "content", "table", "summary", "log", "tree"} {
		for _, tail := range tails {
			p := "/api/v1/workspaces/" + testenv.Workspace + "/" + kind + "/" + tail
			r := c.do("GET", p, nil, nil)
			assert.Equal(t, http.StatusNotFound, r.status, "%s: %s", p, r.body)
			assert.Equal(t, airlock.CodeNotFound, r.errorCode(), p)
			assert.NotContains(t, string(r.body), secret, p)
		}
	}
	// Nothing was viewed: no WORKSPACE_FILE_VIEW was audited.
	for _, ev := range env.Audit(t, airlock.AuditFilter{Workspace: testenv.Workspace}) {
		assert.NotEqual(t, airlock.AuditWorkspaceFileView, ev.Type, "a refused path was audited as viewed: %+v", ev)
	}
	// The request routes refuse such paths too.
	m := &matrix{t: t, h: h, clients: map[who]*client{}, fixtures: map[string]*fixture{}}
	f := m.fixtureFor(cell{who: author, status: airlock.StatusSubmitted})
	for _, kind := range []string{"content", "table", "summary", "log"} {
		for _, tail := range tails {
			p := "/api/v1/requests/" + f.id + "/" + kind + "/" + tail
			r := c.do("GET", p, nil, nil)
			assert.Equal(t, http.StatusNotFound, r.status, "%s: %s", p, r.body)
			assert.NotContains(t, string(r.body), secret, p)
		}
	}
}
