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
	t    *testing.T
	url  string
	csrf string
	// session is the session cookie the last login set (the web view itself drops it).
	session string
}

func newWebview(t *testing.T, h http.Handler) *webview {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &webview{t: t, url: srv.URL}
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
	if v.csrf != "" && method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", v.csrf)
	}
	res, err := http.DefaultTransport.RoundTrip(req) // no cookie jar, no redirects
	require.NoError(v.t, err)
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == auth.CookieName && c.Value != "" {
			v.session = c.Value
		}
	}
	data, _ := io.ReadAll(res.Body)
	var out map[string]any
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(data, &out)
	}
	return res.StatusCode, out
}

func (v *webview) login(user, token string) {
	v.t.Helper()
	status, body := v.do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "token": token})
	require.Equal(v.t, http.StatusOK, status, "login %v", body)
	v.csrf, _ = body["csrfToken"].(string)
	require.NotEmpty(v.t, v.csrf)
}

// writeFile writes a file into a workspace folder, as a job would.
func writeFile(t *testing.T, root, ws, rel, content string) {
	t.Helper()
	p := filepath.Join(root, ws, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}
