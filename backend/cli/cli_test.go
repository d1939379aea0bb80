package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	_ "github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/internal/testbin"
)

// demoUserRecord is the user record of a demo user, as the users file gives it.
func demoUserRecord(name string) airlock.User {
	for _, u := range demoUsers {
		if u.name == name {
			g := map[string]airlock.WorkspaceGrant{}
			for _, ws := range u.workspaces {
				p := demoProjects[ws]
				g[ws] = airlock.WorkspaceGrant{Project: airlock.Project{Name: p.project, Ongoing: p.ongoing, Orgs: p.orgs}, Archived: p.archived}
			}
			return airlock.User{Username: u.name, Fullname: u.fullname, OutputChecker: u.checker, ReadonlyAccess: u.readonly, Workspaces: g}
		}
	}
	panic(name)
}

// TestMain lets a test run the real command line in a child process (signals).
func TestMain(m *testing.M) {
	if os.Getenv("AIRLOCK_CLI_TEST_CHILD") == "1" {
		os.Exit(Main(os.Args[1:], "test-version", nil))
	}
	pgtest.Main(m)
}

func testEnv(vars map[string]string) (*Env, *testbin.Buffer, *testbin.Buffer) {
	out, errOut := &testbin.Buffer{}, &testbin.Buffer{}
	return &Env{Stdout: out, Stderr: errOut, Getenv: func(k string) string { return vars[k] }}, out, errOut
}

// runCmd runs one command to completion.
func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	env, out, errOut := testEnv(nil)
	err := Run(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

// demoDir creates demo data in a temporary data directory.
func demoDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "data")
	_, _, err := runCmd(t, "demo", "--data-dir", d)
	require.NoError(t, err)
	return d
}

// server is `airlock serve` running in-process.
type server struct {
	url    string
	cancel context.CancelFunc
	done   chan error
	logs   *testbin.Buffer
}

func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	env, _, logs := testEnv(nil)
	addr := make(chan string, 1)
	env.OnListen = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { s.done <- Run(ctx, env, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)) }()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case err := <-s.done:
		t.Fatalf("serve ended at start: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return s
}

func (s *server) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
		return nil
	}
}

type session struct {
	cookie, csrf string
}

func login(t testing.TB, base, user, token string) session {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username": "`+user+`", "token": "`+token+`"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var out struct {
		CSRFToken string `json:"csrfToken"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			return session{cookie: c.Name + "=" + c.Value, csrf: out.CSRFToken}
		}
	}
	t.Fatal("no session cookie")
	return session{}
}

func get(t *testing.T, url string, s session) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if s.cookie != "" {
		req.Header.Set("Cookie", s.cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServe(t *testing.T) {
	d := demoDir(t)
	s := startServe(t, "--data-dir", d)

	status, body := get(t, s.url+"/healthz", session{})
	assert.Equal(t, http.StatusOK, status)
	var health map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &health), body)
	assert.Equal(t, "ok", health["status"], body)
	assert.NotContains(t, health, "details", body)

	alice := login(t, s.url, "alice", "alice-demo")
	status, body = get(t, s.url+"/api/v1/auth/me", alice)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"username":"alice"`)
	status, body = get(t, s.url+"/metrics", session{})
	assert.Equal(t, http.StatusOK, status)
	for _, m := range []string{"airlock_live_connections 0", "airlock_upload_queue_length 0", "airlock_watcher_running"} {
		assert.Contains(t, body, m)
	}
	status, body = get(t, s.url+"/", session{})
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, strings.ToLower(body), "<!doctype html>")

	// Logs are structured JSON (stderr is not a terminal here), one record a line; the
	// background data check may log before the serving line.
	serving := false
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		serving = serving || rec["msg"] == "airlock serving"
	}
	assert.True(t, serving, "serve logs that it serves: %s", s.logs)
}

