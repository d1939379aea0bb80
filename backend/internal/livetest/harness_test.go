package livetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/cli"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/httpapi"
	"github.com/trelab/airlock/internal/testbin"
)

// waitTimeout bounds every wait for something asynchronous (an event, a rescan). It is
// generous: a loaded 2-core machine may be slow, and no test asserts on elapsed time.
const waitTimeout = 30 * time.Second

// account is a user of the users file (plain token) and the service's actor for it.
type account struct {
	name, token string
	doc         auth.UserDoc
}

func (a account) user() airlock.User { return a.doc.User() }

func grants(ws ...string) map[string]auth.WorkspaceDoc {
	m := map[string]auth.WorkspaceDoc{}
	for _, w := range ws {
		m[w] = auth.WorkspaceDoc{ProjectDetails: auth.ProjectDoc{Name: "Live project", Orgs: []string{"Org"}}}
	}
	return m
}

func newAccount(name string, workspaces ...string) account {
	return account{name: name, token: name + "-live-token", doc: auth.UserDoc{
		Username: name, Fullname: strings.ToUpper(name[:1]) + name[1:], Workspaces: grants(workspaces...),
	}}
}

// config describes a server to start.
type config struct {
	users []account
	// files are created before the server starts: "workspace/relative/path" → content.
	files map[string]string
	// configure runs after the backend is built and before it starts (watcher hooks).
	configure func(b *cli.Backend)
}

// server is the backend of `airlock serve` (cli.Open, its Handler on a real listener,
// Start), in-process so that tests can set the watcher's hooks and call its service.
type server struct {
	URL     string
	Root    string // the workspaces folder
	DataDir string
	B       *cli.Backend
	Logs    *testbin.Buffer
}

// start builds the backend from serve's settings on 127.0.0.1:0 with a temp data dir and
// serves it until the test ends; it returns once the watcher's watches are in place.
func start(tb testing.TB, cfg config) *server {
	tb.Helper()
	data, root := prepare(tb, cfg)
	settings, _, err := cli.ParseSettings("serve", []string{"--data-dir", data, "--listen", "127.0.0.1:0"},
		func(string) string { return "" }, io.Discard)
	require.NoError(tb, err)
	logs := &testbin.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b, err := cli.Open(settings, log)
	require.NoError(tb, err)
	if cfg.configure != nil {
		cfg.configure(b)
	}
	ln, err := net.Listen("tcp", settings.Listen)
	if err != nil {
		_ = b.Close()
		require.NoError(tb, err)
	}
	srv := &http.Server{Handler: b.Handler, ReadHeaderTimeout: 10 * time.Second}
	b.Start()
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
		if err := b.Close(); err != nil {
			tb.Errorf("closing the backend: %v", err)
		}
	})
	select {
	case <-b.Watcher.Ready():
	case <-time.After(waitTimeout):
		tb.Fatalf("the watcher did not get ready; logs:\n%s", logs)
	}
	return &server{URL: "http://" + ln.Addr().String(), Root: root, DataDir: data, B: b, Logs: logs}
}

// prepare makes a data directory with the users file (plain tokens) and the workspaces
// folder (<data>/workspaces) holding cfg.files.
func prepare(tb testing.TB, cfg config) (data, root string) {
	tb.Helper()
	data = tb.TempDir()
	root = filepath.Join(data, "workspaces")
	require.NoError(tb, os.MkdirAll(root, 0o755))
	for p, content := range cfg.files {
		writeFile(tb, filepath.Join(root, filepath.FromSlash(p)), content)
	}
	users := map[string]auth.UsersEntry{}
	for _, a := range cfg.users {
		users[a.name] = auth.UsersEntry{Token: a.token, Details: a.doc}
	}
	raw, err := json.Marshal(users)
	require.NoError(tb, err)
	require.NoError(tb, os.WriteFile(filepath.Join(data, "users.json"), raw, 0o600))
	return data, root
}

