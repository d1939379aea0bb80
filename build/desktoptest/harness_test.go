// Package desktoptest runs the desktop binary (make desktop) under Xvfb: the smoke test of
// make test, and the start-up and memory figures of build/desktop-figures.sh. Without
// AIRLOCK_DESKTOP_BIN the tests skip (plain go test ./... has no desktop binary); with it
// they must run, and fail when a tool is missing.
package desktoptest

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/app"
	"github.com/trelab/airlock/internal/testbin"
)

// binary returns the desktop binary, or skips the test.
func binary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("AIRLOCK_DESKTOP_BIN")
	if bin == "" {
		t.Skip("set AIRLOCK_DESKTOP_BIN to a desktop build (make test-desktop does)")
	}
	abs, err := filepath.Abs(bin)
	require.NoError(t, err)
	require.FileExists(t, abs)
	require.NotEmpty(t, os.Getenv("DISPLAY"), "run under an X server (xvfb-run)")
	for _, tool := range []string{"xdotool", "import"} {
		_, err := exec.LookPath(tool)
		require.NoError(t, err, "%s is needed (build/desktop-smoke.sh installs it)", tool)
	}
	return abs
}

// proc is a running airlock process.
type proc struct{ *testbin.Proc }

// start runs bin with args; it is stopped at the end of the test.
func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AIRLOCK_LOG_FORMAT=text")
	tp, err := testbin.Start(cmd)
	require.NoError(t, err)
	p := &proc{tp}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			out := p.Log.String()
			t.Logf("output of %s:\n%s", strings.Join(args, " "), out)
			// A crash prints its cause first and then every goroutine: repeat the cause
			// last, where a shortened log still shows it.
			if cause := crashCause(out); cause != "" {
				t.Logf("the process crashed: %s", cause)
			}
		}
	})
	return p
}

// crashCause returns the lines of out that say why a Go process died, if it did.
func crashCause(out string) string {
	var cause []string
	for _, line := range strings.Split(out, "\n") {
		for _, prefix := range []string{"panic: ", "fatal error: ", "signal ", "SIG", "runtime: "} {
			if strings.HasPrefix(line, prefix) {
				cause = append(cause, line)
				break
			}
		}
	}
	return strings.Join(cause, " | ")
}

// stop ends the process with SIGTERM (SIGKILL after 15 s) and returns how it exited.
func (p *proc) stop() error { return p.Stop(syscall.SIGTERM, 15*time.Second) }

// run runs bin to completion and returns its output.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", bin, strings.Join(args, " "), out)
	return string(out)
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := testbin.FreeAddr()
	require.NoError(t, err)
	return addr
}

// waitHealthy waits until the server at addr answers /healthz.
func waitHealthy(t *testing.T, p *proc, addr string) time.Time {
	t.Helper()
	at, err := p.WaitHealthy(addr, 30*time.Second)
	if err != nil {
		t.Fatalf("the server at %s did not become healthy: %v\n%s", addr, err, p.Log.String())
	}
	return at
}

func xdotool(args ...string) (string, error) {
	out, err := exec.Command("xdotool", args...).Output()
	return strings.TrimSpace(string(out)), err
}

// waitWindow waits for a visible window whose name matches pattern (case-sensitive: a
// new GTK window is briefly named after the program, "airlock") and returns its id.
func waitWindow(t *testing.T, p *proc, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && !p.Exited() {
		out, _ := xdotool("search", "--onlyvisible", "--name", pattern) // case-insensitive
		for _, id := range strings.Fields(out) {
			if name, err := xdotool("getwindowname", id); err == nil && re.MatchString(name) {
				return id
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no window named %q appeared:\n%s", pattern, p.Log.String())
	return ""
}

func windowName(t *testing.T, id string) string {
	t.Helper()
	name, err := xdotool("getwindowname", id)
	require.NoError(t, err)
	return name
}

// waitTitle waits until the window's title is want.
func waitTitle(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if windowName(t, id) == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the window title is %q, want %q", windowName(t, id), want)
}

// readState reads the window's state file.
func readState(path string) (app.State, bool) {
	var s app.State
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &s) != nil {
		return s, false
	}
	return s, true
}

// waitState waits until the window's state satisfies ok.
func waitState(t *testing.T, p *proc, path, what string, ok func(app.State) bool) app.State {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last app.State
	for time.Now().Before(deadline) && !p.Exited() {
		if s, read := readState(path); read {
			last = s
			if ok(s) {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, _ := json.MarshalIndent(last, "", "  ")
	t.Fatalf("the window never reached: %s\nlast state: %s\noutput:\n%s", what, data, p.Log.String())
	return last
}

// login logs in through the window's login page, as a user would: focus the page, tab to
// the username field, type the username and token, press Enter.
func login(t *testing.T, id, user, token string) {
	t.Helper()
	steps := [][]string{
		{"mousemove", "--window", id, "20", "400", "click", "1"},
		{"sleep", "0.3"},
		{"key", "Tab"},
		{"sleep", "0.3"},
		{"type", "--delay", "20", user},
		{"sleep", "0.2"},
		{"key", "Tab"},
		{"sleep", "0.2"},
		{"type", "--delay", "20", token},
		{"sleep", "0.2"},
		{"key", "Return"},
	}
	for _, s := range steps {
		if s[0] == "sleep" {
			d, _ := strconv.ParseFloat(s[1], 64)
			time.Sleep(time.Duration(d * float64(time.Second)))
			continue
		}
		_, err := xdotool(s...)
		require.NoError(t, err, "xdotool %v", s)
	}
}

// screenshot captures the window into path and returns the image.
func screenshot(t *testing.T, id, path string) image.Image {
	t.Helper()
	out, err := exec.Command("import", "-window", id, path).CombinedOutput()
	require.NoError(t, err, "import: %s", out)
	return loadPNG(t, path)
}

func loadPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

// colours counts the distinct colours of an image (a blank window has one or two; a page
// with text has hundreds, from anti-aliasing).
func colours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r, g, bl}] = true
		}
	}
	return len(seen)
}

// changedPixels counts the pixels that differ between two screenshots of a window.
func changedPixels(a, b image.Image) int {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				n++
			}
		}
	}
	return n
}

// count returns the number of the window's API requests of one kind ("GET route Status").
func count(s app.State, key string) int { return s.Requests[key] }

// treeRSS is the resident memory (bytes) of pid, and the proportional set size (PSS:
// shared pages divided among the processes sharing them, so that a sum counts them once)
// of pid and every process below it (the web view runs in WebKit's helper processes).
func treeRSS(pid int) (own, total int64) {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 {
			ppid, _ := strconv.Atoi(fields[1])
			children[ppid] = append(children[ppid], n)
		}
	}
	var walk func(int)
	walk = func(p int) {
		if p == pid {
			own = procValue(p, "status", "VmRSS:")
		}
		total += procValue(p, "smaps_rollup", "Pss:")
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(pid)
	return own, total
}

// procValue reads a "Name:   123 kB" line of /proc/PID/file, in bytes.
func procValue(pid int, file, name string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// demoData creates demo data in a new folder.
func demoData(t *testing.T, bin string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	run(t, bin, "demo", "--data-dir", dir)
	return dir
}
