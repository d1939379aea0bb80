package livetest

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
)

var (
	alice = newAccount("alice", "study", "manifested", "late")
	oscar = newAccount("oscar", "other")
)

// TestChangesOnDisk follows each kind of change made to a workspace folder while the server
// runs: each must reach a WebSocket client as a workspace.changed frame, and once it has,
// the service's queries must already show it (a client refetches when told).
func TestChangesOnDisk(t *testing.T) {
	s := start(t, config{
		users: []account{alice, oscar},
		files: map[string]string{
			"study/output/seed.csv":                  "a,b\n1,2\n",
			"study/output/tables/a.csv":              "x\n1\n",
			"study/output/tables/b.csv":              "y\n2\n",
			"manifested/output/m1.csv":               "m1\n",
			"manifested/" + "metadata/manifest.json": manifest("manifested", map[string]string{"output/m1.csv": "m1\n"}),
			"other/output/o.csv":                     "o\n",
		},
	})
	a := login(t, s.URL, alice)
	o := login(t, s.URL, oscar)
	ac := dial(t, s.URL, a, nil)
	oc := dial(t, s.URL, o, nil)

	t.Run("new file", func(t *testing.T) {
		m := ac.mark()
		writeFile(t, s.path("study/output/new.csv"), "a,b\n3,4\n")
		ac.waitPaths(t, m, "study", "output/new.csv")

		it, ok := s.tree(t, a, "study", "output")["output/new.csv"]
		require.True(t, ok, "the new file is listed")
		assert.Equal(t, int64(8), it.Size)
		assert.Equal(t, airlock.WorkspaceUnreleased, it.Status)
		assert.Equal(t, sha("a,b\n3,4\n"), s.file(t, a, "study", "output/new.csv").SHA256)
	})

	t.Run("new nested directory with files", func(t *testing.T) {
		m := ac.mark()
		writeFile(t, s.path("study/output/run1/x.csv"), "x\n")
		writeFile(t, s.path("study/output/run1/deep/y.csv"), "y\n")
		writeFile(t, s.path("study/output/run1/deep/er/z.csv"), "z\n")
		ac.waitPaths(t, m, "study", "output/run1/x.csv", "output/run1/deep/y.csv", "output/run1/deep/er/z.csv")

		assert.Equal(t, contract.KindDir, s.tree(t, a, "study", "output")["output/run1"].Kind)
		assert.Contains(t, s.tree(t, a, "study", "output/run1/deep"), "output/run1/deep/y.csv")
		assert.Equal(t, int64(2), s.tree(t, a, "study", "output/run1/deep/er")["output/run1/deep/er/z.csv"].Size)
		assert.Equal(t, sha("z\n"), s.file(t, a, "study", "output/run1/deep/er/z.csv").SHA256)

		// The new folders are watched: a file written in the deepest one later is seen too.
		m = ac.mark()
		writeFile(t, s.path("study/output/run1/deep/er/later.csv"), "later\n")
		ac.waitPaths(t, m, "study", "output/run1/deep/er/later.csv")
		assert.Contains(t, s.tree(t, a, "study", "output/run1/deep/er"), "output/run1/deep/er/later.csv")
	})

	t.Run("atomic replace", func(t *testing.T) {
		m := ac.mark()
		replaceFile(t, s.path("study/output/seed.csv"), "a,b\n5,6\n7,8\n")
		ac.waitPaths(t, m, "study", "output/seed.csv")
		d := s.file(t, a, "study", "output/seed.csv")
		assert.Equal(t, sha("a,b\n5,6\n7,8\n"), d.SHA256)
		assert.Equal(t, int64(12), d.Size)
		for _, f := range ac.changed(m, "study") {
			for _, p := range f.Paths {
				assert.False(t, strings.Contains(p, "/."), "hidden temp file %s reported", p)
			}
		}

		// The folder is watched, not the replaced file: a later in-place write is seen.
		m = ac.mark()
		require.NoError(t, os.WriteFile(s.path("study/output/seed.csv"), []byte("a,b\n9,9\n"), 0o644))
		ac.waitPaths(t, m, "study", "output/seed.csv")
		assert.Equal(t, sha("a,b\n9,9\n"), s.file(t, a, "study", "output/seed.csv").SHA256)
	})

	t.Run("delete", func(t *testing.T) {
		m := ac.mark()
		require.NoError(t, os.Remove(s.path("study/output/tables/a.csv")))
		ac.waitPaths(t, m, "study", "output/tables/a.csv")
		tree := s.tree(t, a, "study", "output/tables")
		assert.NotContains(t, tree, "output/tables/a.csv")
		assert.Contains(t, tree, "output/tables/b.csv")
		assert.Equal(t, airlock.CodeNotFound, s.fileCode(t, a, "study", "output/tables/a.csv"))
	})

	t.Run("rename of a directory", func(t *testing.T) {
		m := ac.mark()
		require.NoError(t, os.Rename(s.path("study/output/tables"), s.path("study/output/renamed")))
		ac.waitPaths(t, m, "study", "output/tables", "output/renamed/b.csv")
		out := s.tree(t, a, "study", "output")
		assert.NotContains(t, out, "output/tables")
		assert.Equal(t, contract.KindDir, out["output/renamed"].Kind)
		assert.Contains(t, s.tree(t, a, "study", "output/renamed"), "output/renamed/b.csv")
		assert.Equal(t, airlock.CodeNotFound, s.treeCode(t, a, "study", "output/tables"))

		// Writes in the renamed folder are reported under its new name only.
		m = ac.mark()
		require.NoError(t, os.WriteFile(s.path("study/output/renamed/b.csv"), []byte("y\n3\n"), 0o644))
		ac.waitPaths(t, m, "study", "output/renamed/b.csv")
		assert.Empty(t, ac.mentioning(m, "study", "output/tables/b.csv"), "the old folder's watch was dropped")
		assert.Equal(t, sha("y\n3\n"), s.file(t, a, "study", "output/renamed/b.csv").SHA256)
	})

	t.Run("manifest rewrite", func(t *testing.T) {
		before := s.workspace(t, a, "manifested")
		m := ac.mark()
		writeFile(t, s.path("manifested/output/m1.csv"), "m1 v2\n")
		writeFile(t, s.path("manifested/output/m2.csv"), "m2\n")
		replaceFile(t, s.path("manifested/metadata/manifest.json"),
			manifest("manifested", map[string]string{"output/m1.csv": "m1 v2\n", "output/m2.csv": "m2\n"}))
		ac.waitPaths(t, m, "manifested", "output/m1.csv", "output/m2.csv")

		tree := s.tree(t, a, "manifested", "output")
		require.Contains(t, tree, "output/m2.csv")
		assert.Equal(t, int64(len("m1 v2\n")), tree["output/m1.csv"].Size)
		assert.Equal(t, sha("m1 v2\n"), s.file(t, a, "manifested", "output/m1.csv").SHA256)
		assert.Equal(t, sha("m2\n"), s.file(t, a, "manifested", "output/m2.csv").SHA256)
		after := s.workspace(t, a, "manifested")
		assert.NotEqual(t, before.ManifestHash, after.ManifestHash)

		// An output dropped from the manifest disappears from the tree, though its file stays.
		m = ac.mark()
		replaceFile(t, s.path("manifested/metadata/manifest.json"),
			manifest("manifested", map[string]string{"output/m1.csv": "m1 v2\n"}))
		ac.waitPaths(t, m, "manifested", "output/m2.csv")
		assert.NotContains(t, s.tree(t, a, "manifested", "output"), "output/m2.csv")
		assert.FileExists(t, s.path("manifested/output/m2.csv"))
	})

	t.Run("burst of 1,000 writes is one event", func(t *testing.T) {
		const writes = 1000
		line := "1,2,3,4,5,6,7,8,9,10\n"
		m := ac.mark()
		f, err := os.Create(s.path("study/output/burst.csv"))
		require.NoError(t, err)
		began := time.Now()
		for range writes {
			_, err := f.WriteString(line)
			require.NoError(t, err)
		}
		burst := time.Since(began)
		require.NoError(t, f.Close())
		ac.waitPaths(t, m, "study", "output/burst.csv")

		// A sentinel change made after the burst was reported: once it arrives, any further
		// event about the burst would have arrived too (events of one client keep their
		// order, and a later event would hold the burst path, not only the sentinel).
		m2 := ac.mark()
		writeFile(t, s.path("study/output/sentinel.csv"), "s\n")
		ac.waitPaths(t, m2, "study", "output/sentinel.csv")

		// One event, unless the burst outlasted the watcher's MaxDelay (a very loaded
		// machine), which releases a still-busy path once per MaxDelay by design.
		maxDelay := s.B.Watcher.MaxDelay
		if maxDelay <= 0 {
			maxDelay = time.Second
		}
		allowed := 1 + int(burst/maxDelay)
		got := len(ac.mentioning(m, "study", "output/burst.csv"))
		t.Logf("%d writes in %s: %d workspace.changed frame(s) listed the file (%d frames in all)",
			writes, burst, got, len(ac.changed(m, "study")))
		assert.GreaterOrEqual(t, got, 1)
		assert.LessOrEqual(t, got, allowed, ac.dump())

		d := s.file(t, a, "study", "output/burst.csv")
		assert.Equal(t, int64(writes*len(line)), d.Size)
		assert.Equal(t, sha(strings.Repeat(line, writes)), d.SHA256)
	})

	t.Run("slowly written file", func(t *testing.T) {
		chunk := strings.Repeat("0123456789,", 100) + "\n"
		m := ac.mark()
		f, err := os.Create(s.path("study/output/slow.csv"))
		require.NoError(t, err)
		stop := make(chan struct{})
		var writing atomic.Bool
		writing.Store(true)
		wrote := make(chan int, 1)
		go func() {
			defer writing.Store(false)
			n := 0
			defer func() { wrote <- n }()
			for range 400 { // at most 400 × 150 ms = 60 s
				if _, err := f.WriteString(chunk); err != nil {
					return
				}
				n++
				select {
				case <-stop:
					return
				case <-time.After(150 * time.Millisecond):
				}
			}
		}()
		// The growing file is reported while it is written...
		ac.waitPaths(t, m, "study", "output/slow.csv")
		// ...and does not hold up other changes of the workspace.
		m2 := ac.mark()
		writeFile(t, s.path("study/output/meanwhile.csv"), "m\n")
		ac.waitPaths(t, m2, "study", "output/meanwhile.csv")
		assert.True(t, writing.Load(), "the slow writer was still writing when the other change was reported")
		close(stop)
		n := <-wrote
		require.NoError(t, f.Close())

		// The last piece arrives: the final content is reported and served.
		m3 := ac.mark()
		g, err := os.OpenFile(s.path("study/output/slow.csv"), os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = g.WriteString("end\n")
		require.NoError(t, err)
		require.NoError(t, g.Close())
		ac.waitPaths(t, m3, "study", "output/slow.csv")
		final := strings.Repeat(chunk, n) + "end\n"
		d := s.file(t, a, "study", "output/slow.csv")
		assert.Equal(t, int64(len(final)), d.Size)
		assert.Equal(t, sha(final), d.SHA256)
	})

	t.Run("new workspace appears without a restart", func(t *testing.T) {
		assert.NotContains(t, s.workspaceNames(t, a), "late")
		m := ac.mark()
		writeFile(t, s.path("late/output/first.csv"), "f\n")
		ac.waitWorkspace(t, m, "late")
		assert.Contains(t, s.workspaceNames(t, a), "late")
		assert.Contains(t, s.tree(t, a, "late", "output"), "output/first.csv")

		m = ac.mark()
		writeFile(t, s.path("late/output/second.csv"), "s\n")
		ac.waitPaths(t, m, "late", "output/second.csv")
	})

	t.Run("users who may not view a workspace hear nothing of it", func(t *testing.T) {
		// Everything above was published before this change is made, and one client's
		// events keep their order: oscar's first workspace event must be this one.
		m := oc.mark()
		writeFile(t, s.path("other/output/o2.csv"), "o2\n")
		oc.waitPaths(t, m, "other", "output/o2.csv")
		for _, f := range oc.since(0) {
			if f.Type == airlock.EventWorkspaceChanged {
				assert.Equal(t, "other", f.Workspace, "oscar may view only workspace other")
			}
		}
		assert.Equal(t, airlock.CodeNotFound, s.treeCode(t, o, "study", ""))
		assert.Equal(t, airlock.CodeNotFound, s.fileCode(t, o, "study", "output/seed.csv"))

		// And alice, who may not view "other", was not told of it either.
		m = ac.mark()
		writeFile(t, s.path("study/output/after-other.csv"), "a\n")
		ac.waitPaths(t, m, "study", "output/after-other.csv")
		for _, f := range ac.since(0) {
			assert.NotEqual(t, "other", f.Workspace, "alice may not view workspace other")
		}
	})

	t.Run("metrics count watched folders, events and publications", func(t *testing.T) {
		dirs := 0
		require.NoError(t, filepath.WalkDir(s.Root, func(_ string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
				dirs++
			}
			return err
		}))
		eventually(t, "the watched-folder gauge to match the tree", func() bool {
			return metric(t, s.URL, "airlock_watcher_watched_dirs") == float64(dirs)
		}, func() string { return fmt.Sprintf("want %d folders; status %+v", dirs, s.B.Watcher.Status()) })
		events := metric(t, s.URL, "airlock_watcher_events_total")
		pub := metric(t, s.URL, "airlock_watcher_published_total")
		t.Logf("watcher: %v file-system events, %v workspace.changed published", events, pub)
		assert.Greater(t, pub, float64(10))
		assert.Greater(t, events, 2*pub, "file-system events are coalesced into fewer publications")
		assert.Equal(t, float64(0), metric(t, s.URL, "airlock_watcher_rescans_total"))
		assert.Equal(t, float64(0), metric(t, s.URL, "airlock_watcher_degraded_workspaces"))
		assert.Equal(t, float64(1), metric(t, s.URL, "airlock_watcher_running"))
	})
}

