package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

var _ Publisher = service.Publisher(nil)

// recorder is a Publisher that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []airlock.Event
	times  []time.Time
	notify func(ev airlock.Event, at time.Time)
}

func (r *recorder) Publish(events ...airlock.Event) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range events {
		r.events = append(r.events, ev)
		r.times = append(r.times, now)
		if r.notify != nil {
			r.notify(ev, now)
		}
	}
}

func (r *recorder) all() []airlock.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events, r.times = nil, nil
}

// seen reports whether an event for ws listed all of paths (together or across events).
func (r *recorder) seen(ws string, paths ...string) bool {
	got := map[string]bool{}
	for _, ev := range r.all() {
		if ev.Workspace != ws || ev.Type != airlock.EventWorkspaceChanged {
			continue
		}
		for _, p := range ev.Paths {
			got[p] = true
		}
	}
	for _, p := range paths {
		if !got[p] {
			return false
		}
	}
	return true
}

func (r *recorder) wholeWorkspace(ws string) bool {
	for _, ev := range r.all() {
		if ev.Workspace == ws && ev.Paths == nil {
			return true
		}
	}
	return false
}

type watchEnv struct {
	root string
	ws   *Workspaces
	w    *Watcher
	rec  *recorder
}

const waitFor, pollEvery = 15 * time.Second, 10 * time.Millisecond

// startWatcher runs a watcher over root until the test ends.
func startWatcher(t *testing.T, root string, configure func(*Watcher)) *watchEnv {
	t.Helper()
	e := &watchEnv{root: root, ws: New(root, Options{}), rec: &recorder{}}
	e.w = NewWatcher(e.ws, e.rec)
	e.w.Debounce = 50 * time.Millisecond
	if configure != nil {
		configure(e.w)
	}
	errc := make(chan error, 1)
	go func() { errc <- e.w.Run(context.Background()) }()
	select {
	case <-e.w.Ready():
	case err := <-errc:
		t.Fatalf("watcher stopped: %v", err)
	}
	t.Cleanup(func() {
		require.NoError(t, e.w.Close())
		require.NoError(t, <-errc)
		assert.False(t, e.w.Status().Running)
	})
	return e
}

func (e *watchEnv) dirCount(t *testing.T) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(e.root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != e.root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			n++
		}
		return nil
	}))
	return n
}

func TestWatchNewFileIsHashedBeforeTheEvent(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/old.csv", "old")
	e := startWatcher(t, root, nil)

	writeFile(t, root, "ws/out/new.csv", "1,2,3")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "out", "out/new.csv") }, waitFor, pollEvery)
	hashed := e.ws.hashes.count()
	require.Equal(t, int64(1), hashed, "the new file is hashed once, by the watcher")

	f, err := e.ws.Stat("ws", "out/new.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("1,2,3"), f.ContentHash)
	assert.Equal(t, hashed, e.ws.hashes.count(), "readers find the hash cached")

	// The new folder is watched: a later file in it is seen too.
	e.rec.reset()
	writeFile(t, root, "ws/out/second.csv", "2")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "out/second.csv") }, waitFor, pollEvery)
	assert.False(t, e.rec.seen("ws", "old.csv"), "unchanged files are not reported")
	assert.Equal(t, e.dirCount(t), e.w.Status().WatchedDirs)
}

func TestWatchNewNestedDirectories(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "ws"), 0o755))
	e := startWatcher(t, root, nil)

	// Created faster than watches can be added: found by walking the new folder.
	writeFile(t, root, "ws/a/b/c/deep.csv", "d")
	writeFile(t, root, "ws/a/b/mid.csv", "m")
	writeFile(t, root, "ws/a/top.csv", "t")
	require.Eventually(t, func() bool {
		return e.rec.seen("ws", "a", "a/b/c/deep.csv", "a/b/mid.csv", "a/top.csv")
	}, waitFor, pollEvery)
	assert.Equal(t, e.dirCount(t), e.w.Status().WatchedDirs)

	e.rec.reset()
	writeFile(t, root, "ws/a/b/c/later.csv", "l")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "a/b/c/later.csv") }, waitFor, pollEvery)
	es, err := e.ws.List("ws", "a/b/c", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"deep.csv", "later.csv"}, names(es))
}

