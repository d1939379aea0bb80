package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/render"
)

// serveContent sets the sandbox policy itself, so file bytes never go out without it, even
// on a route the security middleware would not recognise as a content route.
func TestServeContentAlwaysSandboxed(t *testing.T) {
	for _, p := range []string{"out/a.html", "out/b.svg", "out/c.csv"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/somewhere/else", nil)
		serveContent(w, r, strings.NewReader("<script>alert(1)</script>"), p, "abc", time.Time{}, false, false)
		assert.Equal(t, contentCSP, w.Header().Get("Content-Security-Policy"), p)
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), p)
	}
}

// A request the client abandoned is not an internal error: no ERROR log, 503 unavailable.
func TestWriteErrorCancelledRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/api/v1/requests/x", nil).WithContext(ctx)
	writeError(w, r, fmt.Errorf("sqlite: load: %w", context.Canceled))
	assert.Equal(t, 503, w.Code)
	assert.Contains(t, w.Body.String(), `"code":"unavailable"`)

	// The same error on a live request is still internal (something else cancelled it).
	w = httptest.NewRecorder()
	writeError(w, httptest.NewRequest("GET", "/api/v1/requests/x", nil), fmt.Errorf("x: %w", context.Canceled))
	assert.Equal(t, 500, w.Code)
}

// failingSessions is the real sqlite-backed auth store with session lookups failing, as a
// busy or broken database would make them.
type failingSessions struct{ auth.Store }

func (failingSessions) GetSession(context.Context, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("sqlite: database is locked")
}

// When a session cannot be checked, API routes fail (500) but pages and /healthz are served
// as to an anonymous client, and the cookie is kept.
func TestSessionLookupFailureSparesNonAPIRoutes(t *testing.T) {
	env := testenv.NewEnv(t)
	uf, err := auth.LoadUsersFile(usersFileJSON(t, apiUsers))
	require.NoError(t, err)
	a := auth.New(auth.Config{Store: failingSessions{env.Store}, Users: uf})
	hub := live.NewHub(live.Config{})
	defer hub.Close()
	tables := render.NewTables(render.TablesConfig{})
	defer tables.Close()
	srv := httptest.NewServer(NewServer(Deps{Service: env.Svc, Auth: a, Hub: hub, Tables: tables}))
	defer srv.Close()

	get := func(p string) *http.Response {
		req, err := http.NewRequest("GET", srv.URL+p, nil)
		require.NoError(t, err)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: "some-session"})
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	assert.Equal(t, 500, get("/api/v1/auth/me").StatusCode)
	h := get("/healthz")
	assert.NotEqual(t, 500, h.StatusCode)
	for _, c := range h.Cookies() {
		assert.NotEqual(t, auth.CookieName, c.Name, "the cookie is kept")
	}
}
