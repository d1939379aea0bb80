// Package workspace is the read-only view of workspace folders (service.Workspaces) and the
// watcher that turns changes on disk into workspace.changed events.
//
// A workspace is a folder under the workspaces root. When it holds metadata/manifest.json
// (written by job-runner) the manifest decides which outputs are visible and gives their
// metadata (§2.2, §2.3); otherwise every regular, non-hidden file is an output and its
// metadata comes from the file system (DECISIONS 11).
//
// Every access goes through an os.Root opened on the workspace folder, so no path, symlink
// or ".." can reach a file outside it; paths are also checked syntactically first, and any
// failure is a CodeNotFound error.
//
// Content hashes: for manifest outputs the manifest's content_hash is trusted, as in the
// reference implementation (status is computed from the manifest alone and files need not
// be on disk); the request file store verifies that the copied bytes match it, so a file
// changed on disk behind the manifest's back can never be added. Files described by the
// disk (plain folders, metadata/ logs, excluded outputs' .txt files) are hashed from disk,
// with the hash cached by (size, mtime, ctime, inode) so an unchanged file is never re-read.
package workspace

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/trelab/airlock/backend/airlock"
)

// Options configures Workspaces.
type Options struct {
	// Logger receives warnings about unreadable manifests; nil discards them.
	Logger *slog.Logger
}

// Workspaces reads the workspace folders under one root. It is safe for concurrent use.
type Workspaces struct {
	root   string
	log    *slog.Logger
	hashes *hashCache
	snaps  *snapCache

	mu        sync.Mutex
	manifests map[string]cachedManifest
}

type cachedManifest struct {
	key fileKey
	pm  *parsedManifest
}

// New returns the workspaces found under root. The root need not exist yet.
func New(root string, opts Options) *Workspaces {
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Workspaces{root: root, log: lg, hashes: newHashCache(), snaps: newSnapCache(), manifests: map[string]cachedManifest{}}
}

// Root is the folder holding the workspaces.
func (w *Workspaces) Root() string { return w.root }

// snapshot is the set of visible files of one workspace at one moment.
type snapshot struct {
	manifest bool
	hash     string
	files    map[string]*entry
}

type entry struct {
	file airlock.WorkspaceFile
	// fromDisk: size, time and hash come from the file system (hash computed lazily).
	fromDisk bool
}

// openWorkspace opens the folder of ws as an os.Root.
func (w *Workspaces) openWorkspace(ws string) (*os.Root, error) {
	if !validName(ws) {
		return nil, errNoWorkspace(ws)
	}
	top, err := os.OpenRoot(w.root)
	if err != nil {
		return nil, errNoWorkspace(ws)
	}
	defer top.Close()
	fi, err := top.Stat(ws)
	if err != nil || !fi.IsDir() {
		return nil, errNoWorkspace(ws)
	}
	r, err := top.OpenRoot(ws)
	if err != nil {
		return nil, errNoWorkspace(ws)
	}
	return r, nil
}

// Names lists the workspace folders, sorted: hidden entries, plain files and folders whose
// manifest cannot be read are skipped.
func (w *Workspaces) Names() ([]string, error) {
	des, err := os.ReadDir(w.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return []string{}, nil
		}
		return nil, airlock.WrapError(airlock.CodeUnavailable, err, "The workspaces folder cannot be read.")
	}
	names := []string{}
	for _, de := range des {
		if !validName(de.Name()) {
			continue
		}
		r, err := w.openWorkspace(de.Name())
		if err != nil {
			continue
		}
		_, _, err = w.loadManifest(de.Name(), r)
		r.Close()
		if err != nil {
			w.log.Warn("workspace skipped: manifest unreadable", "workspace", de.Name(), "err", err)
			continue
		}
		names = append(names, de.Name())
	}
	return names, nil
}

// Exists reports whether ws is a workspace folder.
func (w *Workspaces) Exists(ws string) bool {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return false
	}
	r.Close()
	return true
}