// serveCommand runs the `airlock serve` command itself (cli.Run) in-process on
// 127.0.0.1:0 until the test ends. Its backend is out of reach: B is nil.
func serveCommand(tb testing.TB, cfg config) *server {
	tb.Helper()
	data, root := prepare(tb, cfg)
	logs := &testbin.Buffer{}
	addr := make(chan string, 1)
	env := &cli.Env{Stdout: io.Discard, Stderr: logs, OnListen: func(a string) { addr <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cli.Run(ctx, env, []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", data}) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("airlock serve: %v\n%s", err, logs)
			}
		case <-time.After(waitTimeout):
			tb.Errorf("airlock serve did not stop")
		}
	})
	select {
	case a := <-addr:
		return &server{URL: "http://" + a, Root: root, DataDir: data, Logs: logs}
	case err := <-done:
		tb.Fatalf("airlock serve ended at start: %v\n%s", err, logs)
	case <-time.After(waitTimeout):
		tb.Fatalf("airlock serve did not start\n%s", logs)
	}
	return nil
}

// path is the absolute path of "workspace/relative/path".
func (s *server) path(p string) string { return filepath.Join(s.Root, filepath.FromSlash(p)) }

// session is a logged-in API client.
type session struct {
	cookie, csrf string
	user         airlock.User
}

// login logs a in through the API.
func login(tb testing.TB, baseURL string, a account) session {
	tb.Helper()
	body := fmt.Sprintf(`{"username": %q, "token": %q}`, a.name, a.token)
	resp, err := http.Post(baseURL+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(tb, http.StatusOK, resp.StatusCode, string(raw))
	var out struct {
		CSRFToken string `json:"csrfToken"`
	}
	require.NoError(tb, json.Unmarshal(raw, &out))
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			return session{cookie: c.Name + "=" + c.Value, csrf: out.CSRFToken, user: a.user()}
		}
	}
	tb.Fatal("login set no session cookie")
	return session{}
}

// httpGet fetches a path of the server without a session.
func httpGet(tb testing.TB, url string) (int, string) {
	tb.Helper()
	resp, err := http.Get(url)
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return resp.StatusCode, string(raw)
}

// metric reads one sample (name plus labels, as printed) from /metrics.
func metric(tb testing.TB, baseURL, name string) float64 {
	tb.Helper()
	status, body := httpGet(tb, baseURL+"/metrics")
	require.Equal(tb, http.StatusOK, status)
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(tb, err, line)
			return f
		}
	}
	tb.Fatalf("metric %s not found in:\n%s", name, body)
	return 0
}

// frame is one event received by a WebSocket client, with when it arrived.
type frame struct {
	airlock.Event
	At time.Time
}

// wsClient is a gorilla WebSocket client of /api/v1/events that records every frame.
type wsClient struct {
	conn *websocket.Conn

	mu      sync.Mutex
	frames  []frame
	readErr error
	// onFrame, when set before dial returns, sees each frame as it arrives (benchmarks).
	onFrame func(frame)
}

// dial opens the live events of sess with the server's own Origin and waits for "hello".
func dial(tb testing.TB, baseURL string, sess session, onFrame func(frame)) *wsClient {
	tb.Helper()
	hdr := http.Header{"Cookie": {sess.cookie}, "Origin": {baseURL}}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(baseURL, "http")+"/api/v1/events", hdr)
	if resp != nil {
		_ = resp.Body.Close()
	}
	require.NoError(tb, err)
	c := &wsClient{conn: conn, onFrame: onFrame}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.read()
	}()
	tb.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	eventually(tb, "the hello frame", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.frames) > 0 || c.readErr != nil
	}, c.dump)
	first := c.since(0)
	require.NotEmpty(tb, first, "the socket closed before hello: %v", c.err())
	require.Equal(tb, airlock.EventHello, first[0].Type)
	require.Equal(tb, sess.user.Username, first[0].User)
	return c
}

