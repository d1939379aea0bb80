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
	notify func(ev airlock.Event, at time.Time)
}

func (r *recorder) Publish(events ...airlock.Event) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range events {
		r.events = append(r.events, ev)
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
	r.events = nil
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
	// With a manual clock (startManual): the clock, and the sync files the loop has taken.
	clock  *manualClock
	synced chan string
	syncs  int
}

const waitFor, pollEvery = 15 * time.Second, 10 * time.Millisecond

// startWatcher runs a watcher on the real clock over root until the test ends (for tests
// of what readers see while a watcher runs; they wait on published events).
func startWatcher(t *testing.T, root string, configure func(*Watcher)) *watchEnv {
	t.Helper()
	e := &watchEnv{root: root, ws: New(root, Options{}), rec: &recorder{}}
	e.w = NewWatcher(e.ws, e.rec)
	e.w.Debounce = 50 * time.Millisecond
	if configure != nil {
		configure(e.w)
	}
	e.run(t)
	return e
}

// startManual runs a watcher on a manual clock over root until the test ends: nothing
// settles until the test advances the clock (settle, rescan).
func startManual(t *testing.T, root string, configure func(*Watcher)) *watchEnv {
	t.Helper()
	e := &watchEnv{root: root, ws: New(root, Options{}), rec: &recorder{}, clock: newManualClock(t),
		synced: make(chan string, 64)}
	e.w = NewWatcher(e.ws, e.rec)
	e.w.Debounce = 50 * time.Millisecond
	e.w.Clock = e.clock
	e.w.inspect = make(chan func(*loop))
	e.w.onEvent = func(name string) {
		if strings.HasPrefix(filepath.Base(name), ".sync-") {
			select {
			case e.synced <- name:
			default:
			}
		}
	}
	if configure != nil {
		configure(e.w)
	}
	e.run(t)
	return e
}

func (e *watchEnv) run(t *testing.T) {
	t.Helper()
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
}

// inLoop runs f on the watcher's loop between two of its steps and waits for it.
func (e *watchEnv) inLoop(t *testing.T, f func(l *loop)) {
	t.Helper()
	done := make(chan struct{})
	select {
	case e.w.inspect <- func(l *loop) { f(l); close(done) }:
	case <-time.After(waitFor):
		t.Fatal("the watcher's loop does not answer")
	}
	<-done
}

// sync returns once the loop has taken every file-system event of the changes made so
// far: it writes a hidden file in the root and waits for its event (events come in order).
// Without a watch on the root there are no events to wait for.
func (e *watchEnv) sync(t *testing.T) {
	t.Helper()
	var rootWatched bool
	e.inLoop(t, func(l *loop) { _, rootWatched = l.watched[l.root] })
	if !rootWatched {
		return
	}
	e.syncs++
	name := filepath.Join(e.root, fmt.Sprintf(".sync-%d", e.syncs))
	require.NoError(t, os.WriteFile(name, nil, 0o644))
	deadline := time.After(waitFor)
	for {
		select {
		case got := <-e.synced:
			if got == name {
				return
			}
		case <-deadline:
			t.Fatalf("the watcher did not see %s", name)
		}
	}
}

// counts tells what the loop holds: paths settling, files queued or being hashed, and
// workspaces with changes not yet published.
func (e *watchEnv) counts(t *testing.T) (settling, hashing, unpublished int) {
	t.Helper()
	e.inLoop(t, func(l *loop) {
		settling, hashing = l.deb.len(), l.pool.len()
		for _, st := range l.wss {
			if len(st.changed) > 0 || st.all {
				unpublished++
			}
		}
	})
	return settling, hashing, unpublished
}

// settle takes the events of the changes made so far, advances the clock by the debounce
// interval until nothing is left settling (a new folder's files settle after it), then
// waits until the hashing is done and everything is published.
func (e *watchEnv) settle(t *testing.T) {
	t.Helper()
	e.sync(t)
	for {
		settling, _, _ := e.counts(t)
		if settling == 0 {
			break
		}
		e.clock.Advance(e.w.Debounce)
	}
	require.Eventually(t, func() bool {
		s, h, u := e.counts(t)
		return s == 0 && h == 0 && u == 0
	}, waitFor, pollEvery, "the watcher did not publish what settled")
}

