package crashtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/internal/testbin"
)

// bin is the airlock binary TestMain builds.
var bin string

func TestMain(m *testing.M) {
	code := func() int {
		tmp, err := os.MkdirTemp("", "airlock-crash-bin-")
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

// envInt reads a positive whole number from the environment, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// phases are the operations a trial kills the server during.
var phases = []string{"add", "submit", "review", "release", "upload"}

const (
	workspace = "crash-study"
	bigPath   = "output/big.csv"
)

var smallFiles = map[string]string{
	"output/counts.csv": "group,count\na,120\nb,240\n",
	"output/rates.csv":  "group,rate\na,0.12\nb,0.24\n",
}

// outcome is what one trial saw.
type outcome struct {
	phase, point string
	// leftovers are the problems `airlock check` saw right after the kill (temporary files,
	// copies of adds that never committed, interrupted deliveries).
	leftovers  int
	consistent bool
}

// TestCrashTrials runs CRASH_TRIALS trials (5 by default: each phase once), each killing the
// server once at a random point of one phase, and reports consistent / total and leftovers.
func TestCrashTrials(t *testing.T) {
	trials := envInt("CRASH_TRIALS", 5)
	mb := envInt("CRASH_FILE_MB", 32)
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("crash trials: %d, big file %d MiB, seed %d (CRASH_SEED reruns them)", trials, mb, seed)
	big := bigContent(mb << 20)
	var outcomes []outcome
	for i := range trials {
		phase := phases[i%len(phases)]
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		o := outcome{phase: phase}
		ok := t.Run(fmt.Sprintf("%02d-%s", i, phase), func(t *testing.T) {
			runTrial(t, &o, rng, big)
		})
		o.consistent = ok
		outcomes = append(outcomes, o)
	}
	consistent, killedWithLeftovers, leftovers := 0, 0, 0
	for _, o := range outcomes {
		if o.consistent {
			consistent++
		}
		if o.leftovers > 0 {
			killedWithLeftovers++
			leftovers += o.leftovers
		}
	}
	summary := fmt.Sprintf("crash trials: %d/%d consistent after restart; %d kills left %d leftovers, all removed by the restart's recovery (0 left after restart in consistent trials)",
		consistent, len(outcomes), killedWithLeftovers, leftovers)
	t.Log(summary)
	fmt.Println(summary)
	for i, o := range outcomes {
		fmt.Printf("  trial %02d: %-7s at %-40s leftovers after kill %d, consistent %v\n", i, o.phase, o.point, o.leftovers, o.consistent)
	}
}

// bigContent is a CSV of about n bytes whose rows are all different.
func bigContent(n int) []byte {
	var b bytes.Buffer
	b.Grow(n + 64)
	b.WriteString("id,value,checksum\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d,%d,%08x\n", i, i*7919%100003, uint32(i)*2654435761)
	}
	return b.Bytes()
}

// trial is one data folder, the server on it and the users' sessions.
type trial struct {
	t                           *testing.T
	dir, data, wsRoot, released string
	proc                        *testbin.Proc
	base                        string
	sessions                    map[string]*session
	requestID                   string
	files                       map[string]string // path → sha256 of the workspace file
	acks                        []string          // writes the server acknowledged
}

type session struct{ cookie, csrf string }

func runTrial(t *testing.T, o *outcome, rng *rand.Rand, big []byte) {
	phase := o.phase
	dir := t.TempDir()
	tr := &trial{t: t, dir: dir, data: filepath.Join(dir, "data"), wsRoot: filepath.Join(dir, "workspaces"),
		released: filepath.Join(dir, "released"), sessions: map[string]*session{}, files: map[string]string{}}
	tr.setup(big)
	tr.start()
	defer tr.kill()
	for _, u := range []string{"alice", "olivia", "oscar"} {
		tr.login(u)
	}
	var r reqView
	status, body := tr.call("alice", "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	require.Contains(t, []int{200, 201}, status, body)
	tr.requestID = r.ID
	tr.ack("request created")

	killer := tr.armKiller(phase, rng, len(big), &o.point)
	err := tr.advance(phase, killer)
	if phase == "upload" && err == nil {
		// The uploader delivers in the background: wait for the kill point, or the end.
		deadline := time.Now().Add(2 * time.Minute)
		for !killer.fired() && !tr.proc.Exited() && time.Now().Before(deadline) {
			if r, err := tr.request("alice"); err != nil || r.Status == "RELEASED" {
				break
			}
			time.Sleep(5 * time.Millisecond) // polling "killed or delivered"
		}
	}
	killer.stop()
	require.True(t, killer.fired() || err == nil, "the workflow failed without a kill: %v", err)
	if !killer.fired() {
		tr.kill() // the phase ended before the point was reached: kill now
		o.point += " (after the phase)"
	}
	_ = tr.proc.Stop(syscall.SIGKILL, 10*time.Second)

	// What the kill left, before any recovery: check counts it (0 grace: everything counts).
	out, _ := tr.command("check", "--quick", "--recovery-grace", "0s")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(l, "temporary file") || strings.Contains(l, "no file of the request refers to") {
			o.leftovers++
		}
	}
	t.Logf("killed during %s at %s; %d leftovers: %s", phase, o.point, o.leftovers, out)

	// Restart: nothing acknowledged is lost, and the workflow completes.
	tr.start()
	tr.checkAcks()
	require.NoError(t, tr.advance("", nil), "the workflow completes after the restart")
	tr.waitReleased()
	require.NoError(t, tr.proc.Stop(syscall.SIGTERM, 30*time.Second), "graceful stop: %s", tr.proc.Log)

	out, err = tr.command("check", "--recovery-grace", "0s")
	require.NoError(t, err, "airlock check after the restart: %s", out)
	assert.Contains(t, out, "consistent: ")
	assert.NotContains(t, out, "recent", "nothing left behind, even younger than the grace period")
	out, err = tr.command("audit", "--verify")
	require.NoError(t, err, "airlock audit --verify: %s", out)
	tr.checkExactlyOnce()
}

// setup writes the workspace (a plain folder, no manifest), the users file and the big file.
func (tr *trial) setup(big []byte) {
	t := tr.t
	ws := filepath.Join(tr.wsRoot, workspace)
	files := map[string][]byte{bigPath: big}
	for p, c := range smallFiles {
		files[p] = []byte(c)
	}
	for p, c := range files {
		full := filepath.Join(ws, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, c, 0o644))
		sum := sha256.Sum256(c)
		tr.files[p] = hex.EncodeToString(sum[:])
	}
	entry := map[string]any{"project_details": map[string]any{"name": "Crash study", "ongoing": true, "orgs": []string{}}, "archived": false}
	user := func(name string, checker bool, workspaces map[string]any) map[string]any {
		return map[string]any{"token": name + "-token", "details": map[string]any{
			"username": name, "fullname": name, "output_checker": checker, "readonly_access": false,
			"workspaces": workspaces, "copiloted_workspaces": map[string]any{}}}
	}
	users := map[string]any{
		"alice":  user("alice", false, map[string]any{workspace: entry}),
		"olivia": user("olivia", true, map[string]any{}),
		"oscar":  user("oscar", true, map[string]any{}),
	}
	data, err := json.Marshal(users)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(tr.data, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(tr.data, "users.json"), data, 0o600))
}

