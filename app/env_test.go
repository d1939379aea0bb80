package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/app"
	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/cli"
	"github.com/trelab/airlock/backend/contract"
)

// env is the whole backend of `airlock serve` on fresh demo data (real SQLite file, real
// workspace folders, running watcher), as the desktop runs it in-process.
type env struct {
	b        *cli.Backend
	settings cli.Settings
	users    *auth.UsersFile
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, cli.Run(context.Background(), &cli.Env{}, []string{"demo", "--data-dir", dir}))
	s, _, err := cli.ParseSettings("test", []string{"--data-dir", dir}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	b, err := cli.Open(s, nil)
	require.NoError(t, err)
	b.Start()
	t.Cleanup(func() { _ = b.Close() })
	select { // files written before the watches are in place would go unseen
	case <-b.Watcher.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the workspace watcher did not start")
	}
	users, err := auth.LoadUsersFile(s.UsersFile)
	require.NoError(t, err)
	return &env{b: b, settings: s, users: users}
}

func (e *env) user(t *testing.T, name string) airlock.User {
	t.Helper()
	entry, ok := e.users.Lookup(name)
	require.True(t, ok, "demo user %s", name)
	return entry.Details.User()
}

func (e *env) local() *app.Local {
	return &app.Local{Service: e.b.Service, Auth: e.b.Auth, Hub: e.b.Hub, WorkspaceDir: e.settings.WorkspacesDir}
}

// recorder stands in for the Wails runtime (a third-party part): it records what the glue
// asks of the window.
type recorder struct {
	mu      sync.Mutex
	titles  []string
	events  []airlock.Event
	notes   []string
	opened  []string
	js      []string
	saveTo  string
	dialogs int
}

func (r *recorder) SetTitle(title string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.titles = append(r.titles, title)
}

func (r *recorder) Emit(name string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == app.EventName {
		r.events = append(r.events, data.(airlock.Event))
	}
}

func (r *recorder) Notify(id, title, body string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, title)
	return nil
}

func (r *recorder) SaveFileDialog(title, defaultName string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dialogs++
	return r.saveTo, nil
}

func (r *recorder) OpenFolder(dir string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opened = append(r.opened, dir)
	return nil
}

func (r *recorder) ExecJS(js string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.js = append(r.js, js)
}

func (r *recorder) lastTitle() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.titles) == 0 {
		return ""
	}
	return r.titles[len(r.titles)-1]
}

func (r *recorder) eventsFor(ws string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.Workspace == ws {
			n++
		}
	}
	return n
}

func (r *recorder) notifications() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.notes...)
}

// webview is a client like the window's web view under WebKitGTK: it keeps no cookies
// (the window's Handler is its jar).
type webview struct {
	t   *testing.T
	url string

	mu sync.Mutex
	// session is the session cookie the window's jar last added to a request.
	session string
}

// newWebview serves next to the web view through w's jar (next alone when w is nil).
func newWebview(t *testing.T, w *app.Window, next http.Handler) *webview {
	v := &webview{t: t}
	var h http.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(auth.CookieName); err == nil {
			v.mu.Lock()
			v.session = c.Value
			v.mu.Unlock()
		}
		next.ServeHTTP(rw, r)
	})
	if w != nil {
		h = w.Handler(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	v.url = srv.URL
	return v
}

func (v *webview) sessionID() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.session
}

func (v *webview) do(method, path string, body any) (int, map[string]any) {
	v.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(v.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, v.url+path, rd)
	require.NoError(v.t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultTransport.RoundTrip(req) // no cookie jar, no redirects
	require.NoError(v.t, err)
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var out map[string]any
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(data, &out)
	}
	return res.StatusCode, out
}

// login logs the window in as the web UI in it does: through the bound method.
func login(t *testing.T, w *app.Window, user string) contract.SessionOutput {
	t.Helper()
	out, err := app.NewDesktop(w).Login(user, user+"-demo")
	require.NoError(t, err, "login %s", user)
	require.Equal(t, user, out.User.Username)
	require.NotEmpty(t, out.CSRFToken)
	return out
}

// writeFile writes a file into a workspace folder, as a job would.
func writeFile(t *testing.T, root, ws, rel, content string) {
	t.Helper()
	p := filepath.Join(root, ws, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}