func TestWatchAtomicReplace(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/out/t.csv", "v1")
	e := startWatcher(t, root, nil)
	f, err := e.ws.Stat("ws", "out/t.csv")
	require.NoError(t, err)
	require.Equal(t, sha("v1"), f.ContentHash)

	for i := 2; i <= 3; i++ { // twice: the folder watch survives the replace
		e.rec.reset()
		tmp := filepath.Join(root, "ws", "out", ".t.csv.tmp")
		require.NoError(t, os.WriteFile(tmp, fmt.Appendf(nil, "v%d", i), 0o644))
		require.NoError(t, os.Rename(tmp, filepath.Join(root, "ws", "out", "t.csv")))
		require.Eventually(t, func() bool { return e.rec.seen("ws", "out/t.csv") }, waitFor, pollEvery)
		for _, ev := range e.rec.all() {
			for _, p := range ev.Paths {
				assert.False(t, strings.Contains(p, ".tmp"), "hidden temporary files are not reported: %v", ev.Paths)
			}
		}
		f, err = e.ws.Stat("ws", "out/t.csv")
		require.NoError(t, err)
		assert.Equal(t, sha(fmt.Sprintf("v%d", i)), f.ContentHash)
	}
}

func TestWatchDelete(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/out/t.csv", "v1")
	writeFile(t, root, "ws/keep.csv", "k")
	e := startWatcher(t, root, nil)

	require.NoError(t, os.Remove(filepath.Join(root, "ws", "out", "t.csv")))
	require.Eventually(t, func() bool { return e.rec.seen("ws", "out/t.csv") }, waitFor, pollEvery)
	_, err := e.ws.Stat("ws", "out/t.csv")
	assertCode(t, err, airlock.CodeNotFound)

	e.rec.reset()
	require.NoError(t, os.RemoveAll(filepath.Join(root, "ws", "out")))
	require.Eventually(t, func() bool { return e.rec.seen("ws", "out") }, waitFor, pollEvery)
	require.Eventually(t, func() bool { return e.w.Status().WatchedDirs == 2 }, waitFor, pollEvery, "root and ws")
}

func TestWatchRenameDirectory(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/old/sub/a.csv", "a")
	writeFile(t, root, "ws/old/b.csv", "b")
	e := startWatcher(t, root, nil)
	require.Equal(t, 4, e.w.Status().WatchedDirs)

	require.NoError(t, os.Rename(filepath.Join(root, "ws", "old"), filepath.Join(root, "ws", "new")))
	require.Eventually(t, func() bool {
		return e.rec.seen("ws", "old", "new", "new/sub/a.csv", "new/b.csv")
	}, waitFor, pollEvery)
	require.Eventually(t, func() bool { return e.w.Status().WatchedDirs == 4 }, waitFor, pollEvery, "old watches dropped, new added")

	// Changes below the renamed folder are reported under the new name, never the old one.
	e.rec.reset()
	writeFile(t, root, "ws/new/sub/c.csv", "c")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "new/sub/c.csv") }, waitFor, pollEvery)
	assert.False(t, e.rec.seen("ws", "old/sub/c.csv"))

	es, err := e.ws.List("ws", "", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"new/"}, names(es))
}

