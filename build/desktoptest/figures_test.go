package desktoptest

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/app"
)

// idle is how long a process is left alone before its memory is read.
const idle = 5 * time.Second

// TestDesktopFigures prints the closing note's figures (build/desktop-figures.sh): the
// desktop's start to first paint and its idle memory, against `airlock serve` on the same
// demo data in the same run. It measures; it asserts nothing about speed.
func TestDesktopFigures(t *testing.T) {
	if os.Getenv("AIRLOCK_DESKTOP_FIGURES") == "" {
		t.Skip("set AIRLOCK_DESKTOP_FIGURES=1 (build/desktop-figures.sh does)")
	}
	bin := binary(t)
	data := demoData(t, bin)
	const runs = 3

	var mapped, domReady, uiStart, painted, own, tree []float64
	for i := range runs {
		state := filepath.Join(t.TempDir(), "state.json")
		p := start(t, bin, "desktop", "--data-dir", data, "--state-file", state)
		win := waitWindow(t, p, "^Airlock$")
		mapped = append(mapped, ms(time.Since(p.Started)))
		// First paint: the first screenshot that shows a rendered page (an upper bound,
		// within one screenshot's time).
		for {
			at := time.Now()
			if colours(screenshot(t, win, filepath.Join(t.TempDir(), "paint.png"))) > 50 {
				painted = append(painted, ms(at.Sub(p.Started)))
				break
			}
			require.Less(t, time.Since(p.Started), 30*time.Second, "the window never painted")
		}
		st := waitState(t, p, state, "the UI asked for the session", func(s app.State) bool {
			return !s.DomReadyAt.IsZero() && !s.FirstAPIAt.IsZero()
		})
		domReady = append(domReady, ms(st.DomReadyAt.Sub(p.Started)))
		uiStart = append(uiStart, ms(st.FirstAPIAt.Sub(p.Started)))
		if i == runs-1 {
			// Idle memory, logged in on the workspace list, as a user leaves it.
			login(t, win, "alice", "alice-demo")
			waitState(t, p, state, "the workspace list", func(s app.State) bool {
				return count(s, "GET /api/v1/workspaces OK") > 0
			})
			time.Sleep(idle)
			o, tr := treeRSS(p.Cmd.Process.Pid)
			own, tree = append(own, mb(o)), append(tree, mb(tr))
		}
		require.NoError(t, p.stop())
	}

	var ready, chromePaint, serveRSS, chromeRSS []float64
	for i := range runs {
		addr := freeAddr(t)
		p := start(t, bin, "serve", "--data-dir", data, "--listen", addr)
		ready = append(ready, ms(waitHealthy(t, p, addr).Sub(p.Started)))
		if d, ok := chromiumScreenshot(t, "http://"+addr+"/"); ok {
			chromePaint = append(chromePaint, ms(d))
		}
		if i == runs-1 {
			// Idle memory with one logged-in client holding a live-events socket (what an
			// open browser tab costs the server), and the browser's own memory beside it.
			stopBrowser := chromiumIdle(t, "http://"+addr+"/")
			conn := liveClient(t, addr, "alice", "alice-demo")
			time.Sleep(idle)
			o, _ := treeRSS(p.Cmd.Process.Pid)
			serveRSS = append(serveRSS, mb(o))
			if stopBrowser != nil {
				chromeRSS = append(chromeRSS, mb(stopBrowser()))
			}
			conn.Close()
		}
		require.NoError(t, p.stop())
	}

	fmt.Printf("\nDesktop figures (demo data, this machine, %d starts each, median; same run)\n", runs)
	fmt.Printf("%-58s %s\n", "desktop (airlock desktop, embedded backend):", "")
	fmt.Printf("  %-56s %s\n", "start -> window mapped", median(mapped, "ms"))
	fmt.Printf("  %-56s %s\n", "start -> DOM ready (Wails OnDomReady)", median(domReady, "ms"))
	fmt.Printf("  %-56s %s\n", "start -> web UI running (its first API call)", median(uiStart, "ms"))
	fmt.Printf("  %-56s %s\n", "start -> first paint (first non-blank screenshot)", median(painted, "ms"))
	fmt.Printf("  %-56s %s\n", "idle RSS, airlock process (logged in, workspace list)", median(own, "MB"))
	fmt.Printf("  %-56s %s\n", "idle PSS, with the WebKit web and network processes", median(tree, "MB"))
	fmt.Printf("%-58s %s\n", "airlock serve on the same data:", "")
	fmt.Printf("  %-56s %s\n", "start -> /healthz answers", median(ready, "ms"))
	fmt.Printf("  %-56s %s\n", "headless Chromium launch -> screenshot of the login page", median(chromePaint, "ms"))
	fmt.Printf("  %-56s %s\n", "idle RSS, airlock serve (one logged-in live client)", median(serveRSS, "MB"))
	fmt.Printf("  %-56s %s\n", "idle PSS, headless Chromium on the login page (all procs)", median(chromeRSS, "MB"))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func mb(b int64) float64         { return float64(b) / (1 << 20) }

func median(v []float64, unit string) string {
	if len(v) == 0 {
		return "n/a"
	}
	s := slices.Clone(v)
	slices.Sort(s)
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.0f %s  (runs: %s)", s[len(s)/2], unit, strings.Join(parts, ", "))
}

// chromium is Debian's Chromium, if installed.
func chromium() string {
	for _, c := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	return ""
}

func chromiumArgs(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,860"}
}

// chromiumScreenshot times a cold headless Chromium from launch to a screenshot of url.
func chromiumScreenshot(t *testing.T, url string) (time.Duration, bool) {
	bin := chromium()
	if bin == "" {
		return 0, false
	}
	shot := filepath.Join(t.TempDir(), "chromium.png")
	args := append(chromiumArgs(t), "--screenshot="+shot, "--virtual-time-budget=3000", url)
	began := time.Now()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Logf("chromium: %v\n%s", err, out)
		return 0, false
	}
	return time.Since(began), true
}

// chromiumIdle opens url in a headless Chromium that stays open; the returned function
// reads the memory of all its processes and ends it.
func chromiumIdle(t *testing.T, url string) func() int64 {
	bin := chromium()
	if bin == "" {
		return nil
	}
	cmd := exec.Command(bin, append(chromiumArgs(t), "--remote-debugging-port=0", url)...)
	if err := cmd.Start(); err != nil {
		return nil
	}
	return func() int64 {
		_, total := treeRSS(cmd.Process.Pid)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return total
	}
}

// liveClient logs in and holds the live-events WebSocket open, like a browser tab (with
// the Origin a browser on that address sends).
func liveClient(t *testing.T, addr, user, token string) *websocket.Conn {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Post("http://"+addr+"/api/v1/auth/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"token":%q}`, user, token)))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	d := websocket.Dialer{Jar: jar}
	conn, _, err := d.Dial("ws://"+addr+"/api/v1/events", http.Header{"Origin": {"http://" + addr}})
	require.NoError(t, err)
	return conn
}