func TestServeShutsDownGracefully(t *testing.T) {
	d := demoDir(t)
	s := startServe(t, "--data-dir", d)
	alice := login(t, s.url, "alice", "alice-demo")

	// A live socket, and a request in flight whose body is still arriving.
	hdr := http.Header{"Cookie": {alice.cookie}}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.url, "http")+"/api/v1/events", hdr)
	require.NoError(t, err)
	_ = resp.Body.Close()
	defer ws.Close()
	var hello airlock.Event
	require.NoError(t, ws.ReadJSON(&hello))

	body := `{"username": "olivia", "token": "olivia-demo"}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: airlock\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body[:20])
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // let the server start reading it

	stopped := make(chan error, 1)
	go func() { stopped <- s.stop(t) }()
	// The socket is closed with "going away" while the request is still in flight...
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if assert.ErrorAs(t, err, &ce) {
		assert.Equal(t, websocket.CloseGoingAway, ce.Code)
	}
	// ...new connections are refused...
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond)
	select {
	case <-stopped:
		t.Fatal("serve stopped before the request in flight finished")
	default:
	}
	// ...and the request in flight is answered once its body arrives.
	_, err = io.WriteString(conn, body[20:])
	require.NoError(t, err)
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, <-stopped)
	assert.Contains(t, s.logs.String(), `"msg":"stopped"`)

	// The database was closed cleanly: another process can open it and the session is there.
	db, err := sql.Open("sqlite3", filepath.Join(d, DatabaseFile))
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n))
	assert.Equal(t, 2, n)
}

func TestServeStopsOnSIGTERM(t *testing.T) {
	d := demoDir(t)
	addr, err := testbin.FreeAddr()
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0], "serve", "--data-dir", d, "--listen", addr)
	cmd.Env = append(os.Environ(), "AIRLOCK_CLI_TEST_CHILD=1")
	p, err := testbin.Start(cmd)
	require.NoError(t, err)
	defer func() { _ = p.Cmd.Process.Kill() }()
	_, err = p.WaitHealthy(addr, 20*time.Second)
	require.NoError(t, err, "child did not start: %s", p.Log)

	require.NoError(t, p.Stop(syscall.SIGTERM, 30*time.Second), "exit status 0 after SIGTERM; logs: %s", p.Log)
	assert.Contains(t, p.Log.String(), "shutting down")
	assert.Contains(t, p.Log.String(), `"msg":"stopped"`)
}

func TestBadSettings(t *testing.T) {
	d := demoDir(t)
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, []byte("x"), 0o600))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"missing users file":      {[]string{"--data-dir", t.TempDir()}, "users file"},
		"named users file absent": {[]string{"--data-dir", d, "--users", "/nonexistent/users.json"}, "users file /nonexistent/users.json does not exist"},
		"broken users file":       {[]string{"--data-dir", d, "--users", notADir}, "users file " + notADir},
		"missing workspaces":      {[]string{"--data-dir", d, "--workspaces", "/nonexistent/ws"}, "workspaces folder /nonexistent/ws does not exist"},
		"workspaces not a folder": {[]string{"--data-dir", d, "--workspaces", notADir}, "is not a folder"},
		"data dir not a folder":   {[]string{"--data-dir", notADir, "--users", filepath.Join(d, "users.json")}, "data directory " + notADir},
		"port in use":             {[]string{"--data-dir", d, "--listen", busy.Addr().String()}, "already in use"},
		"bad listen address":      {[]string{"--data-dir", d, "--listen", "nowhere:99999"}, "cannot listen on nowhere:99999"},
		"bad retry":               {[]string{"--data-dir", d, "--upload-retry", "soon"}, "--upload-retry"},
		"zero reviews":            {[]string{"--data-dir", d, "--required-reviews", "0"}, "--required-reviews"},
		"endpoint without token":  {[]string{"--data-dir", d, "--api-endpoint", "https://jobs.example.org/api/v2"}, "must be set together"},
		"bad endpoint":            {[]string{"--data-dir", d, "--api-endpoint", "jobs", "--api-token", "t"}, "not an http(s) URL"},
		"bad origin":              {[]string{"--data-dir", d, "--allowed-origin", "example.org"}, "--allowed-origin"},
		"extra argument":          {[]string{"--data-dir", d, "now"}, "takes no arguments"},
		"other database":          {[]string{"--data-dir", d, "--database", "mysql://u:pw@db/airlock"}, "neither sqlite: nor a postgres:// URL"},
		"sqlite path":             {[]string{"--data-dir", d, "--database", "sqlite:/tmp/other.db"}, "always the file airlock.db"},
		"unreachable postgres":    {[]string{"--data-dir", d, "--database", "postgres://airlock:pw@127.0.0.1:1/airlock?connect_timeout=5"}, "database postgres://airlock:xxxxx@127.0.0.1:1/airlock"},
	} {
		t.Run(name, func(t *testing.T) {
			env, _, _ := testEnv(nil)
			err := Run(context.Background(), env, append([]string{"serve"}, tc.args...))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, oneLine(err), "\n")
		})
	}

	t.Run("Main prints one line and fails", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "serve", "--data-dir", t.TempDir())
		cmd.Env = append(os.Environ(), "AIRLOCK_CLI_TEST_CHILD=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 1, ee.ExitCode())
		assert.Regexp(t, `^airlock: users file \S+ does not exist \(.*\)\n$`, string(out))
	})
}

func TestSettingsFlagsWinOverEnvironment(t *testing.T) {
	env := map[string]string{
		"AIRLOCK_LISTEN": "127.0.0.1:9999", "AIRLOCK_DATA_DIR": "/env/data", "AIRLOCK_UPLOAD_RETRY_DELAY": "5m",
		"AIRLOCK_API_ENDPOINT": "https://jobs.example.org/api/v2", "AIRLOCK_API_TOKEN": "secret",
		"AIRLOCK_ALLOWED_ORIGINS": "https://a.example.org, https://b.example.org", "AIRLOCK_REQUIRED_REVIEWS": "3",
	}
	getenv := func(k string) string { return env[k] }
	s, _, err := ParseSettings("serve", nil, getenv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9999", s.Listen)
	assert.Equal(t, "/env/data", s.DataDir)
	assert.Equal(t, "/env/data/workspaces", s.WorkspacesDir)
	assert.Equal(t, "/env/data/users.json", s.UsersFile)
	assert.Equal(t, "/env/data/released", s.ReleaseDir)
	assert.Equal(t, 5*time.Minute, s.UploadRetry)
	assert.True(t, s.JobServer())
	assert.False(t, s.usersFileSet)
	assert.Equal(t, []string{"https://a.example.org", "https://b.example.org"}, s.AllowedOrigins)
	assert.Equal(t, 3, s.RequiredReviews)

	s, _, err = ParseSettings("serve", []string{"--listen", ":8081", "--data-dir", "/flag/data", "--upload-retry", "10s",
		"--workspaces", "/ws", "--users", "/u.json", "--release-dir", "/out", "--required-reviews", "1",
		"--allowed-origin", "https://c.example.org", "--allowed-origin", "https://d.example.org,https://e.example.org"}, getenv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, ":8081", s.Listen)
	assert.Equal(t, "/flag/data", s.DataDir)
	assert.Equal(t, "/ws", s.WorkspacesDir)
	assert.Equal(t, "/u.json", s.UsersFile)
	assert.Equal(t, "/out", s.ReleaseDir)
	assert.Equal(t, 10*time.Second, s.UploadRetry)
	assert.Equal(t, 1, s.RequiredReviews)
	assert.True(t, s.usersFileSet)
	assert.Equal(t, []string{"https://c.example.org", "https://d.example.org", "https://e.example.org"}, s.AllowedOrigins)

	s, _, err = ParseSettings("serve", nil, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, DefaultListen, s.Listen)
	assert.Equal(t, "airlock-data", filepath.Clean(s.DataDir))
	assert.Equal(t, 60*time.Second, s.UploadRetry)
	assert.Equal(t, 2, s.RequiredReviews)
	assert.False(t, s.JobServer())
}

func TestDemo(t *testing.T) {
	d := filepath.Join(t.TempDir(), "data")
	env, stdout, _ := testEnv(nil)
	env.Program = "./bin/airlock"
	require.NoError(t, Run(context.Background(), env, []string{"demo", "--data-dir", d}))
	out := stdout.String()
	for _, u := range demoUsers {
		assert.Regexp(t, `(?m)^  `+u.name+` +`+u.token+` `, out)
	}
	assert.Contains(t, out, "http://127.0.0.1:8080")
	// the commands it prints are the binary as it was started, not a bare "airlock"
	assert.Contains(t, out, "Start the server:\n  ./bin/airlock serve --data-dir "+d+" --listen 127.0.0.1:8080\n")
	assert.Contains(t, out, "Single-use tokens: ./bin/airlock token USER --data-dir "+d)
	assert.NotRegexp(t, `(?m)^\s+airlock `, out)
	notes, err := os.ReadFile(filepath.Join(d, DemoLoginFile))
	require.NoError(t, err, "the login notes are kept for later starts")
	// they say how to log in, not how to start the server (make run starts it itself)
	assert.True(t, strings.HasSuffix(out, string(notes)), "the notes are the end of demo's output:\n%s", notes)
	assert.NotContains(t, string(notes), "Start the server")
	assert.Contains(t, string(notes), "alice")

	// Every manifest entry matches its file.
	for _, ws := range []string{"heart-failure-study", "diabetes-cohort", "covid-vaccine-archive"} {
		data, err := os.ReadFile(filepath.Join(d, "workspaces", ws, "metadata", "manifest.json"))
		require.NoError(t, err)
		var m struct {
			Outputs map[string]struct {
				Size        int64  `json:"size"`
				ContentHash string `json:"content_hash"`
				Excluded    bool   `json:"excluded"`
			} `json:"outputs"`
		}
		require.NoError(t, json.Unmarshal(data, &m))
		require.NotEmpty(t, m.Outputs)
		for p, o := range m.Outputs {
			if o.Excluded {
				assert.FileExists(t, filepath.Join(d, "workspaces", ws, p+".txt"))
				continue
			}
			content, err := os.ReadFile(filepath.Join(d, "workspaces", ws, p))
			require.NoError(t, err, p)
			assert.Equal(t, o.Size, int64(len(content)), p)
			assert.Equal(t, auth.HashSecret(string(content)), o.ContentHash, p)
		}
	}
	assert.NoFileExists(t, filepath.Join(d, "workspaces", "shared-scratch", "metadata", "manifest.json"))
	png, err := os.ReadFile(filepath.Join(d, "workspaces", "heart-failure-study", "output", "figures", "admissions_over_time.png"))
	require.NoError(t, err)
	assert.Equal(t, "\x89PNG\r\n\x1a\n", string(png[:8]))
	logText, err := os.ReadFile(filepath.Join(d, "workspaces", "heart-failure-study", "metadata", "generate_tables.log"))
	require.NoError(t, err)
	assert.Contains(t, string(logText), "=============JOB SUMMARY=============\n")

	// The users file loads, and the service shows each user what the roles say.
	b, err := Open(mustSettings(t, "--data-dir", d), nil)
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()
	for user, want := range map[string]int{"alice": 4, "olivia": 4, "carmen": 4, "colin": 2, "rita": 4, "oliver": 0} {
		sess, err := b.Auth.Login(ctx, user, user+"-demo", "")
		require.NoError(t, err, user)
		list, err := b.Service.ListWorkspaces(ctx, sess.User)
		require.NoError(t, err, user)
		assert.Len(t, list, want, user)
	}
	tree, err := b.Service.ListTree(ctx, airlock.SystemUser(), "shared-scratch", "", true)
	require.NoError(t, err)
	assert.NotEmpty(t, tree, "the plain folder is browsable")

	_, _, err = runCmd(t, "demo", "--data-dir", d)
	require.ErrorContains(t, err, "--force")
	_, _, err = runCmd(t, "demo", "--data-dir", d, "--force")
	require.NoError(t, err)
}

func mustSettings(t *testing.T, args ...string) Settings {
	t.Helper()
	s, _, err := ParseSettings("test", args, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	return s
}

func TestToken(t *testing.T) {
	d := demoDir(t)
	out, errOut, err := runCmd(t, "token", "alice", "--data-dir", d)
	require.NoError(t, err)
	tok := strings.TrimSpace(out)
	assert.Regexp(t, `^[a-z2-7]{4}(-[a-z2-7]{4}){3}$`, tok)
	assert.Contains(t, errOut, "Single-use login token for alice")

	s := startServe(t, "--data-dir", d)
	login(t, s.url, "alice", tok)
	resp, err := http.Post(s.url+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username": "alice", "token": "`+tok+`"}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "single use")

	_, _, err = runCmd(t, "token", "mallory", "--data-dir", d)
	require.ErrorContains(t, err, `Unknown user "mallory"`)
	_, _, err = runCmd(t, "token", "--data-dir", d)
	require.ErrorIs(t, err, errUsage)
}

func TestAuditAndRequestClose(t *testing.T) {
	d := demoDir(t)
	ctx := context.Background()
	core, err := OpenCore(mustSettings(t, "--data-dir", d), nil)
	require.NoError(t, err)
	alice := demoUserRecord("alice")
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	id := view.Request.ID
	_, err = core.Service.AddFiles(ctx, alice, id, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv", FileType: airlock.FileTypeOutput}})
	require.NoError(t, err)
	require.NoError(t, core.Close())

	out, _, err := runCmd(t, "audit", "--data-dir", d)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: ([A-Z_]+) +user=alice workspace=heart-failure-study request=` + id)
	assert.Regexp(t, line, lines[0])
	assert.Contains(t, lines[0], "REQUEST_FILE_ADD")
	assert.Contains(t, lines[0], "path=output/tables/admissions_by_age.csv")
	assert.Contains(t, lines[0], "group=tables")
	assert.Contains(t, lines[1], "REQUEST_CREATE")
	assert.Equal(t, strings.Index(lines[0], "user="), strings.Index(lines[1], "user="), "the type column is padded")

	out, _, err = runCmd(t, "audit", "--data-dir", d, "--user", "olivia")
	require.NoError(t, err)
	assert.Empty(t, out)
	out, _, err = runCmd(t, "audit", "--data-dir", d, "--request", id, "--limit", "1")
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(out, "\n"))

	// Close the request as an operator.
	_, _, err = runCmd(t, "request", "close", id, "--data-dir", d, "--status", "WITHDRAWN")
	require.ErrorContains(t, err, "--reason is required")
	_, _, err = runCmd(t, "request", "close", id, "--data-dir", d, "--status", "APPROVED", "--reason", "x")
	require.ErrorContains(t, err, "REJECTED or WITHDRAWN")
	_, _, err = runCmd(t, "request", "close", "no-such-id", "--data-dir", d, "--status", "REJECTED", "--reason", "stuck", "--operator", "olivia")
	require.Error(t, err)
	assert.Equal(t, airlock.CodeNotFound, airlock.ErrorCode(err))
	// The operator must be a known user: $USER "ops" is not in the users file.
	env, _, _ := testEnv(map[string]string{"USER": "ops"})
	err = Run(ctx, env, []string{"request", "close", id, "--data-dir", d, "--status", "rejected", "--reason", "stuck for months"})
	require.Error(t, err)
	assert.Equal(t, `invalid: --operator "ops" is not a known user (not in the users file, and never logged in through job-server); nothing was changed`, err.Error())
	env, stdout, _ := testEnv(map[string]string{"USER": "ops"})
	require.NoError(t, Run(ctx, env, []string{"request", "close", id, "--data-dir", d, "--status", "rejected", "--reason", "stuck for months", "--operator", "olivia"}))
	assert.Contains(t, stdout.String(), "closed as REJECTED by olivia")
	assert.Contains(t, stdout.String(), "its job-server notification is queued: the running server sends it")
	out, _, err = runCmd(t, "audit", "--data-dir", d, "--limit", "1")
	require.NoError(t, err)
	assert.Contains(t, out, "REQUEST_FORCE_CLOSE")
	assert.Contains(t, out, "user=olivia")
	assert.Contains(t, out, `reason="stuck for months"`)
	_, _, err = runCmd(t, "request", "close", id, "--data-dir", d, "--status", "WITHDRAWN", "--reason", "again", "--operator", "olivia")
	assert.Equal(t, airlock.CodeInvalidState, airlock.ErrorCode(err))

	// --verify: intact, then broken by editing a row behind the store's back.
	out, _, err = runCmd(t, "audit", "--data-dir", d, "--verify")
	require.NoError(t, err)
	assert.Equal(t, "audit log intact: 3 events checked\n", out)
	db, err := sql.Open("sqlite3", filepath.Join(d, DatabaseFile))
	require.NoError(t, err)
	_, err = db.Exec(`DROP TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE audit_log SET username = 'mallory' WHERE type = 'REQUEST_FILE_ADD'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, _, err = runCmd(t, "audit", "--data-dir", d, "--verify")
	require.ErrorContains(t, err, "tampered with: event 2")
}

func TestVersionAndUsage(t *testing.T) {
	env, out, _ := testEnv(nil)
	env.Version = "v1.2.3"
	require.NoError(t, Run(context.Background(), env, []string{"version"}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, "airlock v1.2.3", lines[0])
	assert.Regexp(t, `^commit \S+`, lines[1])
	assert.Regexp(t, `^go1\.\d+`, lines[2])

	_, _, err := runCmd(t)
	require.ErrorIs(t, err, errUsage)
	_, _, err = runCmd(t, "frobnicate")
	require.ErrorIs(t, err, errUsage)
	_, _, err = runCmd(t, "desktop")
	require.ErrorContains(t, err, "desktop tags")
	out2, _, err := runCmd(t, "help")
	require.NoError(t, err)
	assert.Contains(t, out2, "airlock serve")
}