func TestWatchManifestRewrite(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	writeFile(t, ws, "out/a.csv", "a1")
	writeFile(t, ws, "out/same.csv", "s")
	writeManifest(t, ws, map[string]output{"out/a.csv": moderately("a1"), "out/same.csv": moderately("s")})
	e := startWatcher(t, root, nil)
	h1, err := e.ws.ManifestHash("ws")
	require.NoError(t, err)

	// job-runner: write the outputs, then replace the manifest atomically.
	writeFile(t, ws, "out/a.csv", "a2")
	writeFile(t, ws, "out/b.csv", "b")
	data, err := os.ReadFile(filepath.Join(ws, ManifestPath))
	require.NoError(t, err)
	tmp := filepath.Join(ws, "metadata", "manifest.json.tmp")
	writeManifest(t, ws, map[string]output{"out/a.csv": moderately("a2"), "out/same.csv": moderately("s"), "out/b.csv": moderately("b")})
	require.NoError(t, os.Rename(filepath.Join(ws, ManifestPath), tmp))
	require.NoError(t, os.WriteFile(filepath.Join(ws, ManifestPath), data, 0o644)) // old content back briefly
	require.NoError(t, os.Rename(tmp, filepath.Join(ws, ManifestPath)))

	require.Eventually(t, func() bool { return e.rec.seen("ws", ManifestPath, "out/a.csv", "out/b.csv") }, waitFor, pollEvery)
	// Only outputs whose metadata moved are listed from the manifest.
	for _, ev := range e.rec.all() {
		assert.NotContains(t, ev.Paths, "out/same.csv")
	}
	f, err := e.ws.Stat("ws", "out/a.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("a2"), f.ContentHash)
	_, err = e.ws.Stat("ws", "out/b.csv")
	require.NoError(t, err)
	h2, err := e.ws.ManifestHash("ws")
	require.NoError(t, err)
	assert.NotEqual(t, h1, h2)
}

// countFor counts events of ws that list p.
func countFor(r *recorder, ws, p string) int {
	n := 0
	for _, ev := range r.all() {
		if ev.Workspace == ws && slices.Contains(ev.Paths, p) {
			n++
		}
	}
	return n
}

func TestWatchBurstIsOneEvent(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/log.txt", "")
	// A generous debounce: a scheduling pause in the writer must not split the burst.
	e := startWatcher(t, root, func(w *Watcher) { w.Debounce, w.MaxDelay = 500*time.Millisecond, 30*time.Second })

	f, err := os.OpenFile(filepath.Join(root, "ws", "log.txt"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	for i := range 1000 {
		_, err := fmt.Fprintf(f, "line %d\n", i)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	require.Eventually(t, func() bool { return e.rec.seen("ws", "log.txt") }, waitFor, pollEvery)
	time.Sleep(2 * e.w.Debounce) // would any further events arrive?
	assert.Len(t, e.rec.all(), 1, "1,000 writes make one event")
	assert.Equal(t, int64(1), e.ws.hashes.count(), "hashed once")

	// 1,000 new files in one burst: one event listing them all.
	e.rec.reset()
	for i := range 1000 {
		writeFile(t, root, fmt.Sprintf("ws/many/f%04d.csv", i), "x")
	}
	require.Eventually(t, func() bool { return e.rec.seen("ws", "many/f0000.csv", "many/f0999.csv") }, waitFor, pollEvery)
	time.Sleep(2 * e.w.Debounce)
	evs := e.rec.all()
	require.Len(t, evs, 1)
	assert.Len(t, evs[0].Paths, 1001, "the folder and its files")
}

func TestWatchSlowlyWrittenFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "ws"), 0o755))
	e := startWatcher(t, root, func(w *Watcher) { w.Debounce, w.MaxDelay = 500*time.Millisecond, 30*time.Second })

	f, err := os.Create(filepath.Join(root, "ws", "slow.csv"))
	require.NoError(t, err)
	var content strings.Builder
	for i := range 20 {
		line := fmt.Sprintf("%d,%d\n", i, i*i)
		content.WriteString(line)
		_, err := f.WriteString(line)
		require.NoError(t, err)
		time.Sleep(e.w.Debounce / 10)
	}
	require.NoError(t, f.Close())
	finished := time.Now()
	assert.Empty(t, e.rec.all(), "nothing is reported while the file is still being written")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "slow.csv") }, waitFor, pollEvery)
	time.Sleep(2 * e.w.Debounce)
	assert.Len(t, e.rec.all(), 1)
	assert.True(t, e.rec.times[0].After(finished))
	assert.Equal(t, int64(1), e.ws.hashes.count(), "hashed once, when complete")
	st, err := e.ws.Stat("ws", "slow.csv")
	require.NoError(t, err)
	assert.Equal(t, sha(content.String()), st.ContentHash)
}

