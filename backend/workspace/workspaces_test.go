package workspace

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

var _ service.Workspaces = (*Workspaces)(nil)

// manifestWorkspace builds root/ws with a manifest describing a realistic mix of outputs.
func manifestWorkspace(t *testing.T) (root string, w *Workspaces) {
	t.Helper()
	root = t.TempDir()
	ws := filepath.Join(root, "ws")
	files := map[string]string{
		"output/table.csv":       "a,b\n1,2\n",
		"output/sub/deep.txt":    "deep",
		"output/old.csv":         "old",
		"output/superseded.csv":  "gone",
		"output/secret.csv":      "secret",
		"output/big.csv.txt":     "excluded: too big",
		"output/big.csv":         "x,y\n",
		"z.html":                 "<p>",
		"unlisted/not-there.csv": "on disk only",
		"metadata/act.log":       "log line\n",
		"metadata/.hidden":       "h",
	}
	for p, c := range files {
		writeFile(t, ws, p, c)
	}
	ood := moderately("old")
	ood.OutOfDateAction = true
	sup := moderately("gone")
	sup.OutOfDateOutput = true
	sec := moderately("secret")
	sec.Level = "highly_sensitive"
	exc := moderately("x,y\n")
	exc.Excluded = true
	rows, cols := 1, 2
	tab := moderately("a,b\n1,2\n")
	tab.RowCount, tab.ColCount = &rows, &cols
	writeManifest(t, ws, map[string]output{
		"output/table.csv":      tab,
		"output/sub/deep.txt":   moderately("deep"),
		"output/old.csv":        ood,
		"output/superseded.csv": sup,
		"output/secret.csv":     sec,
		"output/big.csv":        exc,
		"z.html":                moderately("<p>"),
		"output/missing.csv":    moderately("not on disk"),
	})
	return root, New(root, Options{})
}

func TestManifestTree(t *testing.T) {
	_, w := manifestWorkspace(t)

	root, err := w.List("ws", "", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"metadata/", "output/", "z.html"}, names(root))

	out, err := w.List("ws", "output", true)
	require.NoError(t, err)
	// highly sensitive and out_of_date_output are dropped; excluded shows as .txt
	assert.Equal(t, []string{"sub/", "big.csv.txt", "missing.csv", "old.csv", "table.csv"}, names(out))

	out, err = w.List("ws", "output", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"sub/", "big.csv.txt", "missing.csv", "table.csv"}, names(out), "out-of-date-action hidden")

	meta, err := w.List("ws", "metadata", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"act.log", "manifest.json"}, names(meta), "live scan of metadata, hidden files skipped")
	assert.Equal(t, sha("log line\n"), meta[0].File.ContentHash)
	assert.Equal(t, int64(len("log line\n")), meta[0].File.Size)
	assert.Equal(t, airlock.ManifestUnlisted, meta[0].File.Manifest, "a job log has no manifest entry")

	var table airlock.TreeEntry
	for _, e := range out {
		if e.Name == "table.csv" {
			table = e
		}
	}
	assert.Equal(t, "output/table.csv", table.Path)
	assert.Equal(t, sha("a,b\n1,2\n"), table.File.ContentHash)
	assert.Equal(t, airlock.ManifestOutput, table.File.Manifest)
	assert.Equal(t, "job1", table.File.JobID)
	assert.Equal(t, "abc123", table.File.Commit)
	require.NotNil(t, table.File.RowCount)
	assert.Equal(t, 1, *table.File.RowCount)
	assert.Equal(t, int64(1715000000), table.File.ModifiedAt.Unix())
	assert.Equal(t, 500, table.File.ModifiedAt.Nanosecond()/1e6)
}

