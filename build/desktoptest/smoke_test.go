package desktoptest

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/app"
)

// shots is where the screenshots worth keeping go: docs/screenshots with
// AIRLOCK_SCREENSHOTS=1 (make screenshots), the named folder when it is an absolute path,
// else the test's temporary folder. Every screenshot is taken and checked either way; an
// ordinary run (make test) leaves the working tree clean.
func shots(t *testing.T) string {
	t.Helper()
	var d string
	switch v := os.Getenv("AIRLOCK_SCREENSHOTS"); {
	case v == "1":
		d = filepath.Join("..", "..", "docs", "screenshots")
	case filepath.IsAbs(v):
		d = v
	default:
		return t.TempDir()
	}
	require.NoError(t, os.MkdirAll(d, 0o755))
	return d
}

// The desktop window on its own backend: it appears with its title, shows the login page,
// a login typed into the window succeeds and the workspace list shows. With --listen the
// same process serves browsers too.
func TestDesktopSmoke_Login(t *testing.T) {
	bin := binary(t)
	data := demoData(t, bin)
	state := filepath.Join(t.TempDir(), "state.json")
	addr := freeAddr(t)
	p := start(t, bin, "desktop", "--data-dir", data, "--state-file", state, "--listen", addr)

	win := waitWindow(t, p, "^Airlock$")
	assert.Equal(t, "Airlock", windowName(t, win))

	// The web UI started in the window, asked who is logged in, and was told nobody.
	waitState(t, p, state, "the UI asked for the session", func(s app.State) bool {
		return !s.DomReadyAt.IsZero() && count(s, "GET /api/v1/auth/me Unauthorized") > 0
	})
	loginPage := waitPainted(t, win, filepath.Join(shots(t), "desktop-login.png"))
	assert.Greater(t, colours(loginPage), 50, "the login page did not render")

	login(t, win, "alice", "alice-demo")
	st := waitState(t, p, state, "alice logged in and her workspaces listed", func(s app.State) bool {
		return s.User == "alice" && count(s, "GET /api/v1/workspaces OK") > 0
	})
	// The window logged in through the desktop shell (which keeps the session), not over
	// HTTP from the page.
	assert.Zero(t, count(st, "POST /api/v1/auth/login OK"), "the page logged in over HTTP")
	waitTitle(t, win, "Airlock — alice")
	home := waitSettled(t, win, filepath.Join(shots(t), "desktop.png"), func(img image.Image) bool {
		return changedPixels(loginPage, img) > 1000
	})
	assert.Greater(t, changedPixels(loginPage, home), 1000, "the window still shows the login page")

	// A browser on the --listen address reaches the same backend, live events included;
	// the window's session is alice's, the browser's is olivia's.
	waitHealthy(t, p, addr)
	conn := liveClient(t, addr, "olivia", "olivia-demo")
	defer conn.Close()
	name := "browser-" + time.Now().Format("150405") + ".csv"
	require.NoError(t, os.WriteFile(filepath.Join(data, "workspaces", "shared-scratch", name), []byte("a\n1\n"), 0o644))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	for {
		var ev struct {
			Type  string   `json:"type"`
			Paths []string `json:"paths"`
		}
		require.NoError(t, conn.ReadJSON(&ev), "no live event reached the browser")
		if slices.Contains(ev.Paths, name) {
			break
		}
	}
	waitState(t, p, state, "the same event reached the window", func(s app.State) bool {
		return s.LastEvent != nil && slices.Contains(s.LastEvent.Paths, name)
	})
	assert.Equal(t, "alice", st.User)

	require.NoError(t, p.stop(), "the desktop did not exit cleanly on SIGTERM")
}

