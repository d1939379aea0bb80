// Package e2e drives the real binary (`airlock demo` + `airlock serve`, subprocesses on a
// free port) with Debian's Chromium through chromedp: three separate browser contexts
// (researcher, two output checkers) do the whole workflow through the web UI.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/trelab/airlock/internal/testbin"
)

const chromiumPath = "/usr/bin/chromium"

// server is one running `airlock serve` on demo data.
type server struct {
	bin     string
	dataDir string
	wsRoot  string
	url     string
	proc    *testbin.Proc // airlock serve, once started
	users   map[string]demoUser
}

type demoUser struct {
	Token   string `json:"token"`
	Details struct {
		Username      string                     `json:"username"`
		Fullname      string                     `json:"fullname"`
		OutputChecker bool                       `json:"output_checker"`
		Workspaces    map[string]json.RawMessage `json:"workspaces"`
		Copiloted     map[string]json.RawMessage `json:"copiloted_workspaces"`
	} `json:"details"`
}

var (
	env    *server
	envErr error
)

func TestMain(m *testing.M) {
	code := func() int {
		root, err := filepath.Abs("..")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		tmp, err := os.MkdirTemp("", "airlock-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		env, envErr = start(root, tmp)
		if env != nil {
			defer env.stop()
		}
		if envErr == nil {
			if _, err := os.Stat(chromiumPath); err != nil {
				envErr = fmt.Errorf("Debian chromium is not installed at %s (build/deps.sh installs it): %w", chromiumPath, err)
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// need fails the test when the environment could not start (never skips).
func need(t *testing.T) {
	t.Helper()
	if envErr != nil {
		if env != nil {
			t.Logf("server log:\n%s", env.log())
		}
		t.Fatalf("end-to-end environment: %v", envErr)
	}
}

func run(dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

func start(root, tmp string) (*server, error) {
	// The binary embeds frontend/dist: build the UI first when it is missing.
	if _, err := os.Stat(filepath.Join(root, "frontend", "dist", "index.html")); err != nil {
		if out, err := run(root, "bash", "build/frontend.sh"); err != nil {
			return nil, fmt.Errorf("building the frontend: %w\n%s", err, out)
		}
	}
	bin := filepath.Join(tmp, "airlock")
	if prebuilt := os.Getenv("AIRLOCK_E2E_BIN"); prebuilt != "" {
		bin = prebuilt // a binary built beforehand (its frontend must be current)
	} else if _, err := run(root, "go", "build", "-o", bin, "."); err != nil {
		return nil, err
	}
	s := &server{bin: bin, dataDir: filepath.Join(tmp, "data")}
	s.wsRoot = filepath.Join(s.dataDir, "workspaces")
	if out, err := run(tmp, bin, "demo", "--data-dir", s.dataDir); err != nil {
		return nil, err
	} else {
		fmt.Fprintf(os.Stderr, "airlock demo:\n%s\n", out)
	}
	if err := s.loadUsers(); err != nil {
		return nil, err
	}
	if err := s.addTestWorkspaces(); err != nil {
		return nil, err
	}
	addr, err := testbin.FreeAddr()
	if err != nil {
		return nil, err
	}
	s.url = "http://" + addr
	s.proc, err = testbin.Start(exec.Command(bin, "serve", "--data-dir", s.dataDir, "--listen", addr, "--upload-retry", "1s",
		"--code-url", provCodeURL))
	if err != nil {
		return nil, err
	}
	if _, err := s.proc.WaitHealthy(addr, 30*time.Second); err != nil {
		return s, fmt.Errorf("airlock serve did not become healthy: %w", err)
	}
	return s, nil
}

// log is what airlock serve has written so far.
func (s *server) log() string {
	if s.proc == nil {
		return ""
	}
	return s.proc.Log.String()
}

func (s *server) stop() {
	if s.proc != nil {
		_ = s.proc.Stop(os.Interrupt, 10*time.Second)
	}
}

func (s *server) usersFile() string { return filepath.Join(s.dataDir, "users.json") }

func (s *server) loadUsers() error {
	b, err := os.ReadFile(s.usersFile())
	if err != nil {
		return fmt.Errorf("demo users file: %w", err)
	}
	return json.Unmarshal(b, &s.users)
}

// names sorted, for stable choices
func (s *server) names() []string {
	var out []string
	for n := range s.users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// researcher: a user with a role on a workspace and not an output checker.
func (s *server) researcher() string {
	for _, n := range s.names() {
		u := s.users[n]
		if !u.Details.OutputChecker && len(u.Details.Workspaces) > 0 {
			return n
		}
	}
	return ""
}

// checkers: output checkers without workspaces of their own (pure reviewers), at least two.
func (s *server) checkers() []string {
	var pure, other []string
	for _, n := range s.names() {
		u := s.users[n]
		if !u.Details.OutputChecker {
			continue
		}
		if len(u.Details.Workspaces) == 0 {
			pure = append(pure, n)
		} else {
			other = append(other, n)
		}
	}
	return append(pure, other...)
}

// token gives a login token: the users file's plain token, else a single-use one.
func (s *server) token(user string) (string, error) {
	if u, ok := s.users[user]; ok && u.Token != "" {
		return u.Token, nil
	}
	out, err := run(filepath.Dir(s.bin), s.bin, "token", user, "--data-dir", s.dataDir)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// e2e workspaces (plain folders, no manifest): the researcher has a role on them.
const (
	secWS = "e2e-security"
	bigWS = "e2e-bigcsv"
)

func (s *server) addTestWorkspaces() error {
	raw := map[string]map[string]any{}
	b, err := os.ReadFile(s.usersFile())
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	r := s.researcher()
	if r == "" {
		return errors.New("the demo has no researcher (a user with workspaces who is not an output checker)")
	}
	details := raw[r]["details"].(map[string]any)
	wss := details["workspaces"].(map[string]any)
	for _, name := range []string{secWS, bigWS, gridWS, ackWS, uxDraftWS, uxReviewWS} {
		wss[name] = map[string]any{
			"project_details": map[string]any{"name": "E2E project", "ongoing": true, "orgs": []string{"Test org"}},
			"archived":        false,
		}
	}
	wss[provWS] = map[string]any{
		"project_details": map[string]any{"name": provProject, "ongoing": true, "orgs": []string{provOrg}},
		"archived":        false,
	}
	wss[provOtherWS] = map[string]any{
		"project_details": map[string]any{"name": provOtherProject, "ongoing": true, "orgs": []string{provOtherOrg}},
		"archived":        false,
	}
	out, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.usersFile(), out, 0o600); err != nil {
		return err
	}
	if err := s.loadUsers(); err != nil {
		return err
	}
	if err := writeSecurityFiles(filepath.Join(s.wsRoot, secWS)); err != nil {
		return err
	}
	if err := writeViewerFiles(filepath.Join(s.wsRoot, secWS)); err != nil {
		return err
	}
	if err := writeGridFiles(filepath.Join(s.wsRoot, gridWS)); err != nil {
		return err
	}
	if err := writeAckFiles(s.wsRoot, filepath.Join(s.wsRoot, ackWS)); err != nil {
		return err
	}
	if err := writeUXFiles(s.wsRoot); err != nil {
		return err
	}
	if err := writeProvenanceFiles(s.wsRoot, r); err != nil {
		return err
	}
	return writeBigCSVs(filepath.Join(s.wsRoot, bigWS))
}

// Marker strings the injected scripts would print or send if they ever ran.
const xssMarker = "XSS-RAN"

// markupName is a file name that is itself markup.
const markupName = `<img src=x onerror="console.log('XSS-RAN-name');alert('XSS-RAN-name')">.txt`

func writeSecurityFiles(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		return err
	}
	html := `<!doctype html><html><head><title>report</title></head><body>
<h1>Report</h1><p>Counts by region.</p>
<script>console.log('` + xssMarker + `-html'); try { parent.postMessage('` + xssMarker + `-html', '*'); } catch (e) {} alert('` + xssMarker + `-html'); document.title = 'pwned';</script>
<img src="x" onerror="console.log('` + xssMarker + `-img')">
</body></html>`
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" onload="console.log('` + xssMarker + `-svg')"><script>console.log('` + xssMarker + `-svg2');alert(1)</script><rect width="100" height="100" fill="teal"/></svg>`
	files := map[string]string{
		"output/report.html":   html,
		"output/figure.svg":    svg,
		"output/" + markupName: "plain text in a file whose name is markup\n",
		"output/counts.csv":    "region,count\nNorth,105\nSouth,230\n",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeBigCSVs(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		return err
	}
	// 5,000 rows x 100 columns
	var b strings.Builder
	for c := 0; c < 100; c++ {
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "col%02d", c)
	}
	b.WriteByte('\n')
	for r := 0; r < 5000; r++ {
		for c := 0; c < 100; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%d", (r*31+c*7)%1000)
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "output", "wide_5000x100.csv"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	// 1,000,000 rows x 4 columns, streamed to disk
	f, err := os.Create(filepath.Join(dir, "output", "long_1m.csv"))
	if err != nil {
		return err
	}
	w := &bytes.Buffer{}
	w.WriteString("id,region,age_band,count\n")
	regions := []string{"North", "South", "East", "West", "Midlands"}
	for r := 0; r < 1_000_000; r++ {
		fmt.Fprintf(w, "%d,%s,%d-%d,%d\n", r+1, regions[r%5], (r%9)*10, (r%9)*10+9, (r*7919)%5000)
		if w.Len() > 1<<20 {
			if _, err := f.Write(w.Bytes()); err != nil {
				f.Close()
				return err
			}
			w.Reset()
		}
	}
	if _, err := f.Write(w.Bytes()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// --- browser

// startBrowser starts one headless Debian Chromium with a fresh profile. Each user of a
// test gets their own (separate cookies, storage and processes).
func startBrowser(profile string) (context.Context, func(), error) {
	if _, err := os.Stat(chromiumPath); err != nil {
		return nil, nil, fmt.Errorf("Debian chromium is not installed at %s (build/deps.sh installs it): %w", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 720),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithErrorf(chromedpError))
	if err := chromedp.Run(b); err != nil { // starts the browser
		cancelBrowser()
		cancelAlloc()
		return nil, nil, fmt.Errorf("starting chromium: %w", err)
	}
	return b, func() { cancelBrowser(); cancelAlloc() }, nil
}

// chromedpError logs chromedp's errors but one: chromedp v0.16 (the newest release of its
// classic API, see build/README.md) does not know Chromium's top-layer event, sent whenever
// a <dialog> opens or closes, and reports each one. The event changes no node that chromedp
// tracks, and the waits here never use chromedp's node mirror, so it is dropped.
func chromedpError(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if msg == "unhandled node event *dom.EventTopLayerElementsUpdated" {
		return
	}
	log.Print("chromedp: " + msg)
}

// user is one person in their own browser context (separate cookies and storage).
type user struct {
	t        *testing.T
	name     string
	ctx      context.Context
	cancel   func()
	mu       sync.Mutex
	console  []string
	dialogs  []string
	failures []string
	inflight map[network.RequestID]string // requests sent and not yet finished: their URLs
}

func newUser(t *testing.T, name string) *user {
	t.Helper()
	profile, err := os.MkdirTemp("", "airlock-e2e-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) }) // runs after the browser is closed below
	ctx, cancel, err := startBrowser(profile)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	u := &user{t: t, name: name, ctx: ctx, cancel: cancel, inflight: map[network.RequestID]string{}}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Type == network.ResourceTypeDocument {
				// documents: the page's own load is awaited by Navigate, and a sandboxed
				// frame's (whose end is reported to the frame's own process, not here) by
				// its data-state
				return
			}
			u.mu.Lock()
			u.inflight[e.RequestID] = e.Request.URL
			u.mu.Unlock()
		case *network.EventLoadingFinished:
			u.mu.Lock()
			delete(u.inflight, e.RequestID)
			u.mu.Unlock()
		case *network.EventLoadingFailed:
			u.mu.Lock()
			delete(u.inflight, e.RequestID)
			u.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			}
			u.mu.Lock()
			u.console = append(u.console, string(e.Type)+": "+strings.Join(parts, " "))
			u.mu.Unlock()
		case *runtime.EventExceptionThrown:
			u.mu.Lock()
			u.failures = append(u.failures, e.ExceptionDetails.Error())
			u.mu.Unlock()
		case *page.EventJavascriptDialogOpening:
			u.mu.Lock()
			u.dialogs = append(u.dialogs, e.Message)
			u.mu.Unlock()
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(false)) }()
		}
	})
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 720), network.Enable()); err != nil {
		t.Fatalf("%s: new browser context: %v", name, err)
	}
	// cancel closes the browser and waits for its process to exit, before the profile
	// folder is removed (Cleanup runs in reverse order)
	t.Cleanup(cancel)
	return u
}

// busy names what the page is still loading ("" when nothing is in flight).
func (u *user) busy() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var urls []string
	for _, url := range u.inflight {
		urls = append(urls, url)
	}
	sort.Strings(urls)
	return strings.Join(urls, ", ")
}

func (u *user) consoleLines() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.console...)
}

