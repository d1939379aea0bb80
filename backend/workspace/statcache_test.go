package workspace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

// aheadClock is a workspace reader whose clock runs an hour ahead, so that its stat cache
// keeps the files a test has just written. Every change a test makes to them must then
// show in a stat by more than its times (size, inode or type): a second change in the same
// tick of the file system's clock would not, which is why the real clock keeps nothing so
// fresh (TestStatCacheKeepsNothingChangedJustNow).
func aheadClock(root string) *Workspaces {
	return New(root, Options{Now: func() time.Time { return time.Now().Add(time.Hour) }})
}

// statBoth is StatFiles of two paths that must both be files.
func statBoth(w *Workspaces, ws, a, b string) error {
	_, errs := w.StatFiles(ws, []string{a, b})
	return errors.Join(errs...)
}

// statAll is StatFiles that fails the test on nothing: it returns hashes ("" for a file
// that failed) and the errors' codes.
func statAll(t *testing.T, w *Workspaces, ws string, paths ...string) (hashes []string, codes []airlock.Code) {
	t.Helper()
	files, errs := w.StatFiles(ws, paths)
	for i := range paths {
		hashes = append(hashes, files[i].ContentHash)
		codes = append(codes, airlock.ErrorCode(errs[i]))
	}
	return hashes, codes
}

// TestStatCacheSeesEveryChange: without a watcher, the answers of an unchanged plain folder
// come from the stat cache (no file hashed again), and each kind of change shows on the
// very next call: a write, an atomic replace with the same size and mtime, a folder turned
// into a link out of the workspace, a removal, a manifest appearing.
func TestStatCacheSeesEveryChange(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	writeFile(t, ws, "out/a.csv", "1")
	writeFile(t, ws, "out/sub/b.csv", "2")
	w := aheadClock(root)

	hashes, codes := statAll(t, w, "ws", "out/a.csv", "out/sub/b.csv")
	assert.Equal(t, []string{sha("1"), sha("2")}, hashes)
	assert.Equal(t, int64(2), w.stats.kept.Load())
	hashed := w.hashes.count()
	for range 3 {
		again, _ := statAll(t, w, "ws", "out/a.csv", "out/sub/b.csv")
		assert.Equal(t, hashes, again)
	}
	assert.Equal(t, int64(6), w.stats.hits.Load(), "unchanged answers come from the cache")
	assert.Equal(t, hashed, w.hashes.count())

	writeFile(t, ws, "out/a.csv", "11")
	writeFile(t, ws, "out/sub/b.csv", "22")
	hashes, _ = statAll(t, w, "ws", "out/a.csv", "out/sub/b.csv")
	assert.Equal(t, []string{sha("11"), sha("22")}, hashes, "files written")

	// The same size and mtime, another inode.
	a := filepath.Join(ws, "out", "a.csv")
	fi, err := os.Stat(a)
	require.NoError(t, err)
	tmp := filepath.Join(ws, "out", ".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte("22"), 0o644))
	require.NoError(t, os.Chtimes(tmp, fi.ModTime(), fi.ModTime()))
	require.NoError(t, os.Rename(tmp, a))
	hashes, _ = statAll(t, w, "ws", "out/a.csv", "out/sub/b.csv")
	assert.Equal(t, []string{sha("22"), sha("22")}, hashes, "a file replaced")

	// out/sub becomes a link to a folder outside the workspace holding the same file.
	outside := t.TempDir()
	require.NoError(t, os.Rename(filepath.Join(ws, "out", "sub"), filepath.Join(outside, "sub")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "sub"), filepath.Join(ws, "out", "sub")))
	hashes, codes = statAll(t, w, "ws", "out/a.csv", "out/sub/b.csv")
	assert.Equal(t, []string{sha("22"), ""}, hashes)
	assert.Equal(t, []airlock.Code{"", airlock.CodeNotFound}, codes, "a folder made a link out of the workspace")
	for range 2 { // and stays so (links are never cached)
		_, again := statAll(t, w, "ws", "out/a.csv", "out/sub/b.csv")
		assert.Equal(t, codes, again)
	}

	require.NoError(t, os.Remove(a))
	_, codes = statAll(t, w, "ws", "out/a.csv")
	assert.Equal(t, []airlock.Code{airlock.CodeNotFound}, codes, "a file removed")

	writeFile(t, ws, "out/c.csv", "3")
	hashes, _ = statAll(t, w, "ws", "out/c.csv")
	assert.Equal(t, []string{sha("3")}, hashes)
	writeManifest(t, ws, map[string]output{"out/other.csv": moderately("x")})
	_, codes = statAll(t, w, "ws", "out/c.csv")
	assert.Equal(t, []airlock.Code{airlock.CodeNotFound}, codes, "a manifest that does not list the file")
}