// A file written into a watched workspace folder shows up in the open window.
func TestDesktopSmoke_LiveWorkspace(t *testing.T) {
	bin := binary(t)
	data := demoData(t, bin)
	state := filepath.Join(t.TempDir(), "state.json")
	p := start(t, bin, "desktop", "--data-dir", data, "--state-file", state, "--open", "/workspaces/shared-scratch")

	win := waitWindow(t, p, "^Airlock$")
	waitState(t, p, state, "the UI asked for the session", func(s app.State) bool {
		return count(s, "GET /api/v1/auth/me Unauthorized") > 0
	})
	waitPainted(t, win, filepath.Join(t.TempDir(), "login.png"))
	login(t, win, "alice", "alice-demo")
	// After the login the window shows the workspace it was opened on.
	waitTitle(t, win, "Airlock — alice — shared-scratch")
	before := waitState(t, p, state, "the workspace tree listed", func(s app.State) bool {
		return count(s, "GET /api/v1/workspaces/{id}/tree OK") > 0
	})
	shotBefore := waitSettled(t, win, filepath.Join(t.TempDir(), "before.png"), nil)
	before, _ = readState(state)

	name := "smoke-" + time.Now().Format("150405") + ".csv"
	require.NoError(t, os.WriteFile(filepath.Join(data, "workspaces", "shared-scratch", name), []byte("region,count\nnorth,10\n"), 0o644))

	// The window got the live event and fetched the tree again...
	after := waitState(t, p, state, "the window refetched the tree after the file appeared", func(s app.State) bool {
		return s.LastEvent != nil && slices.Contains(s.LastEvent.Paths, name) &&
			count(s, "GET /api/v1/workspaces/{id}/tree OK") > count(before, "GET /api/v1/workspaces/{id}/tree OK")
	})
	assert.Equal(t, "shared-scratch", after.LastEvent.Workspace)
	// ...and shows something new.
	shotAfter := waitSettled(t, win, filepath.Join(shots(t), "desktop-workspace.png"), func(img image.Image) bool {
		return changedPixels(shotBefore, img) > 100
	})
	assert.Greater(t, changedPixels(shotBefore, shotAfter), 100, "the window looks the same after the file appeared")
	require.NoError(t, p.stop())
}

// The window attached to a running `airlock serve` (airlock desktop --server URL).
func TestDesktopSmoke_Attach(t *testing.T) {
	bin := binary(t)
	data := demoData(t, bin)
	addr := freeAddr(t)
	srv := start(t, bin, "serve", "--data-dir", data, "--listen", addr)
	waitHealthy(t, srv, addr)

	state := filepath.Join(t.TempDir(), "state.json")
	p := start(t, bin, "desktop", "--server", "http://"+addr, "--state-file", state, "--open", "/workspaces/shared-scratch")
	win := waitWindow(t, p, `^Airlock \(`)
	assert.Equal(t, "Airlock ("+addr+")", windowName(t, win))
	waitState(t, p, state, "the UI asked the server for the session", func(s app.State) bool {
		return s.Mode == "attached" && count(s, "GET /api/v1/auth/me Unauthorized") > 0
	})
	waitPainted(t, win, filepath.Join(t.TempDir(), "login.png"))
	login(t, win, "olivia", "olivia-demo")
	waitTitle(t, win, "Airlock — olivia — shared-scratch ("+addr+")")

	// The server's live events reach the window through the desktop's WebSocket.
	waitState(t, p, state, "the tree listed", func(s app.State) bool {
		return count(s, "GET /api/v1/workspaces/{id}/tree OK") > 0
	})
	name := "attached-" + time.Now().Format("150405") + ".csv"
	require.NoError(t, os.WriteFile(filepath.Join(data, "workspaces", "shared-scratch", name), []byte("a\n1\n"), 0o644))
	waitState(t, p, state, "the server's event reached the window", func(s app.State) bool {
		return s.LastEvent != nil && slices.Contains(s.LastEvent.Paths, name)
	})
	waitSettled(t, win, filepath.Join(shots(t), "desktop-attached.png"), nil)

	require.NoError(t, p.stop())
	assert.True(t, strings.Contains(srv.Log.String(), "/api/v1/auth/login"), "the login did not reach the server")
	require.NoError(t, srv.stop())
}

// waitSettled takes screenshots until two in a row are the same (the window has finished
// drawing) and, with want, the picture passes it; it saves and returns that screenshot. After
// 30 s it returns the last one, for the caller's assertion to judge.
func waitSettled(t *testing.T, win, path string, want func(image.Image) bool) image.Image {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	prev := screenshot(t, win, path)
	for {
		time.Sleep(100 * time.Millisecond) // the interval between two looks, not a guess at timing
		img := screenshot(t, win, path)
		if (changedPixels(prev, img) == 0 && (want == nil || want(img))) || time.Now().After(deadline) {
			return img
		}
		prev = img
	}
}

// waitPainted waits until the window shows a rendered page (not a blank web view) and
// saves that screenshot.
func waitPainted(t *testing.T, win, path string) image.Image {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		img := screenshot(t, win, path)
		if colours(img) > 50 || time.Now().After(deadline) {
			return img
		}
		time.Sleep(100 * time.Millisecond)
	}
}
