package replicatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/internal/testbin"
)

// bin is the airlock binary TestMain builds once.
var bin string

// TestMain builds the binary, runs the tests and removes the binary. The private
// PostgreSQL cluster, if pgtest started one, is stopped by pgtest's watchdog when the test
// process ends.
func TestMain(m *testing.M) {
	code := func() int {
		tmp, err := os.MkdirTemp("", "airlock-replica-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "airlock")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/trelab/airlock")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building airlock: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

const (
	workspace = "study"
	apiToken  = "backend-token"
)

// outputs are the workspace's files (a plain folder: every file is an output).
var outputs = map[string]string{
	"output/counts.csv":    "group,n\na,15\nb,20\n",
	"output/rates.csv":     "group,rate\na,0.5\nb,0.25\n",
	"output/summary.txt":   "Everything rounded to 5.\n",
	"output/ages.csv":      "age,n\n20-29,10\n30-39,25\n",
	"output/later/tab.csv": "k,v\nx,30\n",
}

// cluster is the shared part: database, data folder, workspaces, job-server.
type cluster struct {
	t        testing.TB
	db       string
	data     string
	wsRoot   string
	fake     *fakejobserver.Server
	accounts []string
	// outbox, when set, has the servers release to the outbox folder in the shared data
	// folder (<data>/released) instead of job-server; users log in with the users file.
	outbox bool
}

func newCluster(t testing.TB) *cluster {
	c := &cluster{t: t, db: pgtest.New(t), data: t.TempDir(), wsRoot: t.TempDir(),
		fake: fakejobserver.New(t, apiToken), accounts: []string{"alice", "olivia", "oscar"}}
	c.fake.AddWorkspace(workspace)
	for p, body := range outputs {
		full := filepath.Join(c.wsRoot, workspace, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(body), 0o644))
	}
	entry := map[string]any{"project_details": map[string]any{"name": "Replica study", "ongoing": true, "orgs": []string{}}, "archived": false}
	users := map[string]any{}
	for _, name := range c.accounts {
		checker := name != "alice"
		grants := map[string]any{}
		if !checker {
			grants[workspace] = entry
		}
		users[name] = map[string]any{"token": name + "-token", "details": map[string]any{
			"username": name, "fullname": name, "output_checker": checker, "readonly_access": false,
			"workspaces": grants, "copiloted_workspaces": map[string]any{}}}
		c.fake.AddUser(name, map[string]any{"fullname": name, "output_checker": checker, "readonly_access": false,
			"workspaces": grants})
	}
	data, err := json.Marshal(users)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(c.data, "users.json"), data, 0o600))
	return c
}

// dbURL is the database URL with an application name, so the test can tell which server
// holds a claim.
func (c *cluster) dbURL(name string) string {
	u, err := url.Parse(c.db)
	require.NoError(c.t, err)
	q := u.Query()
	q.Set("application_name", "airlock-"+name)
	u.RawQuery = q.Encode()
	return u.String()
}

// settings are the flags every command of a server named name gets.
func (c *cluster) settings(name string) []string {
	s := []string{"--database", c.dbURL(name), "--data-dir", c.data, "--workspaces", c.wsRoot,
		"--users", filepath.Join(c.data, "users.json"), "--log-format", "json"}
	if c.outbox {
		return append(s, "--release-dir", filepath.Join(c.data, "released"))
	}
	return append(s, "--api-endpoint", c.fake.URL, "--api-token", apiToken)
}

// server is one `airlock serve` process.
type server struct {
	name string
	base string
	addr string
	proc *testbin.Proc
}

// start starts a server on a free loopback port and waits until /healthz answers. A failed
// upload is attempted again after 3 s (long enough for the kill test to let go of the
// stand-in's hanging calls first).
func (c *cluster) start(name string) *server {
	t := c.t
	addr, err := testbin.FreeAddr()
	require.NoError(t, err)
	args := append([]string{"serve", "--listen", addr, "--upload-retry", "3s", "--check-interval", "0s"}, c.settings(name)...)
	p, err := testbin.Start(exec.Command(bin, args...))
	require.NoError(t, err)
	s := &server{name: name, base: "http://" + addr, addr: addr, proc: p}
	t.Cleanup(func() {
		if !p.Exited() {
			_ = p.Stop(syscall.SIGTERM, 30*time.Second)
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, p.Log)
		}
	})
	_, err = p.WaitHealthy(addr, 2*time.Minute)
	require.NoError(t, err, "%s did not start: %s", name, p.Log)
	return s
}