func TestManifestValidPaths(t *testing.T) {
	_, w := manifestWorkspace(t)

	// §12.7 highly sensitive, §12.8 on disk but absent from the manifest, dropped outputs.
	for _, p := range []string{"output/secret.csv", "unlisted/not-there.csv", "output/superseded.csv", "output/big.csv", "metadata/.hidden", "nope"} {
		_, err := w.Stat("ws", p)
		assertCode(t, err, airlock.CodeNotFound)
		_, err = w.Open("ws", p)
		assertCode(t, err, airlock.CodeNotFound)
	}
	_, err := w.List("ws", "unlisted", true)
	assertCode(t, err, airlock.CodeNotFound)

	// §12.9 excluded entry browsable as .txt, described by the disk.
	f, err := w.Stat("ws", "output/big.csv.txt")
	require.NoError(t, err)
	assert.Equal(t, sha("excluded: too big"), f.ContentHash)
	assert.Equal(t, airlock.ManifestExcludedNotice, f.Manifest, "job-runner's notice, not an output")
	rc, err := w.Open("ws", "output/big.csv.txt")
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "excluded: too big", string(b))

	// Out-of-date-action outputs stay addressable.
	f, err = w.Stat("ws", "output/old.csv")
	require.NoError(t, err)
	assert.True(t, f.OutOfDate)

	// §12.11 status from the manifest alone: a file missing on disk still has metadata.
	f, err = w.Stat("ws", "output/missing.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("not on disk"), f.ContentHash)
	_, err = w.Open("ws", "output/missing.csv")
	assertCode(t, err, airlock.CodeNotFound)

	// The manifest itself is a workspace file.
	f, err = w.Stat("ws", ManifestPath)
	require.NoError(t, err)
	assert.Equal(t, airlock.ManifestUnlisted, f.Manifest)
	assert.Len(t, f.ContentHash, 64)
}

func TestStatUnlisted(t *testing.T) {
	_, w := manifestWorkspace(t)
	f, found := w.StatUnlisted("ws", "unlisted/not-there.csv")
	require.True(t, found, "on disk, not in the manifest")
	assert.Equal(t, airlock.WorkspaceFile{Path: "unlisted/not-there.csv", Size: int64(len("on disk only")),
		ModifiedAt: f.ModifiedAt, Manifest: airlock.ManifestUnlisted}, f, "never read: no hash")
	assert.False(t, f.ModifiedAt.IsZero())
	// job-runner removes an excluded output from the workspace; one left on disk is not an
	// output either.
	_, found = w.StatUnlisted("ws", "output/big.csv")
	assert.True(t, found)
	for _, p := range []string{
		"output/table.csv", "output/big.csv.txt", "metadata/act.log", // visible: Stat's
		"output/missing.csv", "nope.csv", "metadata/.hidden", "../ws/z.html", "unlisted", // not files
	} {
		_, found := w.StatUnlisted("ws", p)
		assert.False(t, found, p)
	}
	_, found = w.StatUnlisted("no-such-ws", "a.csv")
	assert.False(t, found)
}

// job-runner names an excluded output's notice "<key>.txt": an output listed at that very
// path is the output, whichever order the manifest is read in.
func TestManifestOutputBeatsNoticeAtTheSamePath(t *testing.T) {
	for range 20 { // map order varies from run to run
		root := t.TempDir()
		ws := filepath.Join(root, "ws")
		writeFile(t, ws, "out/a.csv.txt", "a real output")
		exc := moderately("rows")
		exc.Excluded = true
		writeManifest(t, ws, map[string]output{"out/a.csv": exc, "out/a.csv.txt": moderately("a real output")})
		f, err := New(root, Options{}).Stat("ws", "out/a.csv.txt")
		require.NoError(t, err)
		require.Equal(t, airlock.ManifestOutput, f.Manifest)
		require.Equal(t, sha("a real output"), f.ContentHash)
	}
}