func (u *user) dialogMessages() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.dialogs...)
}

// do runs the actions of one step, each waiting on its condition, within stepTimeout. A
// step that fails ends the test naming the step and what it waited for, and leaves a
// screenshot and the page's text, console and network state in artifactDir.
func (u *user) do(step string, actions ...chromedp.Action) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		u.t.Fatalf("%s: %s: %v\n%s", u.name, step, err, u.saveFailure(step))
	}
}

// artifactDir is where a failing step leaves its screenshot and page state:
// $AIRLOCK_E2E_ARTIFACTS, else a folder in the system's temporary directory.
func artifactDir() string {
	if d := os.Getenv("AIRLOCK_E2E_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "airlock-e2e-failures")
}

// saveFailure writes the screenshot and the page's state and returns where they are, with
// the page text and console inline for the test log.
func (u *user) saveFailure(step string) string {
	ctx, cancel := context.WithTimeout(u.ctx, 15*time.Second)
	defer cancel()
	var shot []byte
	var text, url string
	_ = chromedp.Run(ctx, chromedp.Location(&url), chromedp.CaptureScreenshot(&shot))
	_ = chromedp.Run(ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ''`, &text))
	dir := artifactDir()
	base := filepath.Join(dir, fmt.Sprintf("%s-%s-%s", u.t.Name(), u.name, time.Now().Format("150405.000")))
	base = strings.NewReplacer("/", "_", " ", "_").Replace(base[len(dir)+1:])
	base = filepath.Join(dir, base)
	state := fmt.Sprintf("step: %s\nlocation: %s\nin flight: %s\n\nconsole:\n%s\n\npage text:\n%s\n",
		step, url, u.busy(), strings.Join(u.consoleLines(), "\n"), text)
	saved := ""
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if len(shot) > 0 && os.WriteFile(base+".png", shot, 0o644) == nil {
			saved += "screenshot: " + base + ".png\n"
		}
		if os.WriteFile(base+".txt", []byte(state), 0o644) == nil {
			saved += "page state: " + base + ".txt\n"
		}
	}
	return saved + state
}

func (u *user) open(hash string) {
	u.t.Helper()
	u.do("open "+hash, chromedp.Navigate(env.url+"/"+hash), waitVisible("body"))
}

func (u *user) login(username string) {
	u.t.Helper()
	tok, err := env.token(username)
	if err != nil {
		u.t.Fatal(err)
	}
	u.open("#/login")
	u.do("log in as "+username,
		waitVisible(`#login-user`),
		chromedp.Evaluate(`document.querySelector('#login-user').value = ''; document.querySelector('#login-token').value = ''`, nil),
		typeInto(`#login-user`, username),
		typeInto(`#login-token`, tok),
		click(`[data-testid=login-submit]`),
		waitVisible(`[data-testid=nav-account]`),
	)
}

// screenshotDir is where screenshots are written: docs/screenshots with AIRLOCK_SCREENSHOTS=1
// (`make screenshots`), the named folder when it is an absolute path (as the desktop smoke
// test takes it), else nowhere, so an ordinary test run leaves the working tree clean.
func screenshotDir() string {
	v := os.Getenv("AIRLOCK_SCREENSHOTS")
	switch {
	case v == "1":
		return filepath.Join("..", "docs", "screenshots")
	case filepath.IsAbs(v):
		return v
	}
	return ""
}

// screenshot captures the viewport (always: a page that cannot be captured fails the test)
// and saves it as docs/screenshots/<name>.png when screenshots are wanted. With show, the
// element it selects is scrolled into view first (else the page is at its top).
func (u *user) screenshot(name string, show ...string) {
	u.t.Helper()
	var buf []byte
	scroll := `window.scrollTo(0, 0)`
	if len(show) > 0 {
		scroll = fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: 'start'})`, show[0])
	}
	u.do("screenshot "+name,
		// old confirmation messages would hide the page: dismiss them first
		chromedp.Evaluate(`document.querySelectorAll('.flashes button').forEach(b => b.click()); `+scroll, nil),
		waitGone(`.flashes .alert`),
		u.settled(),
		chromedp.CaptureScreenshot(&buf))
	if len(buf) < 8 || !bytes.HasPrefix(buf, []byte("\x89PNG")) {
		u.t.Fatalf("screenshot %s: not a PNG (%d bytes)", name, len(buf))
	}
	for _, p := range u.accessibilityProblems() {
		u.t.Errorf("%s: %s", name, p)
	}
	dir := screenshotDir()
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		u.t.Fatal(err)
	}
}

// namedRoles are the roles of controls that must have an accessible name.
var namedRoles = map[string]bool{
	"button": true, "link": true, "textbox": true, "searchbox": true, "checkbox": true, "radio": true,
	"combobox": true, "listbox": true, "slider": true, "spinbutton": true, "switch": true, "tab": true,
	"menuitem": true, "grid": true, "dialog": true,
}

// accessibilityProblems checks the page as it is now, from Chromium's accessibility tree and
// the layout: every control (and a focusable separator) has an accessible name, every status
// badge has text (never colour alone), and the page does not scroll sideways at 1280x720.
// Every screenshot runs it.
func (u *user) accessibilityProblems() []string {
	u.t.Helper()
	var problems []string
	var nodes []*accessibility.Node
	u.do("accessibility tree", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		nodes, err = accessibility.GetFullAXTree().Do(ctx)
		return err
	}))
	var unnamed []string
	checked := 0
	for _, n := range nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := strings.Trim(string(n.Role.Value), `"`)
		need := namedRoles[role]
		if role == "separator" {
			for _, p := range n.Properties {
				if p.Name == accessibility.PropertyNameFocusable && strings.Contains(string(p.Value.Value), "true") {
					need = true
				}
			}
		}
		if !need {
			continue
		}
		checked++
		name := ""
		if n.Name != nil {
			name = strings.Trim(string(n.Name.Value), `" `)
		}
		if name == "" {
			unnamed = append(unnamed, fmt.Sprintf("%s (DOM node %d)", role, n.BackendDOMNodeID))
		}
	}
	if checked == 0 {
		problems = append(problems, "the accessibility tree has no controls at all (is the page there?)")
	}
	if len(unnamed) > 0 {
		var html string
		_ = chromedp.Run(u.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('button,a[href],input,select,textarea,[role=separator]')).filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim() || e.title || e.getAttribute('aria-labelledby'))).map(e => e.outerHTML.slice(0, 160)).join('\n')`, &html))
		problems = append(problems, fmt.Sprintf("%d controls without an accessible name: %v\n%s", len(unnamed), unnamed, html))
	}
	var layout struct {
		ScrollWidth  int      `json:"scrollWidth"`
		Width        int      `json:"width"`
		ScrollHeight int      `json:"scrollHeight"`
		Height       int      `json:"height"`
		FullWindow   bool     `json:"fullWindow"`
		Flashes      int      `json:"flashes"`
		EmptyPills   []string `json:"emptyPills"`
	}
	u.do("layout", chromedp.Evaluate(`({
		scrollWidth: document.documentElement.scrollWidth,
		width: window.innerWidth,
		scrollHeight: document.documentElement.scrollHeight,
		height: window.innerHeight,
		fullWindow: !!document.querySelector('main.full'),
		flashes: document.querySelectorAll('.flashes .alert').length,
		emptyPills: Array.from(document.querySelectorAll('.pill')).filter(p => !p.textContent.trim()).map(p => p.outerHTML.slice(0, 120)),
	})`, &layout))
	if layout.Width != 1280 {
		problems = append(problems, fmt.Sprintf("the viewport is %d px wide, want 1280", layout.Width))
	}
	if layout.ScrollWidth > layout.Width {
		problems = append(problems, fmt.Sprintf("the page scrolls sideways at %d px (content %d px wide)", layout.Width, layout.ScrollWidth))
	}
	// the workspace and request pages fill the window: their panes scroll, not the page
	if layout.FullWindow && layout.Flashes == 0 && layout.ScrollHeight > layout.Height {
		problems = append(problems, fmt.Sprintf("the page scrolls at %d px high (content %d px high); its panes should scroll instead", layout.Height, layout.ScrollHeight))
	}
	if len(layout.EmptyPills) > 0 {
		problems = append(problems, fmt.Sprintf("status badges without text: %v", layout.EmptyPills))
	}
	return problems
}