// rescan advances the clock by the rescan interval (a rescan happens) and settles.
func (e *watchEnv) rescan(t *testing.T) {
	t.Helper()
	e.clock.Advance(e.w.RescanInterval)
	e.settle(t)
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

// eventsFor returns the events published for ws.
func eventsFor(r *recorder, ws string) []airlock.Event {
	var out []airlock.Event
	for _, ev := range r.all() {
		if ev.Workspace == ws {
			out = append(out, ev)
		}
	}
	return out
}

func TestWatchNewFileIsHashedBeforeTheEvent(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/old.csv", "old")
	e := startManual(t, root, nil)

	writeFile(t, root, "ws/out/new.csv", "1,2,3")
	e.sync(t)
	assert.Empty(t, e.rec.all(), "nothing is published before the debounce interval")
	e.settle(t)
	require.True(t, e.rec.seen("ws", "out", "out/new.csv"), "events: %v", e.rec.all())
	hashed := e.ws.hashes.count()
	require.Equal(t, int64(1), hashed, "the new file is hashed once, by the watcher")

	f, err := e.ws.Stat("ws", "out/new.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("1,2,3"), f.ContentHash)
	assert.Equal(t, hashed, e.ws.hashes.count(), "readers find the hash cached")

	// The new folder is watched: a later file in it is seen too.
	e.rec.reset()
	writeFile(t, root, "ws/out/second.csv", "2")
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "out/second.csv"))
	assert.False(t, e.rec.seen("ws", "old.csv"), "unchanged files are not reported")
	assert.Equal(t, e.dirCount(t), e.w.Status().WatchedDirs)
}

func TestWatchNewNestedDirectories(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "ws"), 0o755))
	e := startManual(t, root, nil)

	// Created faster than watches can be added: found by walking the new folder.
	writeFile(t, root, "ws/a/b/c/deep.csv", "d")
	writeFile(t, root, "ws/a/b/mid.csv", "m")
	writeFile(t, root, "ws/a/top.csv", "t")
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "a", "a/b/c/deep.csv", "a/b/mid.csv", "a/top.csv"), "events: %v", e.rec.all())
	assert.Equal(t, e.dirCount(t), e.w.Status().WatchedDirs)

	e.rec.reset()
	writeFile(t, root, "ws/a/b/c/later.csv", "l")
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "a/b/c/later.csv"))
	es, err := e.ws.List("ws", "a/b/c", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"deep.csv", "later.csv"}, names(es))
}

func TestWatchAtomicReplace(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/out/t.csv", "v1")
	e := startManual(t, root, nil)
	f, err := e.ws.Stat("ws", "out/t.csv")
	require.NoError(t, err)
	require.Equal(t, sha("v1"), f.ContentHash)

	for i := 2; i <= 3; i++ { // twice: the folder watch survives the replace
		e.rec.reset()
		tmp := filepath.Join(root, "ws", "out", ".t.csv.tmp")
		require.NoError(t, os.WriteFile(tmp, fmt.Appendf(nil, "v%d", i), 0o644))
		require.NoError(t, os.Rename(tmp, filepath.Join(root, "ws", "out", "t.csv")))
		e.settle(t)
		require.Equal(t, []airlock.Event{{Type: airlock.EventWorkspaceChanged, Workspace: "ws", Paths: []string{"out/t.csv"}}},
			e.rec.all(), "one event; hidden temporary files are not reported")
		f, err = e.ws.Stat("ws", "out/t.csv")
		require.NoError(t, err)
		assert.Equal(t, sha(fmt.Sprintf("v%d", i)), f.ContentHash)
	}
}

func TestWatchDelete(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/out/t.csv", "v1")
	writeFile(t, root, "ws/keep.csv", "k")
	e := startManual(t, root, nil)

	require.NoError(t, os.Remove(filepath.Join(root, "ws", "out", "t.csv")))
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "out/t.csv"))
	_, err := e.ws.Stat("ws", "out/t.csv")
	assertCode(t, err, airlock.CodeNotFound)

	e.rec.reset()
	require.NoError(t, os.RemoveAll(filepath.Join(root, "ws", "out")))
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "out"))
	assert.Equal(t, 2, e.w.Status().WatchedDirs, "root and ws")
}