// settings are the flags every command of a trial gets.
func (tr *trial) settings() []string {
	return []string{"--data-dir", tr.data, "--workspaces", tr.wsRoot, "--release-dir", tr.released, "--log-format", "json"}
}

// start starts `airlock serve` on a free loopback port and waits until /healthz answers.
// Leftovers are swept at once (--recovery-grace 0s) and failed uploads retried quickly.
func (tr *trial) start() {
	t := tr.t
	addr, err := testbin.FreeAddr()
	require.NoError(t, err)
	args := append([]string{"serve", "--listen", addr, "--recovery-grace", "0s", "--upload-retry", "100ms", "--check-interval", "0s"}, tr.settings()...)
	p, err := testbin.Start(exec.Command(bin, args...))
	require.NoError(t, err)
	tr.proc, tr.base = p, "http://"+addr
	_, err = p.WaitHealthy(addr, 60*time.Second)
	require.NoError(t, err, "serve did not start: %s", p.Log)
}

func (tr *trial) kill() {
	if tr.proc != nil && !tr.proc.Exited() {
		_ = tr.proc.Cmd.Process.Signal(syscall.SIGKILL)
	}
}

// command runs one airlock command on the trial's data.
func (tr *trial) command(args ...string) (string, error) {
	cmd := exec.Command(bin, append(args, tr.settings()...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, errOut.String())
	}
	return out.String(), err
}

