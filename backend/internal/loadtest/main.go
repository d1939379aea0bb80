// Command loadtest drives a real `airlock serve` with many concurrent clients and reports
// how long each kind of call took (`make load`). It creates demo data in a temporary
// folder, starts the server on a free loopback port, opens requests for review, then lets
// N clients log in, list, view, browse, comment and vote with a think time between calls,
// for a bounded time and number of calls. Afterwards it restarts the server on the same
// data and checks that every acknowledged write (a comment or vote answered 2xx) is there:
// in the audit log and, for comments, in the request as their author sees it. It prints
// p50/p99/max per call kind and exits non-zero on an error answer or a lost write.
//
// It talks only to 127.0.0.1 and stops by itself.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/trelab/airlock/internal/testbin"
)

type config struct {
	bin          string
	clients      int
	duration     time.Duration
	maxCalls     int64
	thinkMin     time.Duration
	thinkMax     time.Duration
	cpuProfile   string
	keep         bool
	serverOutput bool
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "the airlock binary to run (required)")
	flag.IntVar(&c.clients, "clients", 150, "concurrent clients")
	flag.DurationVar(&c.duration, "duration", 120*time.Second, "how long the clients run")
	flag.Int64Var(&c.maxCalls, "max-calls", 200000, "stop after this many calls in all")
	flag.DurationVar(&c.thinkMin, "think-min", 100*time.Millisecond, "shortest pause between two calls of a client")
	flag.DurationVar(&c.thinkMax, "think-max", 400*time.Millisecond, "longest pause between two calls of a client")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write the server's CPU profile of the run to this file (serve --pprof)")
	flag.BoolVar(&c.keep, "keep", false, "keep the data folder")
	flag.BoolVar(&c.serverOutput, "server-output", false, "print the server's output at the end")
	flag.Parse()
	if c.bin == "" || c.clients < 1 || c.duration <= 0 || c.maxCalls < 1 || c.thinkMax < c.thinkMin {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// The demo users the clients act as (backend/cli/demo.go): checkers comment and vote,
// authors and the copilot read.
var (
	checkers = []string{"olivia", "oscar", "carmen"}
	readers  = []string{"alice", "colin"}
	// authors open the requests under review: every workspace where each may.
	authors = map[string][]string{
		"alice":  {"heart-failure-study", "diabetes-cohort", "shared-scratch"},
		"carmen": {"heart-failure-study", "diabetes-cohort"},
	}
	// filesPerRequest bounds each request's output files.
	filesPerRequest = 8
)

func token(user string) string { return user + "-demo" }

// reviewRequest is one request under review.
type reviewRequest struct {
	id, workspace, author, group string
	files                        []string
}

func run(c config, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "airlock-load-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintln(out, "data folder:", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	dataDir := filepath.Join(tmp, "data")
	if b, err := exec.Command(c.bin, "demo", "--data-dir", dataDir).CombinedOutput(); err != nil {
		return fmt.Errorf("airlock demo: %w\n%s", err, b)
	}
	srv, err := startServer(c, dataDir, c.cpuProfile != "")
	if err != nil {
		return err
	}
	defer srv.stop()

	setupClient := newHTTP(4)
	reqs, err := openRequests(setupClient, srv.base)
	if err != nil {
		return fmt.Errorf("opening requests for review: %w", err)
	}

	loadBefore := loadAvg()
	var prof *profile
	if c.cpuProfile != "" {
		prof = startProfile(srv.pprof, c.duration)
	}
	res := drive(c, srv.base, reqs)
	loadAfter := loadAvg()
	if prof != nil {
		if err := prof.save(c.cpuProfile); err != nil {
			fmt.Fprintln(out, "cpu profile:", err)
		} else {
			fmt.Fprintln(out, "server CPU profile:", c.cpuProfile)
		}
	}

	// Restart on the same data, then look for every acknowledged write.
	if err := srv.stop(); err != nil {
		return fmt.Errorf("stopping the server: %w\n%s", err, srv.proc.Log)
	}
	if c.serverOutput {
		fmt.Fprintf(out, "server output:\n%s\n", srv.proc.Log)
	}
	srv2, err := startServer(c, dataDir, false)
	if err != nil {
		return fmt.Errorf("restarting the server: %w", err)
	}
	defer srv2.stop()
	lost, err := verify(setupClient, srv2.base, reqs, res)
	if err != nil {
		return fmt.Errorf("checking the writes: %w", err)
	}

	report(out, c, res, lost, loadBefore, loadAfter)
	if res.errors.Load() > 0 || len(lost) > 0 {
		return fmt.Errorf("%d error answers, %d acknowledged writes missing", res.errors.Load(), len(lost))
	}
	return nil
}

// --- the server -----------------------------------------------------------------------

type server struct {
	proc  *testbin.Proc
	base  string
	pprof string
	once  sync.Once
	err   error
}

func startServer(c config, dataDir string, pprof bool) (*server, error) {
	addr, err := testbin.FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--data-dir", dataDir, "--listen", addr, "--log-level", "warn"}
	s := &server{base: "http://" + addr}
	if pprof {
		paddr, err := testbin.FreeAddr()
		if err != nil {
			return nil, err
		}
		args = append(args, "--pprof", paddr)
		s.pprof = "http://" + paddr
	}
	p, err := testbin.Start(exec.Command(c.bin, args...))
	if err != nil {
		return nil, err
	}
	s.proc = p
	if _, err := p.WaitHealthy(addr, 60*time.Second); err != nil {
		_ = p.Stop(os.Kill, time.Second)
		return nil, fmt.Errorf("%w\n%s", err, p.Log)
	}
	return s, nil
}

// stop ends the server gracefully (SIGTERM), once.
func (s *server) stop() error {
	s.once.Do(func() { s.err = s.proc.Stop(syscall.SIGTERM, 30*time.Second) })
	return s.err
}

// profile fetches the server's CPU profile of the run while it runs.
type profile struct {
	done chan struct{}
	data []byte
	err  error
}

func startProfile(base string, d time.Duration) *profile {
	p := &profile{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		secs := max(int(d.Seconds())-1, 1)
		resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs))
		if err != nil {
			p.err = err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			p.err = fmt.Errorf("pprof answered %s", resp.Status)
			return
		}
		p.data, p.err = io.ReadAll(resp.Body)
	}()
	return p
}