func TestEmptyManifest(t *testing.T) {
	// §12.5: {} loads; the only workspace file is the manifest.
	root := t.TempDir()
	writeFile(t, root, "ws/"+ManifestPath, "{}")
	writeFile(t, root, "ws/output/a.csv", "a")
	w := New(root, Options{})
	es, err := w.List("ws", "", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"metadata/"}, names(es))
	es, err = w.List("ws", "metadata", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"manifest.json"}, names(es))
}

func TestNamesAndExists(t *testing.T) {
	// §12.1 to §12.4: missing folders are unknown, broken manifests are skipped, plain
	// files and hidden folders in the root are ignored; folders without a manifest are
	// workspaces (docs/decisions.md §11).
	root := t.TempDir()
	writeFile(t, root, "b/"+ManifestPath, "{}")
	writeFile(t, root, "a/x.csv", "x")
	writeFile(t, root, "broken/"+ManifestPath, "{not json")
	writeFile(t, root, ".hidden/x.csv", "x")
	writeFile(t, root, "plainfile", "x")
	w := New(root, Options{})
	got, err := w.Names()
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, got)
	assert.True(t, w.Exists("a"))
	assert.True(t, w.Exists("b"))
	for _, ws := range []string{"missing", "plainfile", ".hidden", "", "..", "a/..", "a/b"} {
		assert.False(t, w.Exists(ws), ws)
		_, err := w.List(ws, "", true)
		assertCode(t, err, airlock.CodeNotFound)
	}
	_, err = w.List("broken", "", true)
	assertCode(t, err, airlock.CodeUnavailable)

	_, err = New(filepath.Join(root, "nope"), Options{}).Names()
	require.NoError(t, err)
}

func TestPlainFolder(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	writeFile(t, ws, "report.html", "<p>")
	writeFile(t, ws, "out/t.csv", "1,2")
	writeFile(t, ws, "out/.cache/x.csv", "hidden folder")
	writeFile(t, ws, ".git/config", "hidden")
	writeFile(t, ws, "out/.swp", "hidden file")
	writeFile(t, ws, "metadata/job.log", "log")
	writeFile(t, ws, "metadata/LOG2.LOG", "log")
	writeFile(t, ws, "metadata/state.json", "not a log")
	writeFile(t, ws, "metadata/deeper/x.csv", "not a log")
	require.NoError(t, os.MkdirAll(filepath.Join(ws, "empty"), 0o755))
	w := New(root, Options{})

	es, err := w.List("ws", "", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"metadata/", "out/", "report.html"}, names(es))
	es, err = w.List("ws", "metadata", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"LOG2.LOG", "job.log"}, names(es))
	es, err = w.List("ws", "out", false)
	require.NoError(t, err)
	assert.Equal(t, []string{"t.csv"}, names(es))
	assert.Equal(t, sha("1,2"), es[0].File.ContentHash)
	assert.Equal(t, airlock.ManifestNone, es[0].File.Manifest, "a plain folder has no manifest to list it")
	_, found := w.StatUnlisted("ws", "out/t.csv")
	assert.False(t, found, "a plain folder has no unlisted files")

	f, err := w.Stat("ws", "out/t.csv")
	require.NoError(t, err)
	assert.Equal(t, int64(3), f.Size)
	assert.Equal(t, sha("1,2"), f.ContentHash)
	for _, p := range []string{"out/.cache/x.csv", ".git/config", "out/.swp", "metadata/state.json", "metadata/deeper/x.csv", "empty", "out"} {
		_, err := w.Stat("ws", p)
		assertCode(t, err, airlock.CodeNotFound)
	}
	_, err = w.List("ws", "empty", false)
	assertCode(t, err, airlock.CodeNotFound)
}