func (tr *trial) ack(what string) { tr.acks = append(tr.acks, what) }

var client = &http.Client{Timeout: 2 * time.Minute}

// call makes one API call as user; out, when set, receives the JSON answer. A transport
// error (the server was killed, before or during its answer) is status 0.
func (tr *trial) call(user, method, path string, in, out any) (int, string) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		require.NoError(tr.t, err)
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, tr.base+path, body)
	require.NoError(tr.t, err)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s := tr.sessions[user]; s != nil {
		req.Header.Set("Cookie", "airlock_session="+s.cookie)
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		// The kill cut the answer short: a transport error too (CI saw a request view
		// polled during an upload end mid-body).
		return 0, err.Error()
	}
	if out != nil && res.StatusCode < 300 {
		require.NoError(tr.t, json.Unmarshal(data, out), "%s %s: %s", method, path, data)
	}
	for _, c := range res.Cookies() {
		if c.Name == "airlock_session" && tr.sessions[user] != nil {
			tr.sessions[user].cookie = c.Value
		}
	}
	return res.StatusCode, string(data)
}

func (tr *trial) login(user string) {
	var out struct {
		CSRF string `json:"csrfToken"`
	}
	tr.sessions[user] = &session{}
	status, body := tr.call(user, "POST", "/api/v1/auth/login", map[string]string{"username": user, "token": user + "-token"}, &out)
	require.Equal(tr.t, 200, status, body)
	tr.sessions[user].csrf = out.CSRF
	require.NotEmpty(tr.t, tr.sessions[user].cookie)
}

// reqView is the part of the Request shape the trials read.
type reqView struct {
	ID                 string   `json:"id"`
	Status             string   `json:"status"`
	SubmittedReviewers []string `json:"submittedReviewers"`
	Groups             []struct {
		Files []struct {
			Path     string  `json:"path"`
			SHA256   string  `json:"sha256"`
			MyVote   *string `json:"myVote"`
			Released bool    `json:"released"`
			Uploaded bool    `json:"uploaded"`
		} `json:"files"`
	} `json:"groups"`
}

func (tr *trial) request(user string) (reqView, error) {
	var r reqView
	status, body := tr.call(user, "GET", "/api/v1/requests/"+tr.requestID, nil, &r)
	if status != 200 {
		return r, fmt.Errorf("GET request as %s: %d %s", user, status, body)
	}
	return r, nil
}

func (r reqView) files() map[string]string {
	out := map[string]string{}
	for _, g := range r.Groups {
		for _, f := range g.Files {
			out[f.Path] = f.SHA256
		}
	}
	return out
}

