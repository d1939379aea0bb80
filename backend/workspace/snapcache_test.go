package workspace

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listNames lists one level of ws, failing the test on error.
func listNames(t testing.TB, w *Workspaces, ws, dir string) []string {
	t.Helper()
	es, err := w.List(ws, dir, true)
	require.NoError(t, err)
	return names(es)
}

func (e *watchEnv) waitSeen(t *testing.T, ws string, paths ...string) {
	t.Helper()
	require.Eventually(t, func() bool { return e.rec.seen(ws, paths...) }, waitFor, pollEvery,
		"no event for %s %v: %v", ws, paths, e.rec.all())
}

func TestSnapshotCacheWithoutWatcherAlwaysWalks(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "plain/out/a.csv", "a")
	w := New(root, Options{})
	for i := range 3 {
		assert.Equal(t, []string{"out/"}, listNames(t, w, "plain", ""))
		assert.Equal(t, int64(i+1), w.snaps.walks.Load())
	}
	// A change made behind its back is seen at once: nothing is cached.
	writeFile(t, root, "plain/out/b.csv", "b")
	assert.Equal(t, []string{"a.csv", "b.csv"}, listNames(t, w, "plain", "out"))
}

// TestSnapshotCacheFollowsWatcher: while a watcher follows a workspace, List and
// ManifestHash reuse one walk until the workspace changes, and every change is visible once
// its event is published.
func TestSnapshotCacheFollowsWatcher(t *testing.T) {
	root := t.TempDir()
	for i := range 20 {
		writeFile(t, root, fmt.Sprintf("plain/out/d%d/f%d.csv", i%4, i), "x")
	}
	writeFile(t, root, "job/out/a.csv", "a")
	writeManifest(t, filepath.Join(root, "job"), map[string]output{"out/a.csv": moderately("a")})
	e := startWatcher(t, root, nil)
	w := e.ws
	walks := func() int64 { return w.snaps.walks.Load() }

	base := walks()
	hash1, err := w.ManifestHash("plain")
	require.NoError(t, err)
	assert.Equal(t, []string{"d0/", "d1/", "d2/", "d3/"}, listNames(t, w, "plain", "out"))
	assert.Len(t, listNames(t, w, "plain", "out/d1"), 5)
	again, err := w.ManifestHash("plain")
	require.NoError(t, err)
	assert.Equal(t, hash1, again)
	assert.Equal(t, base+1, walks(), "one walk served every call")

	t.Run("new file", func(t *testing.T) {
		writeFile(t, root, "plain/out/d1/new.csv", "n")
		e.waitSeen(t, "plain", "out/d1/new.csv")
		assert.Contains(t, listNames(t, w, "plain", "out/d1"), "new.csv")
		n := walks()
		listNames(t, w, "plain", "out/d1")
		assert.Equal(t, n, walks(), "cached again")
	})
	t.Run("new folder", func(t *testing.T) {
		writeFile(t, root, "plain/out/d9/deep/z.csv", "z")
		e.waitSeen(t, "plain", "out/d9/deep/z.csv")
		assert.Equal(t, []string{"z.csv"}, listNames(t, w, "plain", "out/d9/deep"))
	})
	t.Run("in-place write changes the manifest hash", func(t *testing.T) {
		before, err := w.ManifestHash("plain")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(root, "plain/out/d0/f0.csv"), []byte("longer"), 0o644))
		e.waitSeen(t, "plain", "out/d0/f0.csv")
		after, err := w.ManifestHash("plain")
		require.NoError(t, err)
		assert.NotEqual(t, before, after)
	})
	t.Run("delete and folder rename", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(root, "plain/out/d2/f2.csv")))
		require.NoError(t, os.Rename(filepath.Join(root, "plain/out/d3"), filepath.Join(root, "plain/out/e3")))
		e.waitSeen(t, "plain", "out/d2/f2.csv", "out/d3")
		assert.NotContains(t, listNames(t, w, "plain", "out/d2"), "f2.csv")
		assert.Equal(t, []string{"d0/", "d1/", "d2/", "d9/", "e3/"}, listNames(t, w, "plain", "out"))
	})
	t.Run("manifest rewrite", func(t *testing.T) {
		assert.Equal(t, []string{"a.csv"}, listNames(t, w, "job", "out"))
		writeManifest(t, filepath.Join(root, "job"), map[string]output{"out/a.csv": moderately("a"), "out/b.csv": moderately("b")})
		e.waitSeen(t, "job", "out/b.csv")
		assert.Equal(t, []string{"a.csv", "b.csv"}, listNames(t, w, "job", "out"))
	})
	t.Run("stopped watcher caches nothing", func(t *testing.T) {
		require.NoError(t, e.w.Close())
		n := walks()
		listNames(t, w, "plain", "out")
		listNames(t, w, "plain", "out")
		assert.Equal(t, n+2, walks())
		writeFile(t, root, "plain/out/after-stop.csv", "s")
		assert.Contains(t, listNames(t, w, "plain", "out"), "after-stop.csv")
	})
}