func TestWatchRenameDirectory(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/old/sub/a.csv", "a")
	writeFile(t, root, "ws/old/b.csv", "b")
	e := startManual(t, root, nil)
	require.Equal(t, 4, e.w.Status().WatchedDirs)

	require.NoError(t, os.Rename(filepath.Join(root, "ws", "old"), filepath.Join(root, "ws", "new")))
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "old", "new", "new/sub/a.csv", "new/b.csv"), "events: %v", e.rec.all())
	assert.Equal(t, 4, e.w.Status().WatchedDirs, "old watches dropped, new added")

	// Changes below the renamed folder are reported under the new name, never the old one.
	e.rec.reset()
	writeFile(t, root, "ws/new/sub/c.csv", "c")
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "new/sub/c.csv"))
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
	e := startManual(t, root, nil)
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

	e.settle(t)
	assert.True(t, e.rec.seen("ws", ManifestPath, "out/a.csv", "out/b.csv"), "events: %v", e.rec.all())
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
	e := startManual(t, root, func(w *Watcher) { w.Debounce, w.MaxDelay = 500*time.Millisecond, 30*time.Second })

	f, err := os.OpenFile(filepath.Join(root, "ws", "log.txt"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	for i := range 1000 {
		_, err := fmt.Fprintf(f, "line %d\n", i)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	e.sync(t)
	e.clock.Advance(e.w.Debounce - time.Millisecond)
	settling, hashing, _ := e.counts(t)
	assert.Equal(t, []int{1, 0}, []int{settling, hashing}, "still settling just before the debounce interval")
	e.settle(t)
	assert.Equal(t, []airlock.Event{{Type: airlock.EventWorkspaceChanged, Workspace: "ws", Paths: []string{"log.txt"}}},
		e.rec.all(), "1,000 writes make one event")
	assert.Equal(t, int64(1), e.ws.hashes.count(), "hashed once")

	// 1,000 new files in one burst: one event listing them all.
	e.rec.reset()
	for i := range 1000 {
		writeFile(t, root, fmt.Sprintf("ws/many/f%04d.csv", i), "x")
	}
	e.settle(t)
	evs := e.rec.all()
	require.Len(t, evs, 1)
	assert.Len(t, evs[0].Paths, 1001, "the folder and its files")
}

func TestWatchSlowlyWrittenFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "ws"), 0o755))
	e := startManual(t, root, func(w *Watcher) { w.Debounce, w.MaxDelay = 500*time.Millisecond, 30*time.Second })

	// 20 writes a tenth of the debounce interval apart: twice the interval in all, but the
	// file is never quiet for a whole interval until it is complete.
	f, err := os.Create(filepath.Join(root, "ws", "slow.csv"))
	require.NoError(t, err)
	var content strings.Builder
	for i := range 20 {
		line := fmt.Sprintf("%d,%d\n", i, i*i)
		content.WriteString(line)
		_, err := f.WriteString(line)
		require.NoError(t, err)
		e.sync(t)
		e.clock.Advance(e.w.Debounce / 10)
		settling, hashing, _ := e.counts(t)
		require.Equal(t, []int{1, 0}, []int{settling, hashing}, "after write %d the file is still settling", i+1)
	}
	require.NoError(t, f.Close())
	assert.Empty(t, e.rec.all(), "nothing is reported while the file is still being written")
	e.settle(t)
	assert.Len(t, e.rec.all(), 1)
	assert.Equal(t, int64(1), e.ws.hashes.count(), "hashed once, when complete")
	st, err := e.ws.Stat("ws", "slow.csv")
	require.NoError(t, err)
	assert.Equal(t, sha(content.String()), st.ContentHash)
}