// advance drives the request towards RELEASED from whatever state it is in. When killer is
// set it is triggered as the call of phase starts. It returns the first failed call's error
// (after a kill every call fails).
func (tr *trial) advance(phase string, k *killer) error {
	trigger := func(p string) {
		if k != nil && p == phase {
			k.trigger()
		}
	}
	for step := 0; step < 40; step++ {
		r, err := tr.request("alice")
		if err != nil {
			return err
		}
		switch r.Status {
		case "PENDING":
			have := r.files()
			for _, p := range []string{"output/counts.csv", "output/rates.csv", bigPath} {
				if _, ok := have[p]; ok {
					continue
				}
				if p == bigPath {
					trigger("add")
				}
				status, body := tr.call("alice", "POST", "/api/v1/requests/"+tr.requestID+"/files",
					map[string]any{"group": "results", "files": []map[string]string{{"path": p, "fileType": "OUTPUT"}}}, nil)
				if status != 201 {
					return fmt.Errorf("add %s: %d %s", p, status, body)
				}
				tr.ack("added " + p)
			}
			status, body := tr.call("alice", "PATCH", "/api/v1/requests/"+tr.requestID+"/groups/results",
				map[string]string{"context": "Counts by group", "controls": "Rounded to 5, no cell under 10"}, nil)
			if status != 200 {
				return fmt.Errorf("group context: %d %s", status, body)
			}
			trigger("submit")
			if status, body := tr.call("alice", "POST", "/api/v1/requests/"+tr.requestID+"/submit", nil, nil); status != 200 {
				return fmt.Errorf("submit: %d %s", status, body)
			}
			tr.ack("submitted")
		case "SUBMITTED", "PARTIALLY_REVIEWED":
			for _, c := range []string{"olivia", "oscar"} {
				cr, err := tr.request(c)
				if err != nil {
					return err
				}
				if contains(cr.SubmittedReviewers, c) {
					continue
				}
				var paths []string
				for _, g := range cr.Groups {
					for _, f := range g.Files {
						if f.MyVote == nil || *f.MyVote != "APPROVED" {
							paths = append(paths, f.Path)
						}
					}
				}
				trigger("review")
				if len(paths) > 0 {
					status, body := tr.call(c, "POST", "/api/v1/requests/"+tr.requestID+"/votes", map[string]any{"paths": paths, "vote": "APPROVED",
						// the big table has BLOCK warnings (too many rows): approving it needs a note
						"acknowledgement": "Seen: synthetic data of a crash trial."}, nil)
					if status != 200 {
						return fmt.Errorf("votes of %s: %d %s", c, status, body)
					}
					tr.ack("votes of " + c)
				}
				if status, body := tr.call(c, "POST", "/api/v1/requests/"+tr.requestID+"/review", nil, nil); status != 200 {
					return fmt.Errorf("review of %s: %d %s", c, status, body)
				}
				tr.ack("review of " + c)
			}
		case "REVIEWED":
			trigger("release")
			if status, body := tr.call("olivia", "POST", "/api/v1/requests/"+tr.requestID+"/release", nil, nil); status != 200 {
				return fmt.Errorf("release: %d %s", status, body)
			}
			tr.ack("released")
			trigger("upload")
		case "APPROVED", "RELEASED":
			return nil // the uploader delivers from here
		default:
			return fmt.Errorf("unexpected status %s", r.Status)
		}
	}
	return errors.New("the workflow did not finish in 40 steps")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkAcks asserts that every write acknowledged before the kill is there after it.
func (tr *trial) checkAcks() {
	t := tr.t
	r, err := tr.request("alice")
	require.NoError(t, err, "the request survives: %s", tr.proc.Log)
	files := r.files()
	after := map[string]int{"PENDING": 0, "SUBMITTED": 1, "PARTIALLY_REVIEWED": 1, "REVIEWED": 1, "APPROVED": 2, "RELEASED": 2}
	for _, a := range tr.acks {
		switch {
		case strings.HasPrefix(a, "added "):
			p := strings.TrimPrefix(a, "added ")
			assert.Equal(t, tr.files[p], files[p], "acknowledged add of %s is kept with its content", p)
		case a == "submitted":
			assert.GreaterOrEqual(t, after[r.Status], 1, "acknowledged submit is kept (status %s)", r.Status)
		case strings.HasPrefix(a, "votes of "):
			c := strings.TrimPrefix(a, "votes of ")
			cr, err := tr.request(c)
			require.NoError(t, err)
			for _, g := range cr.Groups {
				for _, f := range g.Files {
					if assert.NotNil(t, f.MyVote, "acknowledged vote of %s on %s", c, f.Path) {
						assert.Equal(t, "APPROVED", *f.MyVote)
					}
				}
			}
		case strings.HasPrefix(a, "review of "):
			c := strings.TrimPrefix(a, "review of ")
			cr, err := tr.request(c)
			require.NoError(t, err)
			assert.True(t, contains(cr.SubmittedReviewers, c) || r.Status == "REVIEWED" || after[r.Status] == 2,
				"acknowledged review of %s is kept", c)
		case a == "released":
			assert.Equal(t, 2, after[r.Status], "acknowledged release is kept (status %s)", r.Status)
		}
	}
}

// waitReleased polls until the uploader has delivered everything (status RELEASED).
func (tr *trial) waitReleased() {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, err := tr.request("alice")
		require.NoError(tr.t, err)
		if r.Status == "RELEASED" {
			return
		}
		require.True(tr.t, time.Now().Before(deadline), "not RELEASED within 2 minutes (status %s): %s", r.Status, tr.proc.Log)
		time.Sleep(20 * time.Millisecond) // polling the condition "RELEASED"
	}
}