func TestWatchBusyFileDoesNotHoldOthersBack(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "ws"), 0o755))
	e := startWatcher(t, root, func(w *Watcher) { w.MaxDelay = 300 * time.Millisecond })

	f, err := os.Create(filepath.Join(root, "ws", "growing.csv"))
	require.NoError(t, err)
	defer f.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				_, _ = f.WriteString("more\n")
			}
		}
	}()
	writeFile(t, root, "ws/other.csv", "o")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "other.csv") }, waitFor, pollEvery)
	close(stop)
	<-done
}

func TestWatchChmodOnlyIsNotAChange(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a.csv", "a")
	e := startWatcher(t, root, nil)
	writeFile(t, root, "ws/a.csv", "aa")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "a.csv") }, waitFor, pollEvery)
	e.rec.reset()
	require.NoError(t, os.Chmod(filepath.Join(root, "ws", "a.csv"), 0o600))
	writeFile(t, root, "ws/b.csv", "b") // a change that must be seen, to know events flow
	require.Eventually(t, func() bool { return e.rec.seen("ws", "b.csv") }, waitFor, pollEvery)
	time.Sleep(3 * e.w.Debounce)
	assert.Zero(t, countFor(e.rec, "ws", "a.csv"))
}

func TestWatchNewAndRemovedWorkspace(t *testing.T) {
	root := t.TempDir()
	e := startWatcher(t, root, nil)

	writeFile(t, root, "fresh/out/a.csv", "a")
	require.Eventually(t, func() bool { return e.rec.wholeWorkspace("fresh") }, waitFor, pollEvery)
	got, err := e.ws.Names()
	require.NoError(t, err)
	assert.Equal(t, []string{"fresh"}, got)
	e.rec.reset()
	writeFile(t, root, "fresh/out/b.csv", "b")
	require.Eventually(t, func() bool { return e.rec.seen("fresh", "out/b.csv") }, waitFor, pollEvery)

	e.rec.reset()
	require.NoError(t, os.RemoveAll(filepath.Join(root, "fresh")))
	require.Eventually(t, func() bool { return e.rec.wholeWorkspace("fresh") }, waitFor, pollEvery)
	require.Eventually(t, func() bool { return e.w.Status().WatchedDirs == 1 }, waitFor, pollEvery)

	// Plain files and hidden folders in the root are not workspaces.
	e.rec.reset()
	writeFile(t, root, "stray.txt", "x")
	writeFile(t, root, ".hidden/x.csv", "x")
	writeFile(t, root, "ws2/x.csv", "x")
	require.Eventually(t, func() bool { return e.rec.wholeWorkspace("ws2") }, waitFor, pollEvery)
	for _, ev := range e.rec.all() {
		assert.Equal(t, "ws2", ev.Workspace)
	}
}