func TestPlainManifestHashFollowsOutputs(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	writeFile(t, ws, "a.csv", "1")
	w := New(root, Options{})
	h1, err := w.ManifestHash("ws")
	require.NoError(t, err)
	h1again, err := w.ManifestHash("ws")
	require.NoError(t, err)
	assert.Equal(t, h1, h1again)

	writeFile(t, ws, "b.csv", "2")
	h2, err := w.ManifestHash("ws")
	require.NoError(t, err)
	assert.NotEqual(t, h1, h2, "new file")

	writeFile(t, ws, "b.csv", "22")
	h3, err := w.ManifestHash("ws")
	require.NoError(t, err)
	assert.NotEqual(t, h2, h3, "changed size")

	writeFile(t, ws, ".hidden", "x")
	h4, err := w.ManifestHash("ws")
	require.NoError(t, err)
	assert.Equal(t, h3, h4, "hidden files are not outputs")

	require.NoError(t, os.Remove(filepath.Join(ws, "a.csv")))
	h5, err := w.ManifestHash("ws")
	require.NoError(t, err)
	assert.NotEqual(t, h4, h5, "deleted file")
}

func TestManifestHashIsManifestBytes(t *testing.T) {
	root := t.TempDir()
	writeManifest(t, filepath.Join(root, "ws"), map[string]output{"a.csv": moderately("1")})
	w := New(root, Options{})
	data, err := os.ReadFile(filepath.Join(root, "ws", ManifestPath))
	require.NoError(t, err)
	h, err := w.ManifestHash("ws")
	require.NoError(t, err)
	assert.Equal(t, sha(string(data)), h)

	// A rewrite (atomic replace) is picked up.
	writeManifest(t, filepath.Join(root, "ws"), map[string]output{"a.csv": moderately("1"), "b.csv": moderately("2")})
	h2, err := w.ManifestHash("ws")
	require.NoError(t, err)
	assert.NotEqual(t, h, h2)
	_, err = w.Stat("ws", "b.csv")
	require.NoError(t, err)
}

func TestPathRules(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	writeFile(t, ws, "a/b.csv", "1")
	writeFile(t, root, "other/secret.csv", "secret")
	w := New(root, Options{})
	bad := []string{"", "/a/b.csv", "../other/secret.csv", "a/../a/b.csv", "a//b.csv", "./a/b.csv", "a/b.csv/",
		"a\\b.csv", "a/b.csv\x00", "a/./b.csv", "..", "."}
	for _, p := range bad {
		_, err := w.Stat("ws", p)
		assertCode(t, err, airlock.CodeNotFound)
		_, err = w.Open("ws", p)
		assertCode(t, err, airlock.CodeNotFound)
	}
	for _, d := range []string{"/", "..", "../other", "a/", "/a"} {
		_, err := w.List("ws", d, true)
		assertCode(t, err, airlock.CodeNotFound)
	}
	_, err := w.Stat("ws", "a/b.csv")
	require.NoError(t, err)
}

func TestSymlinkEscapes(t *testing.T) {
	for _, mode := range []string{"plain", "manifest"} {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			outside := t.TempDir()
			writeFile(t, outside, "secret.csv", "secret")
			writeFile(t, outside, "dir/secret.csv", "secret")
			ws := filepath.Join(root, "ws")
			writeFile(t, ws, "real/ok.csv", "ok")
			require.NoError(t, os.Symlink(filepath.Join(outside, "secret.csv"), filepath.Join(ws, "link.csv")))
			require.NoError(t, os.Symlink("../../"+filepath.Base(outside)+"/secret.csv", filepath.Join(ws, "rel.csv")))
			require.NoError(t, os.Symlink(filepath.Join(outside, "dir"), filepath.Join(ws, "dirlink")))
			require.NoError(t, os.Symlink("real", filepath.Join(ws, "inside")))
			if mode == "manifest" {
				writeManifest(t, ws, map[string]output{
					"link.csv": moderately("secret"), "rel.csv": moderately("secret"),
					"dirlink/secret.csv": moderately("secret"), "real/ok.csv": moderately("ok"),
				})
			}
			w := New(root, Options{})
			for _, p := range []string{"link.csv", "rel.csv", "dirlink/secret.csv"} {
				_, err := w.Open("ws", p)
				assertCode(t, err, airlock.CodeNotFound)
				_, err = w.Stat("ws", p)
				assertCode(t, err, airlock.CodeNotFound)
			}
			if mode == "plain" {
				// Symlinks are not outputs of plain folders, even when they stay inside.
				_, err := w.Stat("ws", "inside/ok.csv")
				assertCode(t, err, airlock.CodeNotFound)
				es, err := w.List("ws", "", true)
				require.NoError(t, err)
				assert.Equal(t, []string{"real/"}, names(es))
			}
			rc, err := w.Open("ws", "real/ok.csv")
			require.NoError(t, err)
			rc.Close()
		})
	}
}