func TestWatchBusyFileDoesNotHoldOthersBack(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "ws"), 0o755))
	const maxDelay = 300 * time.Millisecond
	e := startManual(t, root, func(w *Watcher) { w.MaxDelay = maxDelay })

	f, err := os.Create(filepath.Join(root, "ws", "growing.csv"))
	require.NoError(t, err)
	defer f.Close()
	writeFile(t, root, "ws/other.csv", "o")
	// growing.csv is written every half debounce interval, so it never settles by itself;
	// other.csv is published with it once growing.csv has been busy for MaxDelay.
	var elapsed time.Duration
	for !e.rec.seen("ws", "other.csv") {
		require.LessOrEqual(t, elapsed, maxDelay, "other.csv is held back longer than MaxDelay")
		_, err := f.WriteString("more\n")
		require.NoError(t, err)
		e.sync(t)
		step := e.w.Debounce / 2
		e.clock.Advance(step)
		elapsed += step
		require.Eventually(t, func() bool { _, h, _ := e.counts(t); return h == 0 }, waitFor, pollEvery)
	}
	assert.Equal(t, maxDelay, elapsed)
	assert.Equal(t, []airlock.Event{{Type: airlock.EventWorkspaceChanged, Workspace: "ws", Paths: []string{"growing.csv", "other.csv"}}},
		e.rec.all(), "the busy file is reported as it is, with the other")
}

func TestWatchChmodOnlyIsNotAChange(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a.csv", "a")
	e := startManual(t, root, nil)
	writeFile(t, root, "ws/a.csv", "aa")
	e.settle(t)
	require.True(t, e.rec.seen("ws", "a.csv"))
	e.rec.reset()
	require.NoError(t, os.Chmod(filepath.Join(root, "ws", "a.csv"), 0o600))
	writeFile(t, root, "ws/b.csv", "b") // a change that must be seen, to know events flow
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "b.csv"))
	assert.Zero(t, countFor(e.rec, "ws", "a.csv"))
}

func TestWatchNewAndRemovedWorkspace(t *testing.T) {
	root := t.TempDir()
	e := startManual(t, root, nil)

	writeFile(t, root, "fresh/out/a.csv", "a")
	e.settle(t)
	assert.True(t, e.rec.wholeWorkspace("fresh"))
	got, err := e.ws.Names()
	require.NoError(t, err)
	assert.Equal(t, []string{"fresh"}, got)
	e.rec.reset()
	writeFile(t, root, "fresh/out/b.csv", "b")
	e.settle(t)
	assert.True(t, e.rec.seen("fresh", "out/b.csv"))

	e.rec.reset()
	require.NoError(t, os.RemoveAll(filepath.Join(root, "fresh")))
	e.settle(t)
	assert.True(t, e.rec.wholeWorkspace("fresh"))
	assert.Equal(t, 1, e.w.Status().WatchedDirs)

	// Plain files and hidden folders in the root are not workspaces.
	e.rec.reset()
	writeFile(t, root, "stray.txt", "x")
	writeFile(t, root, ".hidden/x.csv", "x")
	writeFile(t, root, "ws2/x.csv", "x")
	e.settle(t)
	assert.True(t, e.rec.wholeWorkspace("ws2"))
	for _, ev := range e.rec.all() {
		assert.Equal(t, "ws2", ev.Workspace)
	}
}