// ManifestHash changes whenever the set of outputs changes: the SHA-256 of the manifest
// bytes, or for a plain folder of the sorted list of its files' paths, sizes and mtimes.
func (w *Workspaces) ManifestHash(ws string) (string, error) {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return "", err
	}
	defer r.Close()
	s, err := w.snapshot(ws, r)
	if err != nil {
		return "", err
	}
	return s.hash, nil
}

// loadManifest returns the parsed manifest of ws, or nil when it has none. It is re-read
// only when the manifest file changed.
func (w *Workspaces) loadManifest(ws string, r *os.Root) (*parsedManifest, bool, error) {
	f, err := r.Open(ManifestPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		return nil, true, airlock.WrapError(airlock.CodeUnavailable, err, "The manifest of workspace '%s' cannot be read.", ws)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, true, airlock.WrapError(airlock.CodeUnavailable, err, "The manifest of workspace '%s' cannot be read.", ws)
	}
	k := keyOf(fi)
	w.mu.Lock()
	c, ok := w.manifests[ws]
	w.mu.Unlock()
	if ok && c.key == k {
		return c.pm, true, nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, true, airlock.WrapError(airlock.CodeUnavailable, err, "The manifest of workspace '%s' cannot be read.", ws)
	}
	sum := sha256.Sum256(data)
	pm, err := parseManifest(data, hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, true, airlock.WrapError(airlock.CodeUnavailable, err, "The manifest of workspace '%s' is not valid JSON.", ws)
	}
	if after, err := f.Stat(); err == nil && keyOf(after) == k {
		w.mu.Lock()
		w.manifests[ws] = cachedManifest{key: k, pm: pm}
		w.mu.Unlock()
	}
	return pm, true, nil
}

// forgetManifest drops the cached manifest of ws.
func (w *Workspaces) forgetManifest(ws string) {
	w.mu.Lock()
	delete(w.manifests, ws)
	w.mu.Unlock()
}

// snapshot lists the visible files of ws: from the cache while a watcher follows ws and
// nothing changed (see snapCache), else by walking the folder. The result is shared: callers
// must not modify it.
func (w *Workspaces) snapshot(ws string, r *os.Root) (*snapshot, error) {
	pm, has, err := w.loadManifest(ws, r)
	if err != nil {
		return nil, err
	}
	cached, gen, store := w.snaps.lookup(ws, pm)
	if cached != nil {
		return cached, nil
	}
	s := w.walkSnapshot(r, pm, has)
	if store {
		w.snaps.store(ws, gen, pm, s)
	}
	return s, nil
}

// walkSnapshot builds the snapshot of a workspace by walking its folder.
func (w *Workspaces) walkSnapshot(r *os.Root, pm *parsedManifest, has bool) *snapshot {
	w.snaps.walks.Add(1)
	s := &snapshot{manifest: has, files: map[string]*entry{}}
	if has {
		s.hash = pm.hash
		for p, e := range pm.files {
			s.files[p] = &entry{file: e.file, fromDisk: e.fromDisk}
		}
		w.scan(r, "metadata", func(p string, fi fs.FileInfo) {
			s.files[p] = diskEntry(p, fi)
		})
		return s
	}
	w.scan(r, ".", func(p string, fi fs.FileInfo) {
		if (p == "metadata" || strings.HasPrefix(p, "metadata/")) && !strings.EqualFold(path.Ext(p), ".log") {
			return
		}
		s.files[p] = diskEntry(p, fi)
	})
	paths := slices.Sorted(func(yield func(string) bool) {
		for p := range s.files {
			if !yield(p) {
				return
			}
		}
	})
	sum := sha256.New()
	for _, p := range paths {
		f := s.files[p].file
		fmt.Fprintf(sum, "%s\x00%d\x00%d\n", p, f.Size, f.ModifiedAt.UnixNano())
	}
	s.hash = hex.EncodeToString(sum.Sum(nil))
	return s
}

func diskEntry(p string, fi fs.FileInfo) *entry {
	return &entry{fromDisk: true, file: airlock.WorkspaceFile{Path: p, Size: fi.Size(), ModifiedAt: fi.ModTime().UTC()}}
}

