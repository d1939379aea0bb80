package workspace

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

// The reference below is the workspace view as first written, before the listing memos,
// the snapshot cache views, batched Stat and the walk's stat reused for hashes: every call
// walks and reads the disk afresh. The differential tests check that List and Stat (and
// StatFiles) answer exactly what it answers, with and without a watcher, before and after
// changes.

func refSnapshot(w *Workspaces, r *os.Root, pm *parsedManifest, has bool) map[string]*entry {
	files := map[string]*entry{}
	if has {
		for p, e := range pm.files {
			files[p] = &entry{file: e.file, fromDisk: e.fromDisk}
		}
		w.scan(r, "metadata", func(p string, fi fs.FileInfo) {
			files[p] = &entry{fromDisk: true, file: airlock.WorkspaceFile{Path: p, Size: fi.Size(), ModifiedAt: fi.ModTime().UTC(),
				Manifest: airlock.ManifestUnlisted}}
		})
		return files
	}
	w.scan(r, ".", func(p string, fi fs.FileInfo) {
		if (p == "metadata" || strings.HasPrefix(p, "metadata/")) && !strings.EqualFold(path.Ext(p), ".log") {
			return
		}
		files[p] = &entry{fromDisk: true, file: airlock.WorkspaceFile{Path: p, Size: fi.Size(), ModifiedAt: fi.ModTime().UTC()}}
	})
	return files
}

func refFileInfo(w *Workspaces, ws string, r *os.Root, e *entry) airlock.WorkspaceFile {
	if !e.fromDisk {
		return e.file
	}
	f := e.file
	h, fi, err := w.hashFile(ws, r, f.Path, false)
	if err != nil {
		return f
	}
	f.Size, f.ModifiedAt, f.ContentHash = fi.Size(), fi.ModTime().UTC(), h
	return f
}