func TestWatchLimitFallsBackToRescanning(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "good/a.csv", "a")
	writeFile(t, root, "full/sub/a.csv", "a")
	e := startManual(t, root, func(w *Watcher) {
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

	// Changes in the degraded workspace are seen by rescanning, not before.
	writeFile(t, root, "full/sub/b.csv", "b")
	writeFile(t, root, "full/sub/a.csv", "changed")
	e.settle(t)
	assert.Empty(t, eventsFor(e.rec, "full"), "no events without a rescan")
	e.rescan(t)
	assert.True(t, e.rec.seen("full", "sub/b.csv", "sub/a.csv"), "events: %v", e.rec.all())
	require.NoError(t, os.Remove(filepath.Join(root, "full", "sub", "b.csv")))
	e.rec.reset()
	e.rescan(t)
	assert.True(t, e.rec.seen("full", "sub/b.csv"))
	assert.Positive(t, e.w.Status().Rescans)
	f, err := e.ws.Stat("full", "sub/a.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("changed"), f.ContentHash)

	// The other workspace is still evented.
	e.rec.reset()
	writeFile(t, root, "good/b.csv", "b")
	e.settle(t)
	assert.True(t, e.rec.seen("good", "b.csv"))
}

func TestWatchRootLimitFallsBackToRescanning(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a.csv", "a")
	e := startManual(t, root, func(w *Watcher) {
		w.RescanInterval = 100 * time.Millisecond
		w.AddWatch = func(string) error { return syscall.ENOSPC }
	})
	assert.Equal(t, []string{"", "ws"}, e.w.Status().Degraded)
	assert.Zero(t, e.w.Status().WatchedDirs)

	writeFile(t, root, "ws/b.csv", "b")
	e.rescan(t)
	assert.True(t, e.rec.seen("ws", "b.csv"))
	writeFile(t, root, "new/c.csv", "c")
	e.rescan(t)
	assert.True(t, e.rec.wholeWorkspace("new"))
	e.rec.reset()
	writeFile(t, root, "new/d.csv", "d")
	e.rescan(t)
	assert.True(t, e.rec.seen("new", "d.csv"))
}

func TestWatchNetworkFileSystemIsRescanned(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "nfs/a.csv", "a")
	writeFile(t, root, "local/a.csv", "a")
	e := startManual(t, root, func(w *Watcher) {
		w.RescanInterval = 100 * time.Millisecond
		w.NeedsPolling = func(dir string) bool { return filepath.Base(dir) == "nfs" }
	})
	assert.Equal(t, []string{"nfs"}, e.w.Status().Degraded)
	assert.Contains(t, e.w.Status().DegradedReason, "no change events")
	writeFile(t, root, "nfs/deep/b.csv", "b")
	e.rescan(t)
	assert.True(t, e.rec.seen("nfs", "deep/b.csv"))
}

// TestWatchOnTheRealClock: the watcher as it runs in production (real clock, real
// timers): a change is published once it settles.
func TestWatchOnTheRealClock(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a.csv", "a")
	e := startWatcher(t, root, nil)
	writeFile(t, root, "ws/out/b.csv", "b")
	require.Eventually(t, func() bool { return e.rec.seen("ws", "out", "out/b.csv") }, waitFor, pollEvery)
	f, err := e.ws.Stat("ws", "out/b.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("b"), f.ContentHash)
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
	// Polled here with a ticker, not with Eventually (which runs its condition on other
	// goroutines, and they would be counted).
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	deadline := time.After(waitFor)
wait:
	for runtime.NumGoroutine() > goroutines {
		select {
		case <-poll.C:
		case <-deadline:
			break wait
		}
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

// TestWatchRewriteWithSameStatIsPublished: a rewrite that leaves size, mtime and inode as
// they were (as one within a tick of the file system's clock does; here the mtime is set
// back) is still a change: it is published, and Stat then gives the new hash.
func TestWatchRewriteWithSameStatIsPublished(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a.csv", "aa")
	name := filepath.Join(root, "ws", "a.csv")
	e := startManual(t, root, nil)
	writeFile(t, root, "ws/a.csv", "bb")
	e.settle(t)
	require.True(t, e.rec.seen("ws", "a.csv"))
	f, err := e.ws.Stat("ws", "a.csv")
	require.NoError(t, err)
	require.Equal(t, sha("bb"), f.ContentHash)
	before, err := os.Stat(name)
	require.NoError(t, err)

	e.rec.reset()
	writeFile(t, root, "ws/a.csv", "cc")
	require.NoError(t, os.Chtimes(name, before.ModTime(), before.ModTime()))
	after, err := os.Stat(name)
	require.NoError(t, err)
	require.Equal(t, stateOf(before), stateOf(after), "the rewrite keeps the stat the watcher compares")
	e.settle(t)
	assert.True(t, e.rec.seen("ws", "a.csv"), "the rewrite is published: %v", e.rec.all())
	f, err = e.ws.Stat("ws", "a.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("cc"), f.ContentHash)
}
