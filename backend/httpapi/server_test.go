package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/service"
)

// harness is the real API over a real listener: real SQLite, workspace folders, service,
// authenticator (users file) and live hub. Only the clock is the test's.
type harness struct {
	env    *testenv.Env
	svc    *service.Airlock
	auth   *auth.Authenticator
	hub    *live.Hub
	server *Server
	srv    *httptest.Server
	clock  *testenv.Clock
	health error
}

type harnessOptions struct {
	tls    bool
	assets fstest.MapFS
	origin []string
	// jobServer, when set, logs users in through job-server too (as serve wires it: a
	// revoked user's sockets are closed by the hub).
	jobServer *auth.JobServer
	// info is what GET /api/v1/config answers
	info contract.ServerInfo
	// store, when set, chooses the store ("sqlite", "postgres") whatever
	// AIRLOCK_TEST_STORE says: benchmarks measure both in one run.
	store string
}

// harnessUsers are the users of the users file, with token "<username>-token".
var harnessUsers = []airlock.User{
	testenv.Researcher(), testenv.Collaborator(), testenv.Checker1(), testenv.Checker2(),
	testenv.CheckerResearcher(), testenv.Copilot(), testenv.Readonly(), testenv.Outsider(),
}

func usersFileJSON(t testing.TB, users []airlock.User) string {
	t.Helper()
	ws := func(m map[string]airlock.WorkspaceGrant) map[string]any {
		out := map[string]any{}
		for name, g := range m {
			out[name] = map[string]any{
				"project_details": map[string]any{"name": g.Project.Name, "ongoing": g.Project.Ongoing, "orgs": g.Project.Orgs},
				"archived":        g.Archived,
			}
		}
		return out
	}
	all := map[string]any{}
	for _, u := range users {
		all[u.Username] = map[string]any{"token": u.Username + "-token", "details": map[string]any{
			"username": u.Username, "fullname": u.Fullname, "output_checker": u.OutputChecker,
			"readonly_access": u.ReadonlyAccess, "workspaces": ws(u.Workspaces),
			"copiloted_workspaces": ws(u.CopilotedWorkspaces),
		}}
	}
	data, err := json.Marshal(all)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "users.json")
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	var opts []testenv.Option
	if o.store != "" {
		opts = append(opts, testenv.WithStore(o.store))
	}
	env := testenv.NewEnv(t, opts...)
	h := &harness{env: env, clock: env.Clock}
	uf, err := auth.LoadUsersFile(usersFileJSON(t, harnessUsers))
	require.NoError(t, err)
	h.hub = live.NewHub(live.Config{AllowedOrigins: o.origin})
	h.auth = auth.New(auth.Config{Store: env.Store, Users: uf, JobServer: o.jobServer, Clock: h.clock.Now,
		OnUserRefreshed: h.hub.UpdateUser, OnUserRevoked: h.hub.CloseUser})
	h.svc = service.New(service.Config{
		Store: env.Store, Workspaces: env.Workspaces, Files: env.Files, Publisher: h.hub, Clock: h.clock.Now,
	})
	d := Deps{
		Service: h.svc, Auth: h.auth, Hub: h.hub, Clock: h.clock.Now,
		Health: func(context.Context) error { return h.health }, Info: o.info,
	}
	if o.assets != nil {
		d.Assets = o.assets
	}
	h.server = NewServer(d)
	if o.tls {
		h.srv = httptest.NewTLSServer(h.server)
	} else {
		h.srv = httptest.NewServer(h.server)
	}
	t.Cleanup(func() {
		h.hub.Close()
		h.srv.Close()
	})
	return h
}

// client is one browser: a cookie jar and the CSRF token of its login.
type client struct {
	t    testing.TB
	h    *harness
	http *http.Client
	csrf string
}

func (h *harness) client(t testing.TB) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := *h.srv.Client() // a copy: each client has its own jar
	hc.Jar = jar
	return &client{t: t, h: h, http: &hc}
}

// login logs a fresh client in as username.
func (h *harness) login(t testing.TB, username string) *client {
	t.Helper()
	c := h.client(t)
	resp := c.do("POST", "/api/v1/auth/login", map[string]string{"username": username, "token": username + "-token"}, nil)
	require.Equal(t, http.StatusOK, resp.status, "login %s: %s", username, resp.body)
	var out contract.SessionOutput
	require.NoError(t, json.Unmarshal(resp.body, &out))
	c.csrf = out.CSRFToken
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorCode() airlock.Code {
	var eb contract.ErrorBody
	_ = json.Unmarshal(r.body, &eb)
	return eb.Error.Code
}

// do sends a request; body is JSON-encoded unless it is a string or []byte (sent as is).
// The CSRF header is sent when the client has a token and header does not override it.
func (c *client) do(method, path string, body any, header http.Header) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.h.srv.URL+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set(CSRFHeader, c.csrf)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func (c *client) sessionCookie() *http.Cookie {
	for _, ck := range c.http.Jar.Cookies(mustURL(c.h.srv.URL)) {
		if ck.Name == auth.CookieName {
			return ck
		}
	}
	return nil
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 3*time.Second, 5*time.Millisecond)
}