func refList(w *Workspaces, ws, dir string, includeOutOfDate bool) ([]airlock.TreeEntry, error) {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	pm, has, err := w.loadManifest(ws, r, false)
	if err != nil {
		return nil, err
	}
	files := refSnapshot(w, r, pm, has)
	if dir != "" && !validRel(dir) {
		return nil, errBadPath(dir)
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	found := dir == ""
	dirs := map[string]bool{}
	var paths []string
	for p, e := range files {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		found = true
		if e.file.OutOfDate && !includeOutOfDate {
			continue
		}
		name, _, deeper := strings.Cut(p[len(prefix):], "/")
		if deeper {
			dirs[name] = true
		} else {
			paths = append(paths, p)
		}
	}
	if !found {
		return nil, errBadPath(dir)
	}
	out := make([]airlock.TreeEntry, 0, len(dirs)+len(paths))
	for name := range dirs {
		out = append(out, airlock.TreeEntry{Name: name, Path: prefix + name, Dir: true})
	}
	for _, p := range paths {
		out = append(out, airlock.TreeEntry{Name: path.Base(p), Path: p, File: refFileInfo(w, ws, r, files[p])})
	}
	rank := func(e airlock.TreeEntry) int {
		switch {
		case e.Dir && dir == "" && e.Name == "metadata":
			return 0
		case e.Dir:
			return 1
		default:
			return 2
		}
	}
	slices.SortFunc(out, func(a, b airlock.TreeEntry) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

func refManifestHash(w *Workspaces, ws string) (string, error) {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return "", err
	}
	defer r.Close()
	pm, has, err := w.loadManifest(ws, r, false)
	if err != nil {
		return "", err
	}
	if has {
		return pm.hash, nil
	}
	files := refSnapshot(w, r, pm, has)
	paths := slices.Sorted(maps.Keys(files))
	sum := sha256.New()
	for _, p := range paths {
		f := files[p].file
		fmt.Fprintf(sum, "%s\x00%d\x00%d\n", p, f.Size, f.ModifiedAt.UnixNano())
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

func refStat(w *Workspaces, ws, p string) (airlock.WorkspaceFile, error) {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return airlock.WorkspaceFile{}, err
	}
	defer r.Close()
	e, err := w.lookup(ws, r, p)
	if err != nil {
		return airlock.WorkspaceFile{}, err
	}
	if !e.fromDisk {
		if _, err := r.Stat(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return airlock.WorkspaceFile{}, errBadPath(p)
		}
		return e.file, nil
	}
	h, fi, err := w.hashFile(ws, r, p, false)
	if err != nil {
		return airlock.WorkspaceFile{}, errBadPath(p)
	}
	f := e.file
	f.Size, f.ModifiedAt, f.ContentHash = fi.Size(), fi.ModTime().UTC(), h
	return f, nil
}

// trickyTree builds, under root, a job-runner workspace "job" and a plain folder "plain"
// with the awkward cases: nested and out-of-date-only folders, excluded outputs, outputs
// missing on disk, symlinks to files and folders inside and outside the workspace, a
// manifest output below a file, hidden files and folders, metadata files, empty folders.
func trickyTree(t testing.TB, root string) {
	outside := filepath.Join(root, "..", filepath.Base(root)+"-outside")
	require.NoError(t, os.MkdirAll(outside, 0o755))
	writeFile(t, outside, "secret.csv", "outside")
	writeFile(t, outside, "dir/x.csv", "outside dir")
	t.Cleanup(func() { os.RemoveAll(outside) })

	job := filepath.Join(root, "job")
	files := map[string]string{
		"output/a.csv":            "a",
		"output/b.csv":            "bb",
		"output/sub/c.csv":        "c",
		"output/sub/deep/d.csv":   "d",
		"output/old/only.csv":     "old",
		"output/mixed/old.csv":    "old2",
		"output/mixed/new.csv":    "new",
		"output/big.csv.txt":      "excluded: too big",
		"output/big.csv":          "x,y\n",
		"report.html":             "<p>",
		"unlisted/x.csv":          "disk only",
		"metadata/act.log":        "log\n",
		"metadata/other.txt":      "meta",
		"metadata/.hidden":        "h",
		"metadata/sub/nested.LOG": "nested log",
		".git/config":             "cfg",
	}
	for p, c := range files {
		writeFile(t, job, p, c)
	}
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.csv"), filepath.Join(job, "output/escape.csv")))
	require.NoError(t, os.Symlink("../report.html", filepath.Join(job, "output/inside.csv")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "dir"), filepath.Join(job, "output/outdir")))
	require.NoError(t, os.Symlink("sub", filepath.Join(job, "output/subdir")))
	require.NoError(t, os.Symlink("nowhere/x.csv", filepath.Join(job, "output/dangling.csv")))
	require.NoError(t, os.MkdirAll(filepath.Join(job, "output/empty"), 0o755))
	oo := func(c string) output { o := moderately(c); o.OutOfDateAction = true; return o }
	exc := moderately("x,y\n")
	exc.Excluded = true
	writeManifest(t, job, map[string]output{
		"output/a.csv":          moderately("a"),
		"output/b.csv":          moderately("bb"),
		"output/sub/c.csv":      moderately("c"),
		"output/sub/deep/d.csv": moderately("d"),
		"output/old/only.csv":   oo("old"),
		"output/mixed/old.csv":  oo("old2"),
		"output/mixed/new.csv":  moderately("new"),
		"output/big.csv":        exc,
		"report.html":           moderately("<p>"),
		"output/missing.csv":    moderately("not on disk"),
		"output/gone/x.csv":     moderately("no folder"),
		"output/escape.csv":     moderately("outside"),
		"output/inside.csv":     moderately("<p>"),
		"output/outdir/x.csv":   moderately("outside dir"),
		"output/outdir/y.csv":   moderately("outside dir"),
		"output/subdir/c.csv":   moderately("c"),
		"output/subdir/e.csv":   moderately("e"),
		"output/dangling.csv":   moderately("dangling"),
		"report.html/x.csv":     moderately("below a file"),
		"output/.hidden.csv":    moderately("hidden"),
		"metadata/fake.csv":     moderately("fake"),
	})

	plain := filepath.Join(root, "plain")
	for p, c := range map[string]string{
		"out/a.csv":         "a",
		"out/b.csv":         "b",
		"out/sub/c.csv":     "c",
		"out/.hidden.csv":   "h",
		".hid/x.csv":        "x",
		"metadata/run.log":  "run",
		"metadata/data.csv": "not shown",
		"metadata/x/y.Log":  "y",
		"top.txt":           "top",
		"onlymeta/.keep":    "",
	} {
		writeFile(t, plain, p, c)
	}
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.csv"), filepath.Join(plain, "out/escape.csv")))
	require.NoError(t, os.Symlink("a.csv", filepath.Join(plain, "out/link.csv")))
	require.NoError(t, os.Symlink("sub", filepath.Join(plain, "out/subdir")))
	require.NoError(t, os.MkdirAll(filepath.Join(plain, "out/empty"), 0o755))
}

// candidates lists the directories and paths to ask about: every folder and file on disk,
// every manifest key, their .txt forms, and invalid ones.
func candidates(t testing.TB, root, ws string) (dirs, paths []string) {
	dirSet, pathSet := map[string]bool{"": true}, map[string]bool{}
	wsDir := filepath.Join(root, ws)
	require.NoError(t, filepath.WalkDir(wsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == wsDir {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, wsDir+string(filepath.Separator)))
		pathSet[rel] = true
		dirSet[rel] = true
		return nil
	}))
	if data, err := os.ReadFile(filepath.Join(wsDir, ManifestPath)); err == nil {
		pm, err := parseManifest(data, "")
		if err != nil {
			pm = &parsedManifest{}
		}
		for p := range pm.files {
			pathSet[p] = true
			pathSet[strings.TrimSuffix(p, ".txt")] = true
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				dirSet[d] = true
			}
		}
		for _, key := range []string{"output/gone/x.csv", "report.html/x.csv", "output/outdir/x.csv", "output/outdir/y.csv", "output/subdir/c.csv", "output/subdir/e.csv", "metadata/fake.csv"} {
			pathSet[key] = true
		}
	}
	for _, bad := range []string{"", ".", "..", "../" + ws, "/etc/passwd", "a//b", "out/../out/a.csv", "nope", "nope/x.csv", "metadata", "out\\a.csv", "x\x00y"} {
		pathSet[bad] = true
		dirSet[bad] = true
	}
	for d := range dirSet {
		dirs = append(dirs, d)
	}
	for p := range pathSet {
		paths = append(paths, p)
	}
	slices.Sort(dirs)
	slices.Sort(paths)
	return dirs, paths
}