func (c *wsClient) read() {
	for {
		_, data, err := c.conn.ReadMessage()
		at := time.Now()
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			return
		}
		var ev airlock.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			c.mu.Lock()
			c.readErr = fmt.Errorf("frame %q: %w", data, err)
			c.mu.Unlock()
			return
		}
		f := frame{Event: ev, At: at}
		c.mu.Lock()
		c.frames = append(c.frames, f)
		c.mu.Unlock()
		if c.onFrame != nil {
			c.onFrame(f)
		}
	}
}

func (c *wsClient) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// mark is the number of frames received so far: waits start looking after it.
func (c *wsClient) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames)
}

// since returns the frames received after mark.
func (c *wsClient) since(mark int) []frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]frame(nil), c.frames[mark:]...)
}

// changed returns the workspace.changed frames of ws received after mark.
func (c *wsClient) changed(mark int, ws string) []frame {
	var out []frame
	for _, f := range c.since(mark) {
		if f.Type == airlock.EventWorkspaceChanged && f.Workspace == ws {
			out = append(out, f)
		}
	}
	return out
}

// mentioning returns the workspace.changed frames of ws after mark that list path p.
func (c *wsClient) mentioning(mark int, ws, p string) []frame {
	var out []frame
	for _, f := range c.changed(mark, ws) {
		for _, q := range f.Paths {
			if q == p {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// waitPaths waits until the workspace.changed frames of ws after mark have listed every
// one of paths.
func (c *wsClient) waitPaths(tb testing.TB, mark int, ws string, paths ...string) {
	tb.Helper()
	eventually(tb, fmt.Sprintf("workspace.changed of %s listing %v", ws, paths), func() bool {
		for _, p := range paths {
			if len(c.mentioning(mark, ws, p)) == 0 {
				return false
			}
		}
		return true
	}, c.dump)
}

// waitWorkspace waits for any workspace.changed frame of ws after mark.
func (c *wsClient) waitWorkspace(tb testing.TB, mark int, ws string) []frame {
	tb.Helper()
	eventually(tb, "workspace.changed of "+ws, func() bool { return len(c.changed(mark, ws)) > 0 }, c.dump)
	return c.changed(mark, ws)
}

func (c *wsClient) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d frames received (read error: %v):\n", len(c.frames), c.readErr)
	for i, f := range c.frames {
		raw, _ := json.Marshal(f.Event)
		fmt.Fprintf(&b, "  %d %s %s\n", i, f.At.Format("15:04:05.000"), raw)
	}
	return b.String()
}

// eventually polls cond until it holds, failing the test after waitTimeout with detail().
func eventually(tb testing.TB, what string, cond func() bool, detail func() string) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s\n%s", waitTimeout, what, detail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func noDetail() string { return "" }

// apiError is the error body of the API.
type apiError struct {
	Error struct {
		Code    airlock.Code `json:"code"`
		Message string       `json:"message"`
	} `json:"error"`
}

// call makes one API call as sess (with the CSRF token on unsafe methods), encoding body
// as JSON when set and decoding a 2xx answer into out when set. It returns the status and
// the error code of a failed call.
func (s *server) call(tb testing.TB, sess session, method, path string, body, out any) (int, airlock.Code) {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(tb, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	require.NoError(tb, err)
	req.Header.Set("Cookie", sess.cookie)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set(httpapi.CSRFHeader, sess.csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	if resp.StatusCode >= 300 {
		var e apiError
		require.NoError(tb, json.Unmarshal(raw, &e), "%s %s: %d %s", method, path, resp.StatusCode, raw)
		return resp.StatusCode, e.Error.Code
	}
	if out != nil {
		require.NoError(tb, json.Unmarshal(raw, out), "%s %s: %s", method, path, raw)
	}
	return resp.StatusCode, ""
}

// get makes a GET call that must succeed.
func (s *server) get(tb testing.TB, sess session, path string, out any) {
	tb.Helper()
	status, code := s.call(tb, sess, http.MethodGet, path, nil, out)
	require.Equal(tb, http.StatusOK, status, "GET %s: %s", path, code)
}

// escapePath percent-encodes each segment of a workspace-relative path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

func treeURL(ws, dir string) string {
	u := "/api/v1/workspaces/" + url.PathEscape(ws) + "/tree"
	if dir != "" {
		u += "/" + escapePath(dir)
	}
	return u + "?outOfDate=true"
}

// tree lists one directory level of ws through GET .../tree, by path.
func (s *server) tree(tb testing.TB, sess session, ws, dir string) map[string]contract.Entry {
	tb.Helper()
	var t contract.Tree
	s.get(tb, sess, treeURL(ws, dir), &t)
	require.Equal(tb, dir, t.Path)
	out := map[string]contract.Entry{}
	for _, e := range t.Entries {
		out[e.Path] = e
	}
	return out
}

// treeCode is the error code of listing a directory level ("" when it succeeds).
func (s *server) treeCode(tb testing.TB, sess session, ws, dir string) airlock.Code {
	tb.Helper()
	_, code := s.call(tb, sess, http.MethodGet, treeURL(ws, dir), nil, nil)
	return code
}

func fileURL(ws, p string) string {
	return "/api/v1/workspaces/" + url.PathEscape(ws) + "/files/" + escapePath(p)
}

// file returns a workspace file's detail through GET .../files/{path}.
func (s *server) file(tb testing.TB, sess session, ws, p string) contract.FileDetail {
	tb.Helper()
	var d contract.FileDetail
	s.get(tb, sess, fileURL(ws, p), &d)
	return d
}

// fileCode is the error code of a file's detail ("" when it succeeds).
func (s *server) fileCode(tb testing.TB, sess session, ws, p string) airlock.Code {
	tb.Helper()
	_, code := s.call(tb, sess, http.MethodGet, fileURL(ws, p), nil, nil)
	return code
}

// workspace returns GET /api/v1/workspaces/{ws}.
func (s *server) workspace(tb testing.TB, sess session, ws string) contract.WorkspaceSummary {
	tb.Helper()
	var w contract.WorkspaceSummary
	s.get(tb, sess, "/api/v1/workspaces/"+url.PathEscape(ws), &w)
	return w
}

// workspaceNames lists the names of GET /api/v1/workspaces.
func (s *server) workspaceNames(tb testing.TB, sess session) []string {
	tb.Helper()
	var l contract.WorkspaceList
	s.get(tb, sess, "/api/v1/workspaces", &l)
	out := []string{}
	for _, w := range l.Workspaces {
		out = append(out, w.Name)
	}
	return out
}

// requestFile finds a file of a request.
func requestFile(tb testing.TB, r contract.Request, p string) contract.File {
	tb.Helper()
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if f.Path == p {
				return f
			}
		}
	}
	tb.Fatalf("%s is not on request %s", p, r.ID)
	return contract.File{}
}

// writeFile writes a file, creating its folders.
func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o644))
}

// replaceFile replaces path atomically, as editors and jobs do: a hidden temp file in the
// same folder, renamed over the target.
func replaceFile(tb testing.TB, path, content string) {
	tb.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	require.NoError(tb, os.WriteFile(tmp, []byte(content), 0o644))
	require.NoError(tb, os.Rename(tmp, path))
}

func sha(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// manifest is a job-runner manifest of moderately sensitive outputs: path → content.
func manifest(ws string, outputs map[string]string) string {
	out := map[string]any{}
	for p, content := range outputs {
		out[p] = map[string]any{
			"level": "moderately_sensitive", "job_id": "job1", "job_request": "jr1", "action": "generate",
			"repo": "https://github.com/example/study", "commit": "abc123", "size": len(content),
			"timestamp": 1.7e9, "content_hash": sha(content), "excluded": false, "user": "alice",
			"out_of_date_action": false, "out_of_date_output": false,
		}
	}
	raw, err := json.MarshalIndent(map[string]any{"workspace": ws, "repo": "https://github.com/example/study", "outputs": out}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// logRecords returns the JSON log records whose message is msg.
func logRecords(tb testing.TB, logs *testbin.Buffer, msg string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var rec map[string]any
		require.NoError(tb, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}