func TestWatchLimitFallsBackToRescanning(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "good/a.csv", "a")
	writeFile(t, root, "full/sub/a.csv", "a")
	e := startWatcher(t, root, func(w *Watcher) {
		w.RescanInterval = 100 * time.Millisecond
		w.AddWatch = func(dir string) error {
			if strings.Contains(dir, string(filepath.Separator)+"full") {
				return fmt.Errorf("inotify_add_watch: %w", syscall.ENOSPC)
			}
			return nil
		}
	})
	st := e.w.Status()
	assert.Equal(t, []string{"full"}, st.Degraded)
	assert.Contains(t, st.DegradedReason, "max_user_watches")
	assert.Equal(t, 2, st.WatchedDirs, "root and good")

	// Changes in the degraded workspace are still seen, by rescanning.
	writeFile(t, root, "full/sub/b.csv", "b")
	writeFile(t, root, "full/sub/a.csv", "changed")
	require.Eventually(t, func() bool { return e.rec.seen("full", "sub/b.csv", "sub/a.csv") }, waitFor, pollEvery)
	require.NoError(t, os.Remove(filepath.Join(root, "full", "sub", "b.csv")))
	e.rec.reset()
	require.Eventually(t, func() bool { return e.rec.seen("full", "sub/b.csv") }, waitFor, pollEvery)
	assert.Positive(t, e.w.Status().Rescans)
	f, err := e.ws.Stat("full", "sub/a.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("changed"), f.ContentHash)

	// The other workspace is still evented.
	writeFile(t, root, "good/b.csv", "b")
	require.Eventually(t, func() bool { return e.rec.seen("good", "b.csv") }, waitFor, pollEvery)
}

func TestWatchRootLimitFallsBackToRescanning(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a.csv", "a")
	e := startWatcher(t, root, func(w *Watcher) {
		w.RescanInterval = 100 * time.Millisecond
		w.AddWatch = func(string) error { return syscall.ENOSPC }
	})
	assert.Equal(t, []string{"", "ws"}, e.w.Status().Degraded)
	assert.Zero(t, e.w.Status().WatchedDirs)

	writeFile(t, root, "ws/b.csv", "b")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "b.csv") }, waitFor, pollEvery)
	writeFile(t, root, "new/c.csv", "c")
	require.Eventually(t, func() bool { return e.rec.wholeWorkspace("new") }, waitFor, pollEvery)
	e.rec.reset()
	writeFile(t, root, "new/d.csv", "d")
	require.Eventually(t, func() bool { return e.rec.seen("new", "d.csv") }, waitFor, pollEvery)
}

func TestWatchNetworkFileSystemIsRescanned(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "nfs/a.csv", "a")
	writeFile(t, root, "local/a.csv", "a")
	e := startWatcher(t, root, func(w *Watcher) {
		w.RescanInterval = 100 * time.Millisecond
		w.NeedsPolling = func(dir string) bool { return filepath.Base(dir) == "nfs" }
	})
	assert.Equal(t, []string{"nfs"}, e.w.Status().Degraded)
	assert.Contains(t, e.w.Status().DegradedReason, "no change events")
	writeFile(t, root, "nfs/deep/b.csv", "b")
	require.Eventually(t, func() bool { return e.rec.seen("nfs", "deep/b.csv") }, waitFor, pollEvery)
}

func TestWatcherRunAndClose(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a/b.csv", "b")
	goroutines := runtime.NumGoroutine()
	w := NewWatcher(New(root, Options{}), &recorder{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	<-w.Ready()
	assert.True(t, w.Status().Running)
	assert.Error(t, w.Run(ctx), "second Run")
	writeFile(t, root, "ws/a/c.csv", "c") // work in flight while stopping
	cancel()
	require.NoError(t, <-errc)
	require.NoError(t, w.Close())
	// Polled here, not with Eventually (which runs its condition on another goroutine).
	deadline := time.Now().Add(waitFor)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(pollEvery)
	}
	if !assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines, "no goroutine left behind") {
		buf := make([]byte, 1<<20)
		t.Log(string(buf[:runtime.Stack(buf, true)]))
	}

	missing := NewWatcher(New(filepath.Join(root, "nope"), Options{}), &recorder{})
	err := missing.Run(context.Background())
	require.Error(t, err)
	assert.False(t, errors.Is(err, context.Canceled))
	require.NoError(t, NewWatcher(New(root, Options{}), nil).Close(), "Close before Run")
}