// TestAirlockServeCommand runs the `airlock serve` command itself: its WebSocket clients
// hear of a change on disk, its API shows it, and /metrics follows the watcher.
func TestAirlockServeCommand(t *testing.T) {
	s := serveCommand(t, config{
		users: []account{alice, oscar},
		files: map[string]string{"study/output/a.csv": "a\n", "other/output/o.csv": "o\n"},
	})
	// The watcher runs in the background: wait until it watches the root and both
	// workspaces with their output folders.
	eventually(t, "the watcher to watch 5 folders", func() bool {
		return metric(t, s.URL, "airlock_watcher_watched_dirs") == 5
	}, func() string { return s.Logs.String() })
	assert.Equal(t, float64(1), metric(t, s.URL, "airlock_watcher_running"))

	a := login(t, s.URL, alice)
	o := login(t, s.URL, oscar)
	ac := dial(t, s.URL, a, nil)
	oc := dial(t, s.URL, o, nil)

	// Only the server's own origin (or a configured one) may open the socket.
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/api/v1/events",
		http.Header{"Cookie": {a.cookie}, "Origin": {"http://evil.example"}})
	require.Error(t, err)
	if assert.NotNil(t, resp) {
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		_ = resp.Body.Close()
	}

	before := metric(t, s.URL, "airlock_watcher_events_total")
	m := ac.mark()
	writeFile(t, s.path("study/output/new/b.csv"), "b\n")
	ac.waitPaths(t, m, "study", "output/new/b.csv")
	assert.Equal(t, contract.KindDir, s.tree(t, a, "study", "output")["output/new"].Kind)
	assert.Equal(t, sha("b\n"), s.file(t, a, "study", "output/new/b.csv").SHA256)
	assert.Greater(t, metric(t, s.URL, "airlock_watcher_events_total"), before)
	assert.Equal(t, float64(6), metric(t, s.URL, "airlock_watcher_watched_dirs"), "the new folder is watched")
	assert.GreaterOrEqual(t, metric(t, s.URL, "airlock_watcher_published_total"), float64(1))

	m = oc.mark()
	writeFile(t, s.path("other/output/o2.csv"), "o2\n")
	oc.waitPaths(t, m, "other", "output/o2.csv")
	for _, f := range oc.since(0) {
		assert.NotEqual(t, "study", f.Workspace, "oscar may not view study")
	}
}