// command runs one airlock command on the cluster's data.
func (c *cluster) command(args ...string) (string, error) {
	cmd := exec.Command(bin, append(args, c.settings("cli")...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, errOut.String())
	}
	return out.String(), err
}

// session is a logged-in user: the cookie works on every server.
type session struct {
	user, cookie, csrf string
}

var client = &http.Client{Timeout: 2 * time.Minute}

// call makes one API call on s; out, when set, receives the JSON answer. A call that gets
// no answer is status 0 with the error as the body.
func call(t testing.TB, s *server, who *session, method, path string, in, out any) (int, string) {
	t.Helper()
	status, body, err := try(s, who, method, path, in, out)
	require.NoError(t, err)
	return status, body
}

// try is call without a test to fail, for conditions polled by Eventually (which run on
// another goroutine): a request that cannot be made or an answer that cannot be read is err.
func try(s *server, who *session, method, path string, in, out any) (int, string, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, "", err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		return 0, "", err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != nil {
		req.Header.Set("Cookie", "airlock_session="+who.cookie)
		req.Header.Set("X-CSRF-Token", who.csrf)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return 0, "", fmt.Errorf("%s %s: %w: %s", method, path, err, data)
		}
	}
	return res.StatusCode, string(data), nil
}

// must is call that requires a 2xx answer.
func must(t testing.TB, s *server, who *session, method, path string, in, out any) {
	t.Helper()
	status, body := call(t, s, who, method, path, in, out)
	require.True(t, status >= 200 && status < 300, "%s %s on %s as %s: %d %s", method, path, s.name, who.user, status, body)
}