func (p *profile) save(path string) error {
	<-p.done
	if p.err != nil {
		return p.err
	}
	return os.WriteFile(path, p.data, 0o644)
}

// --- HTTP -----------------------------------------------------------------------------

func newHTTP(conns int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
		},
	}
}

// session is a logged-in user.
type session struct {
	user, cookie, csrf string
}

// apiError is an answer other than 2xx.
type apiError struct {
	status int
	body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, strings.TrimSpace(e.body)) }

// call sends one API call and decodes a 2xx JSON answer into out (when not nil).
func call(hc *http.Client, base string, s *session, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s != nil && s.cookie != "" {
		req.Header.Set("Cookie", s.cookie)
		if method != http.MethodGet {
			req.Header.Set("X-CSRF-Token", s.csrf)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{status: resp.StatusCode, body: string(data)}
	}
	if s != nil && method == http.MethodPost && path == "/api/v1/auth/login" {
		for _, ck := range resp.Cookies() {
			if ck.Name == "airlock_session" {
				s.cookie = ck.Name + "=" + ck.Value
			}
		}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

func login(hc *http.Client, base, user string) (*session, error) {
	s := &session{user: user}
	var out struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := call(hc, base, s, "POST", "/api/v1/auth/login",
		map[string]string{"username": user, "token": token(user)}, &out); err != nil {
		return nil, fmt.Errorf("login %s: %w", user, err)
	}
	if s.cookie == "" {
		return nil, fmt.Errorf("login %s: no session cookie", user)
	}
	s.csrf = out.CSRFToken
	return s, nil
}

// --- setup ----------------------------------------------------------------------------

type treeAnswer struct {
	Entries []struct {
		Path        string `json:"path"`
		Kind        string `json:"kind"`
		AllowedType bool   `json:"allowedType"`
		Status      string `json:"status"`
	} `json:"entries"`
}

// outputFiles finds up to n files of ws that may be added, walking the tree breadth first.
func outputFiles(hc *http.Client, base string, s *session, ws string, n int) ([]string, error) {
	var files []string
	dirs := []string{""}
	for len(dirs) > 0 && len(files) < n {
		dir := dirs[0]
		dirs = dirs[1:]
		path := "/api/v1/workspaces/" + ws + "/tree"
		if dir != "" {
			path += "/" + dir
		}
		var t treeAnswer
		if err := call(hc, base, s, "GET", path, nil, &t); err != nil {
			return nil, err
		}
		for _, e := range t.Entries {
			switch {
			case e.Kind == "dir" && e.Path != "metadata":
				dirs = append(dirs, e.Path)
			case e.Kind == "file" && e.AllowedType && e.Status == "UNRELEASED" && len(files) < n:
				files = append(files, e.Path)
			}
		}
	}
	return files, nil
}

// openRequests has each author open, fill and submit a request in each of their
// workspaces.
func openRequests(hc *http.Client, base string) ([]reviewRequest, error) {
	var out []reviewRequest
	names := make([]string, 0, len(authors))
	for a := range authors {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, author := range names {
		s, err := login(hc, base, author)
		if err != nil {
			return nil, err
		}
		for _, ws := range authors[author] {
			candidates, err := outputFiles(hc, base, s, ws, 4*filesPerRequest)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ws, err)
			}
			var r struct {
				ID string `json:"id"`
			}
			if err := call(hc, base, s, "POST", "/api/v1/requests", map[string]string{"workspace": ws}, &r); err != nil {
				return nil, fmt.Errorf("%s: create: %w", ws, err)
			}
			rr := reviewRequest{id: r.ID, workspace: ws, author: author, group: "load"}
			// One by one: a file the rules refuse (the demo has some on purpose) is skipped.
			for _, f := range candidates {
				if len(rr.files) == filesPerRequest {
					break
				}
				err := call(hc, base, s, "POST", "/api/v1/requests/"+r.ID+"/files", map[string]any{"group": rr.group,
					"files": []map[string]string{{"path": f, "fileType": "OUTPUT"}}}, nil)
				var ae *apiError
				switch {
				case err == nil:
					rr.files = append(rr.files, f)
				case errors.As(err, &ae) && ae.status/100 == 4:
				default:
					return nil, fmt.Errorf("%s: adding %s: %w", ws, f, err)
				}
			}
			if len(rr.files) == 0 {
				return nil, fmt.Errorf("%s has no file that can be added", ws)
			}
			steps := []struct {
				method, path string
				body         any
			}{
				{"PATCH", "/api/v1/requests/" + r.ID + "/groups/" + rr.group,
					map[string]string{"context": "Counts for the load test.", "controls": "Rounded to 5."}},
				{"POST", "/api/v1/requests/" + r.ID + "/submit", nil},
			}
			for _, st := range steps {
				if err := call(hc, base, s, st.method, st.path, st.body, nil); err != nil {
					return nil, fmt.Errorf("%s: %s %s: %w", ws, st.method, st.path, err)
				}
			}
			out = append(out, rr)
		}
	}
	return out, nil
}

// --- the load -------------------------------------------------------------------------

// Call kinds, in the order of the report.
const (
	kLogin      = "login"
	kList       = "request list"
	kWorkspaces = "workspace list"
	kView       = "request view"
	kTree       = "tree"
	kComment    = "comment"
	kVote       = "vote"
)

var kinds = []string{kLogin, kList, kWorkspaces, kView, kTree, kComment, kVote}

// weights of each kind for checkers and for readers (no writes).
var (
	checkerMix = map[string]int{kLogin: 4, kList: 12, kWorkspaces: 4, kView: 30, kTree: 12, kComment: 8, kVote: 30}
	readerMix  = map[string]int{kLogin: 5, kList: 20, kWorkspaces: 10, kView: 40, kTree: 25}
)

func pick(r *rand.Rand, mix map[string]int) string {
	total := 0
	for _, k := range kinds {
		total += mix[k]
	}
	n := r.IntN(total)
	for _, k := range kinds {
		if n < mix[k] {
			return k
		}
		n -= mix[k]
	}
	return kView
}

// voteKey counts acknowledged votes.
type voteKey struct{ user, request, path, vote string }

type results struct {
	mu        sync.Mutex
	latencies map[string][]time.Duration
	failures  map[string]int
	samples   []string               // the first few error answers
	comments  map[[2]string][]string // (user, request) → texts acknowledged
	votes     map[voteKey]int
	calls     atomic.Int64
	errors    atomic.Int64
	elapsed   time.Duration
}

func (r *results) record(kind string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies[kind] = append(r.latencies[kind], d)
	if err != nil {
		r.errors.Add(1)
		r.failures[kind]++
		if len(r.samples) < 10 {
			r.samples = append(r.samples, kind+": "+err.Error())
		}
	}
}

func drive(c config, base string, reqs []reviewRequest) *results {
	res := &results{
		latencies: map[string][]time.Duration{}, failures: map[string]int{},
		comments: map[[2]string][]string{}, votes: map[voteKey]int{},
	}
	hc := newHTTP(c.clients)
	users := append(slices.Clone(checkers), readers...)
	start := time.Now()
	deadline := start.Add(c.duration)
	var wg sync.WaitGroup
	for i := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &loadClient{
				id: i, user: users[i%len(users)], hc: hc, base: base, res: res,
				rnd: rand.New(rand.NewPCG(uint64(i), 42)),
			}
			cl.run(c, reqs, deadline)
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

type loadClient struct {
	id   int
	user string
	hc   *http.Client
	base string
	res  *results
	rnd  *rand.Rand
	s    *session
	n    int
}

func (cl *loadClient) run(c config, reqs []reviewRequest, deadline time.Time) {
	checker := slices.Contains(checkers, cl.user)
	mix := readerMix
	if checker {
		mix = checkerMix
	}
	// The requests this user may view: checkers see every request, authors their own,
	// the copilot those of the workspaces they copilot (backend/cli/demo.go).
	var mine, reviewable []reviewRequest
	for _, r := range reqs {
		switch {
		case checker && r.author != cl.user:
			mine, reviewable = append(mine, r), append(reviewable, r)
		case checker, r.author == cl.user, cl.user == "colin" && r.workspace != "shared-scratch":
			mine = append(mine, r)
		}
	}
	// Clients start spread over the first think time, as people arrive.
	time.Sleep(cl.think(c))
	for time.Now().Before(deadline) && cl.res.calls.Add(1) <= c.maxCalls {
		kind := kLogin
		if cl.s != nil {
			kind = pick(cl.rnd, mix)
		}
		if (kind == kComment || kind == kVote) && len(reviewable) == 0 {
			kind = kView
		}
		var r reviewRequest
		if kind == kComment || kind == kVote {
			r = reviewable[cl.rnd.IntN(len(reviewable))]
		} else if len(mine) > 0 {
			r = mine[cl.rnd.IntN(len(mine))]
		}
		t0 := time.Now()
		err := cl.do(kind, r)
		cl.res.record(kind, time.Since(t0), err)
		time.Sleep(cl.think(c))
	}
}

func (cl *loadClient) think(c config) time.Duration {
	return c.thinkMin + time.Duration(cl.rnd.Int64N(int64(c.thinkMax-c.thinkMin)+1))
}

func (cl *loadClient) do(kind string, r reviewRequest) error {
	switch kind {
	case kLogin:
		s, err := login(cl.hc, cl.base, cl.user)
		if err == nil {
			cl.s = s
		}
		return err
	case kList:
		scope := "mine"
		if slices.Contains(checkers, cl.user) && cl.rnd.IntN(2) == 0 {
			scope = "review"
		}
		return call(cl.hc, cl.base, cl.s, "GET", "/api/v1/requests?scope="+scope, nil, nil)
	case kWorkspaces:
		return call(cl.hc, cl.base, cl.s, "GET", "/api/v1/workspaces", nil, nil)
	case kView:
		if r.id == "" {
			return call(cl.hc, cl.base, cl.s, "GET", "/api/v1/auth/me", nil, nil)
		}
		return call(cl.hc, cl.base, cl.s, "GET", "/api/v1/requests/"+r.id, nil, nil)
	case kTree:
		// The root, or the folder of one of the request's files.
		p := "/api/v1/workspaces/" + r.workspace + "/tree"
		if r.id == "" {
			p = "/api/v1/workspaces/heart-failure-study/tree"
		} else if dir := path.Dir(r.files[cl.rnd.IntN(len(r.files))]); dir != "." && cl.rnd.IntN(2) == 0 {
			p += "/" + dir
		}
		return call(cl.hc, cl.base, cl.s, "GET", p, nil, nil)
	case kComment:
		cl.n++
		text := fmt.Sprintf("load comment %d-%d by %s: please check the rounding of row %d", cl.id, cl.n, cl.user, cl.rnd.IntN(1000))
		vis := "PRIVATE"
		if cl.rnd.IntN(4) == 0 {
			vis = "PUBLIC"
		}
		err := call(cl.hc, cl.base, cl.s, "POST", "/api/v1/requests/"+r.id+"/groups/"+r.group+"/comments",
			map[string]string{"text": text, "visibility": vis}, nil)
		if err == nil {
			cl.res.mu.Lock()
			k := [2]string{cl.user, r.id}
			cl.res.comments[k] = append(cl.res.comments[k], text)
			cl.res.mu.Unlock()
		}
		return err
	case kVote:
		f := r.files[cl.rnd.IntN(len(r.files))]
		vote := "APPROVED"
		if cl.rnd.IntN(3) == 0 {
			vote = "CHANGES_REQUESTED"
		}
		body := map[string]any{"paths": []string{f}, "vote": vote}
		if vote == "APPROVED" {
			// Files with BLOCK warnings need a note to be approved (it is kept on any file).
			body["acknowledgement"] = "Seen the disclosure checks: counts are rounded and suppressed."
		}
		err := call(cl.hc, cl.base, cl.s, "POST", "/api/v1/requests/"+r.id+"/votes", body, nil)
		if err == nil {
			cl.res.mu.Lock()
			cl.res.votes[voteKey{cl.user, r.id, f, vote}]++
			cl.res.mu.Unlock()
		}
		return err
	}
	return fmt.Errorf("unknown call kind %q", kind)
}

// --- checking the writes --------------------------------------------------------------

type auditAnswer struct {
	Events []struct {
		Type  string            `json:"type"`
		User  string            `json:"user"`
		Path  string            `json:"path"`
		Extra map[string]string `json:"extra"`
	} `json:"events"`
}

type requestAnswer struct {
	Groups []struct {
		Comments []struct {
			Author string `json:"author"`
			Text   string `json:"text"`
		} `json:"comments"`
	} `json:"groups"`
}

const auditLimit = 10000

// verify looks up every acknowledged write after the restart and returns what is missing.
func verify(hc *http.Client, base string, reqs []reviewRequest, res *results) ([]string, error) {
	var lost []string
	for _, user := range checkers {
		s, err := login(hc, base, user)
		if err != nil {
			return nil, err
		}
		for _, r := range reqs {
			if r.author == user {
				continue
			}
			var a auditAnswer
			q := fmt.Sprintf("/api/v1/audit?request=%s&user=%s&limit=%d", r.id, user, auditLimit)
			if err := call(hc, base, s, "GET", q, nil, &a); err != nil {
				return nil, err
			}
			if len(a.Events) >= auditLimit {
				return nil, fmt.Errorf("%s has %d or more audit events on %s: too many to check (lower -max-calls)", user, auditLimit, r.id)
			}
			audited := map[string]bool{}
			votes := map[voteKey]int{}
			for _, ev := range a.Events {
				switch ev.Type {
				case "REQUEST_COMMENT":
					audited[ev.Extra["comment"]] = true
				case "REQUEST_FILE_APPROVE":
					votes[voteKey{user, r.id, ev.Path, "APPROVED"}]++
				case "REQUEST_FILE_REQUEST_CHANGES":
					votes[voteKey{user, r.id, ev.Path, "CHANGES_REQUESTED"}]++
				}
			}
			var view requestAnswer
			if err := call(hc, base, s, "GET", "/api/v1/requests/"+r.id, nil, &view); err != nil {
				return nil, err
			}
			shown := map[string]bool{}
			for _, g := range view.Groups {
				for _, c := range g.Comments {
					if c.Author == user {
						shown[c.Text] = true
					}
				}
			}
			res.mu.Lock()
			for _, text := range res.comments[[2]string{user, r.id}] {
				if !audited[text] {
					lost = append(lost, fmt.Sprintf("comment %q on %s: no audit event", text, r.id))
				}
				if !shown[text] {
					lost = append(lost, fmt.Sprintf("comment %q on %s: not in the request", text, r.id))
				}
			}
			for k, n := range res.votes {
				if k.user == user && k.request == r.id && votes[k] < n {
					lost = append(lost, fmt.Sprintf("%s's %s votes on %s of %s: %d acknowledged, %d audited",
						user, k.vote, k.path, r.id, n, votes[k]))
				}
			}
			res.mu.Unlock()
		}
	}
	return lost, nil
}

// --- the report -----------------------------------------------------------------------

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

// loadAvg is the machine's load average (1, 5, 15 minutes), as uptime prints it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func report(out io.Writer, c config, res *results, lost []string, before, after string) {
	var total int
	for _, l := range res.latencies {
		total += len(l)
	}
	comments, votes := 0, 0
	for _, t := range res.comments {
		comments += len(t)
	}
	for _, n := range res.votes {
		votes += n
	}
	fmt.Fprintf(out, "\n%d clients, %s (think %s–%s): %d calls in %.1f s (%.0f/s), %d errors; "+
		"%d comments and %d votes acknowledged, %d missing after a restart\n",
		c.clients, c.duration, c.thinkMin, c.thinkMax, total, res.elapsed.Seconds(),
		float64(total)/res.elapsed.Seconds(), res.errors.Load(), comments, votes, len(lost))
	fmt.Fprintf(out, "load average (1/5/15 min) before: %s, after: %s, %d CPUs\n\n", before, after, runtime.NumCPU())
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| call\t| n\t| errors\t| p50\t| p99\t| max\t|")
	fmt.Fprintln(tw, "|---\t|---:\t|---:\t|---:\t|---:\t|---:\t|")
	for _, k := range kinds {
		l := slices.Clone(res.latencies[k])
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		fmt.Fprintf(tw, "| %s\t| %d\t| %d\t| %s\t| %s\t| %s\t|\n", k, len(l), res.failures[k],
			ms(percentile(l, 0.5)), ms(percentile(l, 0.99)), ms(l[len(l)-1]))
	}
	_ = tw.Flush()
	for _, s := range res.samples {
		fmt.Fprintln(out, "error:", s)
	}
	for i, l := range lost {
		if i == 20 {
			fmt.Fprintf(out, "... and %d more\n", len(lost)-20)
			break
		}
		fmt.Fprintln(out, "lost:", l)
	}
}