// sameAsReference fails unless w answers List, Stat and StatFiles for every candidate of
// ws exactly as the reference does (reading through ref, a Workspaces on the same root).
func sameAsReference(t *testing.T, w, ref *Workspaces, ws string) {
	t.Helper()
	dirs, paths := candidates(t, ref.Root(), ws)
	describe := func(v any, err error) string {
		if err != nil {
			return fmt.Sprintf("error %s: %s", airlock.ErrorCode(err), airlock.ErrorMessage(err))
		}
		return fmt.Sprintf("%+v", v)
	}
	for _, d := range dirs {
		for _, ood := range []bool{false, true} {
			want, werr := refList(ref, ws, d, ood)
			got, gerr := w.List(ws, d, ood)
			require.Equal(t, describe(want, werr), describe(got, gerr), "List(%q, %q, %v)", ws, d, ood)
		}
	}
	wantHash, werr := refManifestHash(ref, ws)
	gotHash, gerr := w.ManifestHash(ws)
	require.Equal(t, describe(wantHash, werr), describe(gotHash, gerr), "ManifestHash(%q)", ws)
	require.Equal(t, ref.Exists(ws), w.Exists(ws), "Exists(%q)", ws)
	var wantAll []string
	for _, p := range paths {
		want, werr := refStat(ref, ws, p)
		got, gerr := w.Stat(ws, p)
		require.Equal(t, describe(want, werr), describe(got, gerr), "Stat(%q, %q)", ws, p)
		wantAll = append(wantAll, describe(want, werr))
	}
	files, errs := w.StatFiles(ws, paths)
	for i, p := range paths {
		require.Equal(t, wantAll[i], describe(files[i], errs[i]), "StatFiles(%q)[%q]", ws, p)
	}
}