func login(t testing.TB, s *server, user, token string) (*session, int) {
	t.Helper()
	req, err := http.NewRequest("POST", s.base+"/api/v1/auth/login",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"token":%q}`, user, token)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out struct {
		CSRF string `json:"csrfToken"`
	}
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return nil, res.StatusCode
	}
	require.NoError(t, json.Unmarshal(data, &out))
	se := &session{user: user, csrf: out.CSRF}
	for _, c := range res.Cookies() {
		if c.Name == "airlock_session" {
			se.cookie = c.Value
		}
	}
	require.NotEmpty(t, se.cookie)
	return se, 200
}

// reqView is the part of the Request shape the test reads.
type reqView struct {
	ID                 string   `json:"id"`
	Status             string   `json:"status"`
	SubmittedReviewers []string `json:"submittedReviewers"`
	Groups             []struct {
		Files []struct {
			Path     string `json:"path"`
			Released bool   `json:"released"`
			Uploaded bool   `json:"uploaded"`
		} `json:"files"`
	} `json:"groups"`
}

func (r reqView) paths() []string {
	var out []string
	for _, g := range r.Groups {
		for _, f := range g.Files {
			out = append(out, f.Path)
		}
	}
	return out
}

func getRequest(t testing.TB, s *server, who *session, id string) reqView {
	t.Helper()
	var r reqView
	must(t, s, who, "GET", "/api/v1/requests/"+id, nil, &r)
	return r
}

// frame is one live event read from a socket.
type frame struct {
	Type      string `json:"type"`
	RequestID string `json:"requestId"`
	Workspace string `json:"workspace"`
	Status    string `json:"status"`
	at        time.Time
	closed    *websocket.CloseError
}

// socket is a live-events WebSocket of a session on one server, read on a goroutine.
type socket struct {
	conn   *websocket.Conn
	frames chan frame
}

func dial(t testing.TB, s *server, who *session) *socket {
	t.Helper()
	h := http.Header{"Cookie": {"airlock_session=" + who.cookie}, "Origin": {s.base}}
	conn, res, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/api/v1/events", h)
	require.NoError(t, err)
	_ = res.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	so := &socket{conn: conn, frames: make(chan frame, 1024)}
	go func() {
		defer close(so.frames)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				if ce, ok := err.(*websocket.CloseError); ok {
					so.frames <- frame{closed: ce}
				}
				return
			}
			var f frame
			if json.Unmarshal(data, &f) == nil {
				f.at = time.Now()
				so.frames <- f
			}
		}
	}()
	f := so.next(t, "hello", func(f frame) bool { return true })
	require.Equal(t, "hello", f.Type)
	return so
}

// next waits for the first frame that matches (skipping the others).
func (so *socket) next(t testing.TB, what string, match func(frame) bool) frame {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case f, ok := <-so.frames:
			if !ok {
				t.Fatalf("socket ended while waiting for %s", what)
			}
			if match(f) {
				return f
			}
		case <-deadline:
			t.Fatalf("no %s within a minute", what)
		}
	}
}

// How long a condition is awaited (require.Eventually and EventuallyWithT) and how often
// it is checked again: a condition, never a fixed sleep.
const (
	waitFor = 2 * time.Minute
	tick    = 50 * time.Millisecond
)

// requireStatus waits until s shows request id at status (read as who), and says which
// status it showed last when it gives up.
func requireStatus(t testing.TB, s *server, who *session, id, status string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var r reqView
		code, body, err := try(s, who, "GET", "/api/v1/requests/"+id, nil, &r)
		if !assert.NoError(c, err) || !assert.Equal(c, 200, code, body) {
			return
		}
		assert.Equal(c, status, r.Status)
	}, waitFor, tick, "waiting for request %s to be %s on %s", id, status, s.name)
}

// review has a checker approve every file and submit the review, on server s.
func review(t testing.TB, s *server, who *session, id string) {
	t.Helper()
	r := getRequest(t, s, who, id)
	must(t, s, who, "POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": r.paths(), "vote": "APPROVED"}, nil)
	must(t, s, who, "POST", "/api/v1/requests/"+id+"/review", nil, nil)
}

// addFiles adds files to the request (group "results") and describes the group.
func addFiles(t testing.TB, s *server, who *session, id string, paths ...string) {
	t.Helper()
	var files []map[string]string
	for _, p := range paths {
		files = append(files, map[string]string{"path": p, "fileType": "OUTPUT"})
	}
	must(t, s, who, "POST", "/api/v1/requests/"+id+"/files", map[string]any{"group": "results", "files": files}, nil)
	must(t, s, who, "PATCH", "/api/v1/requests/"+id+"/groups/results",
		map[string]string{"context": "Counts by group", "controls": "Rounded to 5, no cell under 10"}, nil)
}

// The whole workflow across two servers on one database and one data folder.
func TestTwoServers(t *testing.T) {
	c := newCluster(t)
	a, b := c.start("a"), c.start("b")

	// A session started on A is accepted by B.
	alice, status := login(t, a, "alice", "alice-token")
	require.Equal(t, 200, status)
	var me struct {
		User struct {
			Username string `json:"username"`
		} `json:"user"`
	}
	must(t, b, alice, "GET", "/api/v1/auth/me", nil, &me)
	assert.Equal(t, "alice", me.User.Username, "A's cookie works on B")
	olivia, _ := login(t, b, "olivia", "olivia-token")
	oscar, _ := login(t, a, "oscar", "oscar-token")

	// A single-use token from the command line is used once, on either server.
	out, err := c.command("token", "oscar")
	require.NoError(t, err)
	token := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	require.NotEmpty(t, token, "token output: %q", out)
	_, status = login(t, b, "oscar", token)
	require.Equal(t, 200, status, "the token works once (on B): output %q", out)
	_, status = login(t, a, "oscar", token)
	require.Equal(t, 401, status, "and not again (on A)")

	// The checker's socket on B.
	live := dial(t, b, olivia)

	// The researcher works on A; B's view of the request follows (the view cache there
	// sees changes committed on A).
	var r reqView
	must(t, a, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	id := r.ID
	addFiles(t, a, alice, id, "output/counts.csv", "output/rates.csv")
	assert.ElementsMatch(t, []string{"output/counts.csv", "output/rates.csv"}, getRequest(t, b, alice, id).paths())
	addFiles(t, a, alice, id, "output/summary.txt", "output/ages.csv")
	assert.Len(t, getRequest(t, b, alice, id).paths(), 4, "B's cached view saw the files added on A")

	// Submitted on A: B's socket is told.
	must(t, a, alice, "POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	live.next(t, "request.changed SUBMITTED from A", func(f frame) bool {
		return f.Type == "request.changed" && f.RequestID == id && f.Status == "SUBMITTED"
	})

	// Checkers on B and on A.
	review(t, b, olivia, id)
	review(t, a, oscar, id)
	live.next(t, "request.changed REVIEWED", func(f frame) bool {
		return f.Type == "request.changed" && f.RequestID == id && f.Status == "REVIEWED"
	})

	// Released on B with both servers running: every file delivered exactly once.
	must(t, b, olivia, "POST", "/api/v1/requests/"+id+"/release", nil, nil)
	requireStatus(t, a, alice, id, "RELEASED")
	rel, ok := c.fake.ReleaseFor(id)
	require.True(t, ok)
	require.Len(t, rel.Files, 4)
	for p, f := range rel.Files {
		assert.Equal(t, 1, f.Stored, "%s stored once", p)
		assert.Zero(t, f.Refused, "%s never sent twice", p)
		assert.Equal(t, outputs[p], string(f.Content), p)
	}
	assert.Equal(t, 4, c.fake.Calls(fakejobserver.Upload), "one upload call per file across both servers")
	assertNotifiedOnce(t, c.fake, id)

	// Logging out on A ends the session on B at once: its socket there is closed as logged
	// out, and the cookie is refused.
	aliceLive := dial(t, b, alice)
	must(t, a, alice, "POST", "/api/v1/auth/logout", nil, nil)
	f := aliceLive.next(t, "the logged-out close", func(f frame) bool { return f.closed != nil })
	assert.Equal(t, 4401, f.closed.Code)
	status, _ = call(t, b, alice, "GET", "/api/v1/auth/me", nil, nil)
	assert.Equal(t, 401, status)

	// The servers count what crossed between them.
	for _, s := range []*server{a, b} {
		status, body := call(t, s, nil, "GET", "/metrics", nil, nil)
		require.Equal(t, 200, status)
		assert.Contains(t, body, "airlock_live_bus_listening 1", s.name)
		assert.NotContains(t, body, "airlock_live_bus_received_total 0\n", s.name)
		assert.Contains(t, body, "airlock_live_bus_gaps_total 0\n", s.name)
	}

	// The login limit holds for the servers together (the failures are in the database):
	// 3 failures on A and 2 on B lock olivia out on both, at once.
	fails := func(s *server, n int) {
		for range n {
			_, status := login(t, s, "olivia", "wrong-token")
			require.Equal(t, 401, status, "a wrong token on %s", s.name)
		}
	}
	fails(a, 3)
	fails(b, 2)
	for _, s := range []*server{a, b} {
		_, status = login(t, s, "olivia", "olivia-token")
		assert.Equal(t, 429, status, "five failures across the two servers lock the user out on %s", s.name)
	}

	// A forced close from the command line (another process) reaches B's socket.
	alice, _ = login(t, b, "alice", "alice-token")
	must(t, b, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	addFiles(t, b, alice, r.ID, "output/later/tab.csv")
	must(t, b, alice, "POST", "/api/v1/requests/"+r.ID+"/submit", nil, nil)
	_, err = c.command("request", "close", r.ID, "--status", "WITHDRAWN", "--reason", "replica test", "--operator", "olivia")
	require.NoError(t, err)
	live.next(t, "request.changed WITHDRAWN from the command", func(f frame) bool {
		return f.Type == "request.changed" && f.RequestID == r.ID && f.Status == "WITHDRAWN"
	})

	// A server started after the failures refuses olivia too: it heard none of them, and
	// needs not to.
	late := c.start("c")
	_, status = login(t, late, "olivia", "olivia-token")
	assert.Equal(t, 429, status, "a server started after the failures counts them")
}

// assertNotifiedOnce checks that job-server heard each status change of request id once.
func assertNotifiedOnce(t testing.TB, fake *fakejobserver.Server, id string) {
	t.Helper()
	var seen map[string]int
	count := func() {
		seen = map[string]int{}
		for _, ev := range fake.Events() {
			if ev.Body["request"] == id {
				seen[fmt.Sprint(ev.Body["event_type"])]++
			}
		}
	}
	// Notifications leave after commit, from the server that made the change.
	require.Eventually(t, func() bool { count(); return seen["request_released"] > 0 }, waitFor, tick,
		"waiting for the release notification of %s", id)
	require.Contains(t, seen, "request_submitted")
	for tp, n := range seen {
		assert.Equal(t, 1, n, "%s notified once", tp)
	}
}

// A server killed while it uploads (SIGKILL, its claim held) is taken over by the other:
// the file is delivered once and the request released.
func TestKilledServerUploadTakenOver(t *testing.T) {
	c := newCluster(t)
	servers := map[string]*server{"a": c.start("a"), "b": c.start("b")}
	a, b := servers["a"], servers["b"]
	alice, _ := login(t, a, "alice", "alice-token")
	olivia, _ := login(t, b, "olivia", "olivia-token")
	oscar, _ := login(t, a, "oscar", "oscar-token")
	var r reqView
	must(t, a, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	id := r.ID
	addFiles(t, a, alice, id, "output/counts.csv")
	must(t, a, alice, "POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	review(t, b, olivia, id)
	review(t, a, oscar, id)

	// Uploads hang: whichever server claims the file is caught mid-upload.
	c.fake.Hang(fakejobserver.Upload, false)
	must(t, b, olivia, "POST", "/api/v1/requests/"+id+"/release", nil, nil)
	select {
	case e := <-c.fake.Hanging():
		require.Equal(t, fakejobserver.Upload, e)
	case <-time.After(2 * time.Minute):
		t.Fatal("no upload started")
	}
	holder := claimHolder(t, c.db)
	require.Contains(t, servers, holder, "the claim is held by a server")
	var other *server
	for name, s := range servers {
		if name != holder {
			other = s
		}
	}
	require.NoError(t, servers[holder].proc.Cmd.Process.Signal(syscall.SIGKILL))
	require.Eventually(t, servers[holder].proc.Exited, waitFor, tick, "waiting for the end of the killed server %s", holder)
	c.fake.Unhang()

	requireStatus(t, other, alice, id, "RELEASED")
	rel, ok := c.fake.ReleaseFor(id)
	require.True(t, ok)
	f := rel.Files["output/counts.csv"]
	require.NotNil(t, f)
	assert.Equal(t, 1, f.Stored, "stored once")
	assert.Equal(t, outputs["output/counts.csv"], string(f.Content))
	assert.Equal(t, 2, c.fake.Calls(fakejobserver.Upload), "the killed attempt and the other server's")
	assert.Equal(t, "", claimHolder(t, c.db), "no claim left")
}

// claimHolder names the server ("a", "b") holding a claim, or "". Claims are the session
// advisory locks of the connections named after a server (the store's own connections, whose
// write transactions take an advisory lock too, are named "airlock").
func claimHolder(t testing.TB, db string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, db)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var names []string
	// A notification's claim is held only while it is sent: wait for those to end.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		names = nil
		rows, err := conn.Query(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()
			  AND a.application_name LIKE 'airlock-%'`)
		if !assert.NoError(c, err) {
			return
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if !assert.NoError(c, rows.Scan(&n)) {
				return
			}
			names = append(names, strings.TrimPrefix(n, "airlock-"))
		}
		if assert.NoError(c, rows.Err()) {
			assert.LessOrEqual(c, len(names), 1, "claims held: %v", names)
		}
	}, waitFor, tick, "waiting for one claim at a time")
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// eventTypes are the notifications job-server handled for request id, in order.
func eventTypes(fake *fakejobserver.Server, id string) []string {
	var out []string
	for _, ev := range fake.Events() {
		if ev.Body["request"] == id {
			out = append(out, fmt.Sprint(ev.Body["event_type"]))
		}
	}
	return out
}