func TestWorkspaceSymlinkOutsideRoot(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	writeFile(t, outside, "x.csv", "x")
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "escaped")))
	w := New(root, Options{})
	assert.False(t, w.Exists("escaped"))
	_, err := w.Stat("escaped", "x.csv")
	assertCode(t, err, airlock.CodeNotFound)
	got, err := w.Names()
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestHashCache(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	writeFile(t, ws, "a.csv", "1")
	writeFile(t, ws, "b.csv", "2")

	// Files changed just now are hashed on every read: a second change within the same tick
	// of the file system's clock could leave their stat as it was.
	fresh := New(root, Options{})
	for range 2 {
		f, err := fresh.Stat("ws", "a.csv")
		require.NoError(t, err)
		assert.Equal(t, sha("1"), f.ContentHash)
	}
	assert.Equal(t, int64(2), fresh.hashes.count(), "a file changed just now is hashed again")

	// Once the files are racyWindow old (a clock ahead), by their stat alone.
	w := aheadClock(root)
	_, err := w.List("ws", "", false)
	require.NoError(t, err)
	assert.Equal(t, int64(2), w.hashes.count())
	for range 3 {
		_, err = w.List("ws", "", false)
		require.NoError(t, err)
		_, err = w.Stat("ws", "a.csv")
		require.NoError(t, err)
	}
	assert.Equal(t, int64(2), w.hashes.count(), "unchanged files are not re-hashed")

	writeFile(t, ws, "a.csv", "11")
	f, err := w.Stat("ws", "a.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("11"), f.ContentHash)
	assert.Equal(t, int64(3), w.hashes.count())

	// Atomic replace with the same size: new inode, new hash.
	tmp := filepath.Join(ws, ".tmp")
	require.NoError(t, os.WriteFile(tmp, []byte("22"), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(ws, "a.csv")))
	f, err = w.Stat("ws", "a.csv")
	require.NoError(t, err)
	assert.Equal(t, sha("22"), f.ContentHash)
	assert.Equal(t, int64(4), w.hashes.count())

	// Manifest outputs are never hashed by the workspace view.
	writeManifest(t, ws, map[string]output{"a.csv": moderately("22")})
	_, err = w.Stat("ws", "a.csv")
	require.NoError(t, err)
	assert.Equal(t, int64(4), w.hashes.count())
}

// FolderNames lists folders (symlinked ones too) without reading manifests: a broken
// manifest does not hide a folder from it, as it does from Names.
func TestFolderNames(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"b-plain", "a-broken/metadata", ".hidden", "elsewhere/real"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "a-broken", "metadata", "manifest.json"), []byte("{not json"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "file.txt"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(root, "elsewhere", "real"), filepath.Join(root, "c-linked")))
	require.NoError(t, os.Symlink(filepath.Join(root, "file.txt"), filepath.Join(root, "d-link-to-file")))
	w := New(root, Options{})
	got, err := w.FolderNames()
	require.NoError(t, err)
	assert.Equal(t, []string{"a-broken", "b-plain", "c-linked", "elsewhere"}, got)
	names, err := w.Names()
	require.NoError(t, err)
	assert.NotContains(t, names, "a-broken")
}