// checkExactlyOnce reads the audit log: one release, one delivery per file, and the outbox
// holds each file with the reviewed content (airlock check compared the hashes already).
func (tr *trial) checkExactlyOnce() {
	t := tr.t
	out, err := tr.command("audit", "--request", tr.requestID)
	require.NoError(t, err)
	counts := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		key := f[1]
		for _, kv := range f[2:] {
			if strings.HasPrefix(kv, "path=") {
				key += " " + strings.TrimPrefix(kv, "path=")
			}
		}
		counts[key]++
	}
	assert.Equal(t, 1, counts["REQUEST_APPROVE"], "one release: %s", out)
	assert.Equal(t, 1, counts["REQUEST_RELEASE"], "released once: %s", out)
	for p, sum := range tr.files {
		assert.Equal(t, 1, counts["REQUEST_FILE_RELEASE "+p], "%s released once", p)
		assert.Equal(t, 1, counts["REQUEST_FILE_UPLOAD "+p], "%s delivered once", p)
		data, err := os.ReadFile(filepath.Join(tr.released, workspace, tr.requestID, filepath.FromSlash(p)))
		if assert.NoError(t, err) {
			got := sha256.Sum256(data)
			assert.Equal(t, sum, hex.EncodeToString(got[:]), "%s in the outbox is the reviewed file", p)
		}
	}
}

// killer kills the server at a random point of one phase, once triggered.
type killer struct {
	tr     *trial
	once   sync.Once
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	killed bool
	// wait, once triggered, returns when the kill point is reached (or ctx ends).
	wait func(ctx context.Context)
}

func (k *killer) trigger() {
	k.once.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		k.cancel = cancel
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			k.wait(ctx)
			if ctx.Err() != nil {
				return
			}
			k.mu.Lock()
			k.killed = true
			k.mu.Unlock()
			_ = k.tr.proc.Cmd.Process.Signal(syscall.SIGKILL)
		}()
	})
}

func (k *killer) stop() {
	if k.cancel != nil {
		// The phase's calls have returned; a kill point not reached by then is not
		// waited for.
		k.cancel()
	}
	k.wg.Wait()
}

func (k *killer) fired() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.killed
}

// armKiller picks the kill point of a phase. Adds and uploads are killed while the big file
// is being copied (when its temporary file has reached a random fraction of the size) or
// just after the copy (its temporary name gone: between rename, fsync and commit); the
// short calls are killed a random number of microseconds after they are sent.
func (tr *trial) armKiller(phase string, rng *rand.Rand, bigSize int, point *string) *killer {
	k := &killer{tr: tr}
	switch phase {
	case "add", "upload":
		dir := filepath.Join(tr.data, "requests", workspace, tr.requestID)
		marker := ".tmp-"
		if phase == "upload" {
			dir = filepath.Join(tr.released, workspace, tr.requestID, "output")
			marker = ".big.csv.airlock-tmp-"
		}
		frac := rng.Float64()
		afterCopy := rng.IntN(4) == 0
		if afterCopy {
			*point = "the end of the copy of the big file"
		} else {
			*point = fmt.Sprintf("%.0f%% of the copy of the big file", frac*100)
		}
		k.wait = func(ctx context.Context) {
			seen := false
			for ctx.Err() == nil {
				size, ok := tempSize(dir, marker)
				if ok {
					seen = true
				}
				if ok && !afterCopy && size >= int64(frac*float64(bigSize)) {
					return
				}
				if afterCopy && seen && !ok {
					return
				}
				time.Sleep(200 * time.Microsecond) // polling the temporary file's size
			}
		}
	default:
		delay := time.Duration(rng.IntN(3000)) * time.Microsecond
		*point = fmt.Sprintf("%s after the call was sent", delay)
		k.wait = func(ctx context.Context) {
			select {
			case <-ctx.Done():
			case <-time.After(delay): // the random kill point itself, not a wait for a condition
			}
		}
	}
	return k
}

// tempSize is the size of the temporary file in dir whose name contains marker.
func tempSize(dir, marker string) (int64, bool) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0, false
	}
	for _, de := range des {
		if strings.Contains(de.Name(), marker) {
			if fi, err := de.Info(); err == nil {
				return fi.Size(), true
			}
		}
	}
	return 0, false
}