// lastEventAt is when job-server handled request id's latest notification.
func lastEventAt(fake *fakejobserver.Server, id string) time.Time {
	var at time.Time
	for _, ev := range fake.Events() {
		if ev.Body["request"] == id {
			at = ev.At
		}
	}
	return at
}

// A server killed while it sends a notification (job-server handled it, the answer never
// came), with the request's later notifications queued behind it: the other server
// delivers each later one once, in order, and never resends the one that may have been
// handled: it is recorded on the request as of unknown outcome.
func TestKilledServerNotificationsTakenOver(t *testing.T) {
	c := newCluster(t)
	servers := map[string]*server{"a": c.start("a"), "b": c.start("b")}
	a, b := servers["a"], servers["b"]
	alice, _ := login(t, a, "alice", "alice-token")
	olivia, _ := login(t, b, "olivia", "olivia-token")
	oscar, _ := login(t, a, "oscar", "oscar-token")
	var r reqView
	must(t, a, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	id := r.ID
	addFiles(t, a, alice, id, "output/counts.csv")
	submitting := time.Now()
	must(t, a, alice, "POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	require.Eventually(t, func() bool { return len(eventTypes(c.fake, id)) == 1 }, waitFor, tick,
		"waiting for request_submitted to be delivered")
	t.Logf("from the submit call to job-server handling its notification: %v",
		lastEventAt(c.fake, id).Sub(submitting).Round(time.Millisecond))

	// job-server handles the next notification and its answer never comes: whichever
	// server sends it is caught holding its claim.
	c.fake.Hang(fakejobserver.Events, true)
	review(t, b, olivia, id)
	select {
	case e := <-c.fake.Hanging():
		require.Equal(t, fakejobserver.Events, e)
	case <-time.After(2 * time.Minute):
		t.Fatal("no notification sent")
	}
	holder := claimHolder(t, c.db)
	require.Contains(t, servers, holder, "the claim is held by a server")
	var other *server
	for name, s := range servers {
		if name != holder {
			other = s
		}
	}
	// Later status changes queue behind it (their request's order holds).
	review(t, a, oscar, id)
	must(t, b, olivia, "POST", "/api/v1/requests/"+id+"/return", nil, nil)
	assert.Equal(t, []string{"request_submitted", "request_partially_reviewed"}, eventTypes(c.fake, id),
		"nothing overtakes the notification being sent")

	require.NoError(t, servers[holder].proc.Cmd.Process.Signal(syscall.SIGKILL))
	killed := time.Now()
	require.Eventually(t, servers[holder].proc.Exited, waitFor, tick, "waiting for the end of the killed server %s", holder)
	c.fake.Unhang()

	want := []string{"request_submitted", "request_partially_reviewed", "request_reviewed", "request_returned"}
	require.Eventually(t, func() bool { return len(eventTypes(c.fake, id)) >= len(want) }, waitFor, tick,
		"waiting for the queued notifications to be delivered by %s", other.name)
	t.Logf("from the kill to job-server handling the last queued notification, sent by %s: %v", other.name,
		lastEventAt(c.fake, id).Sub(killed).Round(time.Millisecond))
	assert.Equal(t, want, eventTypes(c.fake, id), "each once, in order: the held one never resent")

	out, err := c.command("audit", "--request", id)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(out, "REQUEST_NOTIFICATION_UNKNOWN"), "the held one recorded on the request: %s", out)
	assert.Contains(t, out, "request_partially_reviewed")

	status, body := call(t, other, nil, "GET", "/metrics", nil, nil)
	require.Equal(t, 200, status)
	assert.Contains(t, body, "airlock_notifications_queued 0\n")
	assert.Contains(t, body, "airlock_notifications_unknown_total 1\n")
}