// TestSnapshotCacheOffWhenRescanning: a workspace followed by rescanning (watch limit) is
// walked on every call, so it is never staler than without the cache.
func TestSnapshotCacheOffWhenRescanning(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "limited/out/a.csv", "a")
	writeFile(t, root, "fine/out/a.csv", "a")
	e := startWatcher(t, root, func(w *Watcher) {
		w.AddWatch = func(dir string) error {
			if dir == filepath.Join(root, "limited") || filepath.Dir(dir) == filepath.Join(root, "limited") {
				return syscall.ENOSPC
			}
			return nil
		}
	})
	w := e.ws
	n := w.snaps.walks.Load()
	listNames(t, w, "limited", "out")
	listNames(t, w, "limited", "out")
	assert.Equal(t, n+2, w.snaps.walks.Load())
	writeFile(t, root, "limited/out/b.csv", "b")
	assert.Equal(t, []string{"a.csv", "b.csv"}, listNames(t, w, "limited", "out"), "seen before any rescan")

	n = w.snaps.walks.Load()
	listNames(t, w, "fine", "out")
	listNames(t, w, "fine", "out")
	assert.Equal(t, n+1, w.snaps.walks.Load(), "the other workspace is cached")
}

// TestSnapshotCacheUnderConcurrentReaders: readers list the folder continuously while files
// appear; as soon as a file's event is published, every List shows it (a walk racing the
// change is never kept).
func TestSnapshotCacheUnderConcurrentReaders(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "busy/out/seed.csv", "s")
	e := startWatcher(t, root, nil)
	w := e.ws
	readWhile(t, func() error {
		_, err := w.List("busy", "out", true)
		return err
	})
	for i := range 30 {
		name := fmt.Sprintf("f%02d.csv", i)
		writeFile(t, root, "busy/out/"+name, "x")
		e.waitSeen(t, "busy", "out/"+name)
		got := listNames(t, w, "busy", "out")
		require.True(t, slices.Contains(got, name), "%s missing after its event: %v", name, got)
	}
}

func TestSnapCacheKeepsNoWalkThatRacedAnInvalidation(t *testing.T) {
	c := newSnapCache()
	assert.Nil(t, c.view("ws"), "not followed: nothing to keep")

	c.follow("ws", true)
	v := c.view("ws")
	require.NotNil(t, v)
	c.invalidate("ws") // a change arrives while the walk runs
	v.keepHandles(nil, &parsedManifest{hash: "stale"}, true)
	v.keepSnapshot(&snapshot{hash: "stale"})
	v.keepListing(listKey{dir: "out"}, listing{found: true})
	v.keepStats([]string{"out/a.csv"}, []statResult{{err: errBadPath("out/a.csv")}}, []int{0})
	fresh := c.view("ws")
	require.NotNil(t, fresh)
	_, _, _, opened := fresh.handles()
	assert.False(t, opened, "the manifest read before the change was not kept")
	assert.Nil(t, fresh.snapshot(), "the racing walk was not kept")
	_, ok := fresh.listing(listKey{dir: "out"})
	assert.False(t, ok, "nor the listing made from it")
	res := make([]statResult, 1)
	assert.Equal(t, []int{0}, fresh.stat([]string{"out/a.csv"}, res, []int{0}), "nor the stat")

	fresh.keepSnapshot(&snapshot{hash: "fresh"})
	s := c.view("ws").snapshot()
	require.NotNil(t, s)
	assert.Equal(t, "fresh", s.hash)
	_, pm, _, kept := fresh.keepHandles(nil, &parsedManifest{hash: "first"}, true)
	assert.True(t, kept)
	_, pm2, _, kept := fresh.keepHandles(nil, &parsedManifest{hash: "second"}, true)
	assert.False(t, kept, "the view keeps the first workspace opened")
	assert.Same(t, pm, pm2)

	c.unfollowAll()
	assert.Nil(t, c.view("ws"))
}