// scan walks dir of the workspace and reports every regular, non-hidden file. Symlinks are
// not followed; unreadable folders are skipped.
func (w *Workspaces) scan(r *os.Root, dir string, fn func(p string, fi fs.FileInfo)) {
	_ = fs.WalkDir(r.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		fn(p, fi)
		return nil
	})
}

// List returns one directory level of the tree ("" is the root): metadata first, then
// directories, then files, each by name. Out-of-date-action outputs are left out unless
// includeOutOfDate is set.
func (w *Workspaces) List(ws, dir string, includeOutOfDate bool) ([]airlock.TreeEntry, error) {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s, err := w.snapshot(ws, r)
	if err != nil {
		return nil, err
	}
	if dir != "" && !validRel(dir) {
		return nil, errBadPath(dir)
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	found := dir == ""
	dirs := map[string]bool{}
	var files []string
	for p, e := range s.files {
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
			files = append(files, p)
		}
	}
	if !found {
		return nil, errBadPath(dir)
	}
	out := make([]airlock.TreeEntry, 0, len(dirs)+len(files))
	for name := range dirs {
		out = append(out, airlock.TreeEntry{Name: name, Path: prefix + name, Dir: true})
	}
	for _, p := range files {
		f, err := w.fileInfo(ws, r, s.files[p])
		if err != nil {
			return nil, err
		}
		out = append(out, airlock.TreeEntry{Name: path.Base(p), Path: p, File: f})
	}
	slices.SortFunc(out, func(a, b airlock.TreeEntry) int {
		return cmp.Or(cmp.Compare(rank(a, dir), rank(b, dir)), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// rank orders tree entries: the root metadata folder, then folders, then files.
func rank(e airlock.TreeEntry, dir string) int {
	switch {
	case e.Dir && dir == "" && e.Name == "metadata":
		return 0
	case e.Dir:
		return 1
	default:
		return 2
	}
}

// fileInfo completes a file's metadata from disk when it is described by the disk.
// A file described by the disk that cannot be read has no hash.
func (w *Workspaces) fileInfo(ws string, r *os.Root, e *entry) (airlock.WorkspaceFile, error) {
	if !e.fromDisk {
		return e.file, nil
	}
	f := e.file
	h, fi, err := w.hashFile(ws, r, f.Path)
	if err != nil {
		return f, nil //nolint:nilerr // unreadable or vanished: shown without a hash
	}
	f.Size, f.ModifiedAt, f.ContentHash = fi.Size(), fi.ModTime().UTC(), h
	return f, nil
}

// hashFile hashes a workspace file through the cache.
func (w *Workspaces) hashFile(ws string, r *os.Root, p string) (string, fs.FileInfo, error) {
	fh, err := r.Open(p)
	if err != nil {
		return "", nil, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return "", nil, err
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s: not a regular file", p)
	}
	h, _, err := w.hashes.hashOpen(ws+"/"+p, fh)
	return h, fi, err
}

// Stat returns a visible file's metadata with its content hash.
func (w *Workspaces) Stat(ws, p string) (airlock.WorkspaceFile, error) {
	r, e, err := w.visible(ws, p)
	if err != nil {
		return airlock.WorkspaceFile{}, err
	}
	defer r.Close()
	if !e.fromDisk {
		// A manifest output need not be on disk, but when it is it must resolve inside
		// the workspace.
		if _, err := r.Stat(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return airlock.WorkspaceFile{}, errBadPath(p)
		}
		return e.file, nil
	}
	h, fi, err := w.hashFile(ws, r, p)
	if err != nil {
		return airlock.WorkspaceFile{}, errBadPath(p)
	}
	f := e.file
	f.Size, f.ModifiedAt, f.ContentHash = fi.Size(), fi.ModTime().UTC(), h
	return f, nil
}

// Open opens a visible file for reading.
func (w *Workspaces) Open(ws, p string) (io.ReadSeekCloser, error) {
	r, _, err := w.visible(ws, p)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(p)
	if err != nil {
		return nil, errBadPath(p)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, errBadPath(p)
	}
	return f, nil
}

// visible opens ws and returns the entry of the visible file p. The caller closes the root.
func (w *Workspaces) visible(ws, p string) (*os.Root, *entry, error) {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return nil, nil, err
	}
	e, err := w.lookup(ws, r, p)
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return r, e, nil
}

func (w *Workspaces) lookup(ws string, r *os.Root, p string) (*entry, error) {
	if !validRel(p) || hidden(p) {
		return nil, errBadPath(p)
	}
	pm, has, err := w.loadManifest(ws, r)
	if err != nil {
		return nil, err
	}
	inMetadata := strings.HasPrefix(p, "metadata/")
	if has && !inMetadata {
		me, ok := pm.files[p]
		if !ok {
			return nil, errBadPath(p)
		}
		return &entry{file: me.file, fromDisk: me.fromDisk}, nil
	}
	if !has && inMetadata && !strings.EqualFold(path.Ext(p), ".log") {
		return nil, errBadPath(p)
	}
	// Described by the disk: a regular file reached through real folders only, as the
	// scan sees it (symlinks are not followed).
	segs := strings.Split(p, "/")
	for i := range segs {
		fi, err := r.Lstat(strings.Join(segs[:i+1], "/"))
		if err != nil {
			return nil, errBadPath(p)
		}
		if i < len(segs)-1 && !fi.IsDir() || i == len(segs)-1 && !fi.Mode().IsRegular() {
			return nil, errBadPath(p)
		}
		if i == len(segs)-1 {
			return diskEntry(p, fi), nil
		}
	}
	return nil, errBadPath(p)
}

// describedByDisk reports whether the visible file p of ws takes its hash from the disk
// (so that the watcher hashes it ahead of readers).
func (w *Workspaces) describedByDisk(ws, p string) bool {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return false
	}
	defer r.Close()
	e, err := w.lookup(ws, r, p)
	return err == nil && e.fromDisk
}

// prehash hashes a workspace file into the cache.
func (w *Workspaces) prehash(ws, p string) error {
	r, err := w.openWorkspace(ws)
	if err != nil {
		return err
	}
	defer r.Close()
	_, _, err = w.hashFile(ws, r, p)
	return err
}

// reloadManifest drops the cached manifest of ws and loads it again. It returns the
// previously cached manifest (nil when none was cached) and the new one (nil when the
// workspace has none or it cannot be read).
func (w *Workspaces) reloadManifest(ws string) (before, after *parsedManifest) {
	w.mu.Lock()
	if c, ok := w.manifests[ws]; ok {
		before = c.pm
	}
	delete(w.manifests, ws)
	w.mu.Unlock()
	r, err := w.openWorkspace(ws)
	if err != nil {
		return before, nil
	}
	defer r.Close()
	after, _, _ = w.loadManifest(ws, r)
	return before, after
}

// forgetPath drops cached hashes of p (and everything below it) in ws; "" forgets the
// whole workspace. Either way the cached snapshot of ws goes.
func (w *Workspaces) forgetPath(ws, p string) {
	w.snaps.invalidate(ws)
	if p == "" {
		w.hashes.forget(ws)
		w.forgetManifest(ws)
		return
	}
	w.hashes.forget(ws + "/" + p)
}

// diffManifests lists the valid paths whose metadata differs between two manifests.
func diffManifests(a, b *parsedManifest) []string {
	var out []string
	get := func(m *parsedManifest) map[string]manifestEntry {
		if m == nil {
			return nil
		}
		return m.files
	}
	fa, fb := get(a), get(b)
	for p, ea := range fa {
		eb, ok := fb[p]
		if !ok || !sameEntry(ea, eb) {
			out = append(out, p)
		}
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

func sameEntry(a, b manifestEntry) bool {
	fa, fb := a.file, b.file
	return a.fromDisk == b.fromDisk && fa.Size == fb.Size && fa.ModifiedAt.Equal(fb.ModifiedAt) &&
		fa.ContentHash == fb.ContentHash && fa.OutOfDate == fb.OutOfDate && fa.JobID == fb.JobID &&
		fa.Commit == fb.Commit && fa.Repo == fb.Repo && ptrEq(fa.RowCount, fb.RowCount) && ptrEq(fa.ColCount, fb.ColCount)
}

func ptrEq(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