func TestSameAsReferenceWithoutWatcher(t *testing.T) {
	root := t.TempDir()
	trickyTree(t, root)
	w, ref := New(root, Options{}), New(root, Options{})
	for _, ws := range []string{"job", "plain", "missing"} {
		sameAsReference(t, w, ref, ws)
		sameAsReference(t, w, ref, ws) // memos and hash cache warm
	}
	// Changes behind its back are seen at once.
	writeFile(t, root, "plain/out/a.csv", "changed")
	writeFile(t, root, "plain/out/new/n.csv", "n")
	require.NoError(t, os.Remove(filepath.Join(root, "plain/out/b.csv")))
	writeFile(t, root, "job/metadata/new.log", "new")
	writeManifest(t, filepath.Join(root, "job"), map[string]output{"output/a.csv": moderately("a"), "output/z/z.csv": moderately("z")})
	for _, ws := range []string{"job", "plain"} {
		sameAsReference(t, w, ref, ws)
	}
	// A manifest that cannot be parsed fails every call the same way.
	writeFile(t, root, "job/"+ManifestPath, "{not json")
	sameAsReference(t, w, ref, "job")
}

func TestSameAsReferenceWithWatcher(t *testing.T) {
	root := t.TempDir()
	trickyTree(t, root)
	e := startWatcher(t, root, nil)
	w, ref := e.ws, New(root, Options{})
	for _, ws := range []string{"job", "plain"} {
		sameAsReference(t, w, ref, ws)
		sameAsReference(t, w, ref, ws) // answered from the caches
	}
	// Each change is seen once its event is published.
	writeFile(t, root, "plain/out/a.csv", "changed")
	e.waitSeen(t, "plain", "out/a.csv")
	sameAsReference(t, w, ref, "plain")
	require.NoError(t, os.Remove(filepath.Join(root, "plain/out/sub/c.csv")))
	e.waitSeen(t, "plain", "out/sub/c.csv")
	sameAsReference(t, w, ref, "plain")
	require.NoError(t, os.Remove(filepath.Join(root, "job/output/inside.csv")))
	require.NoError(t, os.Symlink(filepath.Join(root, "plain/top.txt"), filepath.Join(root, "job/output/inside.csv")))
	e.waitSeen(t, "job", "output/inside.csv")
	sameAsReference(t, w, ref, "job")
	writeFile(t, root, "job/metadata/new.log", "new")
	e.waitSeen(t, "job", "metadata/new.log")
	sameAsReference(t, w, ref, "job")
	writeManifest(t, filepath.Join(root, "job"), map[string]output{"output/a.csv": moderately("a"), "output/z/z.csv": moderately("z")})
	e.waitSeen(t, "job", "output/z/z.csv")
	sameAsReference(t, w, ref, "job")

	// The workspace folder goes, then comes back with other files: the folder opened for
	// the cache is not used again.
	require.True(t, w.Exists("plain"))
	e.rec.reset()
	require.NoError(t, os.RemoveAll(filepath.Join(root, "plain")))
	require.Eventually(t, func() bool { return e.rec.wholeWorkspace("plain") }, waitFor, pollEvery)
	require.False(t, w.Exists("plain"))
	sameAsReference(t, w, ref, "plain")
	e.rec.reset()
	writeFile(t, root, "plain/again/x.csv", "x")
	require.Eventually(t, func() bool { return e.rec.wholeWorkspace("plain") }, waitFor, pollEvery)
	require.True(t, w.Exists("plain"))
	sameAsReference(t, w, ref, "plain")
	sameAsReference(t, w, ref, "plain")
}