// BenchmarkListPlainFolder lists the top level of a plain folder of 10,000 files in 100
// folders: walking it on each call (no watcher) against the snapshot cache a running
// watcher keeps.
func BenchmarkListPlainFolder(b *testing.B) {
	root := b.TempDir()
	for d := range 100 {
		for f := range 100 {
			writeFile(b, root, fmt.Sprintf("big/out/d%03d/f%03d.csv", d, f), "1,2\n")
		}
	}
	b.Run("walk", func(b *testing.B) {
		w := New(root, Options{})
		for b.Loop() {
			if _, err := w.List("big", "out", false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		w := New(root, Options{})
		wt := NewWatcher(w, &recorder{})
		errc := make(chan error, 1)
		go func() { errc <- wt.Run(b.Context()) }()
		select {
		case <-wt.Ready():
		case <-time.After(waitFor):
			b.Fatal("watcher not ready")
		}
		defer func() {
			_ = wt.Close()
			<-errc
		}()
		for b.Loop() {
			if _, err := w.List("big", "out", false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(w.snaps.walks.Load()), "walks")
	})
}

// BenchmarkStatRequestFiles stats the eight files of a request (two folders of a job-runner
// workspace) as a request view does: one Stat per file, one StatFiles call of files changed
// just now (the stat cache keeps nothing of them), the same once the files are older than
// racyWindow (answered from the stat cache after an lstat of each folder), and StatFiles
// while a watcher follows the workspace.
func BenchmarkStatRequestFiles(b *testing.B) {
	root := b.TempDir()
	outputs := map[string]output{}
	var paths []string
	for _, g := range []string{"tables", "figures"} {
		for i := range 4 {
			p := fmt.Sprintf("output/%s/file%d.csv", g, i)
			c := fmt.Sprintf("a,b\n%s,%d\n", g, i)
			writeFile(b, root, "ws/"+p, c)
			outputs[p] = moderately(c)
			paths = append(paths, p)
		}
	}
	writeManifest(b, filepath.Join(root, "ws"), outputs)
	check := func(errs []error) {
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("stat-each", func(b *testing.B) {
		w := New(root, Options{})
		for b.Loop() {
			for _, p := range paths {
				_, err := w.Stat("ws", p)
				check([]error{err})
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		w := New(root, Options{})
		for b.Loop() {
			_, errs := w.StatFiles("ws", paths)
			check(errs)
		}
	})
	b.Run("batch-settled", func(b *testing.B) {
		// The files were written just now; a clock racyWindow ahead sees them as a request
		// view usually finds outputs, written by a job long before.
		w := New(root, Options{Now: func() time.Time { return time.Now().Add(racyWindow) }})
		for b.Loop() {
			_, errs := w.StatFiles("ws", paths)
			check(errs)
		}
		b.ReportMetric(float64(w.stats.hits.Load())/float64(b.N*len(paths)), "cached/stat")
	})
	b.Run("batch-watched", func(b *testing.B) {
		w := New(root, Options{})
		wt := NewWatcher(w, &recorder{})
		errc := make(chan error, 1)
		go func() { errc <- wt.Run(b.Context()) }()
		<-wt.Ready()
		defer func() {
			_ = wt.Close()
			<-errc
		}()
		for b.Loop() {
			_, errs := w.StatFiles("ws", paths)
			check(errs)
		}
	})
}

// TestStatCacheUnderConcurrentReaders: readers stat a file continuously while it is
// rewritten; as soon as the change's event is published, every Stat gives the new hash (a
// stat racing the change is never kept).
func TestStatCacheUnderConcurrentReaders(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "busy/out/f.csv", "v0")
	writeFile(t, root, "busy/out/g.csv", "g")
	e := startWatcher(t, root, nil)
	w := e.ws
	readWhile(t, func() error { return statBoth(w, "busy", "out/f.csv", "out/g.csv") })
	for i := range 20 {
		content := fmt.Sprintf("v%d", i+1)
		e.rec.reset()
		writeFile(t, root, "busy/out/f.csv", content)
		e.waitSeen(t, "busy", "out/f.csv")
		f, err := w.Stat("busy", "out/f.csv")
		require.NoError(t, err)
		require.Equal(t, sha(content), f.ContentHash, "stale hash after the event of write %d", i+1)
	}
}