// TestStatCacheFollowsTheManifest: in a job-runner workspace a file's answer is the
// manifest's, and the disk says only whether the path stays inside the workspace; a new
// manifest, or the file made a link out of the workspace, shows on the next call.
func TestStatCacheFollowsTheManifest(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "job")
	writeFile(t, ws, "output/t/f.csv", "v1")
	writeFile(t, ws, "output/t/g.csv", "g")
	writeManifest(t, ws, map[string]output{"output/t/f.csv": moderately("v1"), "output/t/g.csv": moderately("g")})
	w := aheadClock(root)

	hashes, _ := statAll(t, w, "job", "output/t/f.csv", "output/t/g.csv", "output/t/none.csv")
	assert.Equal(t, []string{sha("v1"), sha("g"), ""}, hashes)
	again, codes := statAll(t, w, "job", "output/t/f.csv", "output/t/g.csv", "output/t/none.csv")
	assert.Equal(t, hashes, again)
	assert.Equal(t, []airlock.Code{"", "", airlock.CodeNotFound}, codes)
	assert.Equal(t, int64(3), w.stats.hits.Load(), "a file the manifest does not list is a kept answer too")

	// A longer manifest: a new hash for f.csv.
	writeManifest(t, ws, map[string]output{"output/t/f.csv": moderately("v2 longer"), "output/t/g.csv": moderately("g")})
	hashes, _ = statAll(t, w, "job", "output/t/f.csv", "output/t/g.csv")
	assert.Equal(t, []string{sha("v2 longer"), sha("g")}, hashes)

	g := filepath.Join(ws, "output", "t", "g.csv")
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("g"), 0o644))
	require.NoError(t, os.Remove(g))
	require.NoError(t, os.Symlink(secret, g))
	_, codes = statAll(t, w, "job", "output/t/f.csv", "output/t/g.csv")
	assert.Equal(t, []airlock.Code{"", airlock.CodeNotFound}, codes, "an output made a link out of the workspace")

	// The workspace folder replaced by another.
	require.NoError(t, os.Rename(ws, filepath.Join(root, ".old")))
	writeFile(t, ws, "output/t/f.csv", "v3")
	writeManifest(t, ws, map[string]output{"output/t/f.csv": moderately("v3")})
	hashes, _ = statAll(t, w, "job", "output/t/f.csv")
	assert.Equal(t, []string{sha("v3")}, hashes, "another workspace folder")
	require.NoError(t, os.RemoveAll(ws))
	_, codes = statAll(t, w, "job", "output/t/f.csv")
	assert.Equal(t, []airlock.Code{airlock.CodeNotFound}, codes, "the workspace gone")
}

// TestStatCacheKeepsNothingChangedJustNow: with the real clock, files written just now are
// looked up (and hashed) again on every call — a change in the same tick of the file
// system's clock would leave their stat as it was — and kept once their last change is
// racyWindow older than the stat.
func TestStatCacheKeepsNothingChangedJustNow(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "ws/a.csv", "1")
	w := New(root, Options{})
	for range 3 {
		hashes, _ := statAll(t, w, "ws", "a.csv")
		assert.Equal(t, []string{sha("1")}, hashes)
	}
	assert.Zero(t, w.stats.kept.Load())
	assert.Zero(t, w.stats.hits.Load())

	later := time.Now().Add(racyWindow + time.Second)
	w.now = func() time.Time { return later }
	statAll(t, w, "ws", "a.csv")
	assert.Equal(t, int64(1), w.stats.kept.Load(), "kept once settled")
	statAll(t, w, "ws", "a.csv")
	assert.Equal(t, int64(1), w.stats.hits.Load())
}

// TestStatCacheUnderConcurrentReadersWithoutWatcher: readers stat a file continuously while
// it grows; once a write has returned, every call sees its hash.
func TestStatCacheUnderConcurrentReadersWithoutWatcher(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "busy/out/f.csv", "v")
	writeFile(t, root, "busy/out/g.csv", "g")
	w := aheadClock(root)
	readWhile(t, func() error { return statBoth(w, "busy", "out/f.csv", "out/g.csv") })
	content := "v"
	for i := range 30 {
		content += fmt.Sprint(i % 10)
		writeFile(t, root, "busy/out/f.csv", content)
		f, err := w.Stat("busy", "out/f.csv")
		require.NoError(t, err)
		require.Equal(t, sha(content), f.ContentHash, "stale hash after write %d", i+1)
	}
	assert.Positive(t, w.stats.hits.Load(), "the readers were answered from the cache")
}
