// Package workspace is the read-only view of workspace folders (service.Workspaces) and the
// watcher that turns changes on disk into workspace.changed events.
//
// A workspace is a folder under the workspaces root. When it holds metadata/manifest.json
// (written by job-runner) the manifest decides which outputs are visible and gives their
// metadata (docs/reference/domain.md §2.2, §2.3); otherwise every regular, non-hidden file
// is an output and its metadata comes from the file system (docs/decisions.md §11).
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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// Options configures Workspaces.
type Options struct {
	// Logger receives warnings about unreadable manifests; nil discards them.
	Logger *slog.Logger
	// Now is the time the cache of stats (statCache) judges how recently a file changed;
	// nil is time.Now. Tests set it ahead to have fresh files cached.
	Now func() time.Time
}

// Workspaces reads the workspace folders under one root. It is safe for concurrent use.
type Workspaces struct {
	root   string
	log    *slog.Logger
	now    func() time.Time
	hashes *hashCache
	snaps  *snapCache
	stats  *statCache

	mu        sync.Mutex
	manifests map[string]cachedManifest
}

// cachedManifest is a parsed manifest and the stat it was read at; taken by its stat alone
// as hashCache takes a hash (trust).
type cachedManifest struct {
	key     fileKey
	pm      *parsedManifest
	settled bool
	gen     uint64
}

// New returns the workspaces found under root. The root need not exist yet.
func New(root string, opts Options) *Workspaces {
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Workspaces{
		root: root, log: lg, now: now, hashes: newHashCache(now), snaps: newSnapCache(), stats: newStatCache(),
		manifests: map[string]cachedManifest{},
	}
}

// Root is the folder holding the workspaces.
func (w *Workspaces) Root() string { return w.root }

// snapshot is the set of visible files of one workspace at one moment that the disk
// describes: every file of a plain folder, the metadata folder of a job-runner workspace
// (whose outputs are the manifest's).
type snapshot struct {
	files map[string]*entry

	once sync.Once
	hash string // the manifest's hash, or for a plain folder computed by manifestHash
}

// manifestHash is ManifestHash of the snapshot: the manifest's hash, or for a plain folder
// the SHA-256 of the sorted list of its files' paths, sizes and mtimes (computed once, when
// first asked for).
func (s *snapshot) manifestHash() string {
	s.once.Do(func() {
		if s.hash != "" {
			return
		}
		paths := slices.Sorted(maps.Keys(s.files))
		sum := sha256.New()
		for _, p := range paths {
			f := s.files[p].file
			fmt.Fprintf(sum, "%s\x00%d\x00%d\n", p, f.Size, f.ModifiedAt.UnixNano())
		}
		s.hash = hex.EncodeToString(sum.Sum(nil))
	})
	return s.hash
}

type entry struct {
	file airlock.WorkspaceFile
	// fromDisk: size, time and hash come from the file system (hash computed lazily).
	fromDisk bool
	// key is the version of a file found by a walk, whose stat gave size and time (zero
	// for the manifest's entries).
	key fileKey
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

// access is one call's way into a workspace: the folder opened, its manifest (or the error
// reading it) and the snapshot cache's view when a watcher follows the workspace. While the
// view lasts every call shares the folder and manifest opened first, so a followed
// workspace is read without a system call until it changes.
type access struct {
	r    *os.Root
	pm   *parsedManifest
	has  bool
	merr error
	v    *wsView
	own  bool // r is this call's, closed by done
}

// access opens ws (a missing workspace is an error; an unreadable manifest is in merr).
func (w *Workspaces) access(ws string) (*access, error) {
	v := w.snaps.view(ws)
	if r, pm, has, ok := v.handles(); ok {
		return &access{r: r, pm: pm, has: has, v: v}, nil
	}
	r, err := w.openWorkspace(ws)
	if err != nil {
		return nil, err
	}
	pm, has, merr := w.loadManifest(ws, r, v.trust())
	a := &access{r: r, pm: pm, has: has, merr: merr, v: v, own: true}
	if merr == nil && v != nil {
		vr, vpm, vhas, kept := v.keepHandles(r, pm, has)
		if !kept {
			r.Close() // another call opened the view first: read what it reads
		}
		a.r, a.pm, a.has, a.own = vr, vpm, vhas, false
	}
	return a, nil
}

func (a *access) done() {
	if a.own {
		a.r.Close()
	}
}

// FolderNames lists the workspace folders, sorted, with one read of the root: hidden
// entries and plain files are skipped; manifests are not read (a cheap scan, for the list
// of all workspaces; Names also skips folders whose manifest cannot be read).
func (w *Workspaces) FolderNames() ([]string, error) {
	return w.names(func(de fs.DirEntry) bool {
		if de.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(filepath.Join(w.root, de.Name()))
			return err == nil && st.IsDir()
		}
		return de.IsDir()
	})
}

// Names lists the workspace folders, sorted: hidden entries, plain files and folders whose
// manifest cannot be read are skipped.
func (w *Workspaces) Names() ([]string, error) {
	return w.names(func(de fs.DirEntry) bool {
		r, err := w.openWorkspace(de.Name())
		if err != nil {
			return false
		}
		defer r.Close()
		if _, _, err = w.loadManifest(de.Name(), r, w.trustOf(de.Name())); err != nil {
			w.log.Warn("workspace skipped: manifest unreadable", "workspace", de.Name(), "err", err)
			return false
		}
		return true
	})
}

// names lists the entries of the workspaces root with a valid workspace name that keep
// accepts, sorted (none when the root does not exist).
func (w *Workspaces) names(keep func(fs.DirEntry) bool) ([]string, error) {
	des, err := os.ReadDir(w.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return []string{}, nil
		}
		return nil, airlock.WrapError(airlock.CodeUnavailable, err, "The workspaces folder cannot be read.")
	}
	names := []string{}
	for _, de := range des {
		if validName(de.Name()) && keep(de) {
			names = append(names, de.Name())
		}
	}
	return names, nil
}

// Exists reports whether ws is a workspace folder.
func (w *Workspaces) Exists(ws string) bool {
	if _, _, _, ok := w.snaps.view(ws).handles(); ok {
		return true
	}
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
	a, err := w.access(ws)
	if err != nil {
		return "", err
	}
	defer a.done()
	if a.merr != nil {
		return "", a.merr
	}
	if a.has {
		return a.pm.hash, nil
	}
	return w.snapshot(a.r, a.pm, a.has, a.v).manifestHash(), nil
}

// loadManifest returns the parsed manifest of ws, or nil when it has none. It is re-read
// only when the manifest file changed, or when tr does not take the cached one.
func (w *Workspaces) loadManifest(ws string, r *os.Root, tr trust) (*parsedManifest, bool, error) {
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
	if ok && c.key == k && tr.takes(c.settled, c.gen) {
		return c.pm, true, nil
	}
	t := w.now() // before the read, as in hashCache.hashOpen
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
		w.manifests[ws] = cachedManifest{key: k, pm: pm, settled: settledAt(k, t), gen: tr.readIn()}
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

// snapshot returns the files of the workspace r described by the disk (see snapshot): from
// the view v of the cache while a watcher follows the workspace and nothing changed (see
// snapCache), else by walking the folder. The result is shared: callers must not modify it.
func (w *Workspaces) snapshot(r *os.Root, pm *parsedManifest, has bool, v *wsView) *snapshot {
	if s := v.snapshot(); s != nil {
		return s
	}
	s := w.walkSnapshot(r, pm, has)
	v.keepSnapshot(s)
	return s
}

// walkSnapshot builds the snapshot of a workspace by walking its folder.
func (w *Workspaces) walkSnapshot(r *os.Root, pm *parsedManifest, has bool) *snapshot {
	w.snaps.walks.Add(1)
	s := &snapshot{files: map[string]*entry{}}
	if has {
		s.hash = pm.hash
		w.scan(r, "metadata", func(p string, fi fs.FileInfo) {
			s.files[p] = unlistedEntry(p, fi)
		})
		return s
	}
	w.scan(r, ".", func(p string, fi fs.FileInfo) {
		if (p == "metadata" || strings.HasPrefix(p, "metadata/")) && !strings.EqualFold(path.Ext(p), ".log") {
			return
		}
		s.files[p] = diskEntry(p, fi)
	})
	return s
}

func diskEntry(p string, fi fs.FileInfo) *entry {
	return &entry{fromDisk: true, key: keyOf(fi), file: airlock.WorkspaceFile{Path: p, Size: fi.Size(), ModifiedAt: fi.ModTime().UTC()}}
}

// unlistedEntry is diskEntry for a file of a workspace with a manifest that does not list
// it (its metadata folder).
func unlistedEntry(p string, fi fs.FileInfo) *entry {
	e := diskEntry(p, fi)
	e.file.Manifest = airlock.ManifestUnlisted
	return e
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
//
// The levels of a manifest's outputs are memoised with the parsed manifest (which is read
// again whenever the manifest file changes); the levels of a followed workspace are kept in
// its view of the snapshot cache until it changes.
func (w *Workspaces) List(ws, dir string, includeOutOfDate bool) ([]airlock.TreeEntry, error) {
	a, err := w.access(ws)
	if err != nil {
		return nil, err
	}
	defer a.done()
	if a.merr != nil {
		return nil, a.merr
	}
	if dir != "" && !validRel(dir) {
		return nil, errBadPath(dir)
	}
	r, pm, has, v := a.r, a.pm, a.has, a.v
	k := listKey{dir: dir, ood: includeOutOfDate}
	l, ok := v.listing(k)
	if !ok {
		inMetadata := dir == "metadata" || strings.HasPrefix(dir, "metadata/")
		switch {
		case has && dir == "":
			// The manifest's outputs, and the metadata folder when it holds a visible file.
			l = pm.listing(k)
			if len(w.snapshot(r, pm, has, v).files) > 0 {
				l = withMetadataFolder(l)
			}
		case has && !inMetadata:
			l = pm.listing(k)
		default:
			l = buildListing(w.snapshot(r, pm, has, v).files, dir, includeOutOfDate)
		}
		l = w.complete(ws, r, l, v.trust())
		v.keepListing(k, l)
	}
	if !l.found {
		return nil, errBadPath(dir)
	}
	if v != nil {
		return slices.Clone(l.entries), nil
	}
	return l.entries, nil
}

// fileInfo completes a file's metadata from disk when it is described by the disk.
// A file described by the disk that cannot be read has no hash. A file found by a walk
// whose hash is cached for the version the walk saw is not opened again.
func (w *Workspaces) fileInfo(ws string, r *os.Root, e *entry, tr trust) airlock.WorkspaceFile {
	if !e.fromDisk {
		return e.file
	}
	f := e.file
	if e.key != (fileKey{}) {
		if h, ok := w.hashes.lookup(ws+"/"+f.Path, e.key, tr); ok {
			f.ContentHash = h
			return f
		}
	}
	h, fi, err := w.hashFile(ws, r, f.Path, tr)
	if err != nil {
		return f // unreadable or vanished: shown without a hash
	}
	f.Size, f.ModifiedAt, f.ContentHash = fi.Size(), fi.ModTime().UTC(), h
	return f
}

// hashFile hashes a workspace file through the cache, taking what tr takes of it.
func (w *Workspaces) hashFile(ws string, r *os.Root, p string, tr trust) (string, fs.FileInfo, error) {
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
	h, err := w.hashes.hashOpen(ws+"/"+p, fh, fi, tr)
	return h, fi, err
}

// Stat returns a visible file's metadata with its content hash.
func (w *Workspaces) Stat(ws, p string) (airlock.WorkspaceFile, error) {
	res := w.statFiles(ws, []string{p})
	return res[0].file, res[0].err
}

// trustOf is what a read of ws may take of the caches now (see trust).
func (w *Workspaces) trustOf(ws string) trust {
	gen, followed := w.snaps.generation(ws)
	return trust{followed: followed, gen: gen}
}

// Generation returns a number that changes whenever what Stat, StatFiles, List and
// ManifestHash return for workspace ws may change, and true, while a running watcher
// follows ws; false when it does not (then nothing read of ws is known to hold). Callers
// that keep what they computed from ws may use it until the generation moves.
func (w *Workspaces) Generation(ws string) (uint64, bool) {
	return w.snaps.generation(ws)
}

// StatFiles is Stat of many files of one workspace at once (a request's files): files[i]
// and errs[i] are what Stat(ws, paths[i]) returns. The workspace and its manifest are
// opened once, the files of one folder are looked up from that folder, and the results of
// a followed workspace are kept in its view of the snapshot cache until it changes.
func (w *Workspaces) StatFiles(ws string, paths []string) (files []airlock.WorkspaceFile, errs []error) {
	res := w.statFiles(ws, paths)
	files, errs = make([]airlock.WorkspaceFile, len(res)), make([]error, len(res))
	for i, r := range res {
		files[i], errs[i] = r.file, r.err
	}
	return files, errs
}

func (w *Workspaces) statFiles(ws string, paths []string) []statResult {
	out := make([]statResult, len(paths))
	valid := make([]int, 0, len(paths))
	for i, p := range paths {
		if !validRel(p) || hidden(p) {
			out[i].err = errBadPath(p)
			continue
		}
		valid = append(valid, i)
	}
	todo := valid
	// Without a watcher, answers whose stats are unchanged come from the stat cache, and the
	// stats of the others are recorded before they are looked up.
	var rec *statRecord
	if _, followed := w.snaps.generation(ws); !followed && len(todo) > 0 {
		if todo = w.stats.lookup(w.root, ws, paths, out, todo); len(todo) == 0 {
			return out // the workspace folder is as it was, so it exists
		}
		rec = w.stats.record(w.root, ws, w.now(), paths, todo)
	}
	a, err := w.access(ws)
	if err != nil {
		for i := range out {
			out[i] = statResult{err: err}
		}
		return out
	}
	defer a.done()
	if len(todo) == 0 {
		return out
	}
	if a.merr != nil {
		for _, i := range valid {
			out[i] = statResult{err: a.merr}
		}
		return out
	}
	r, pm, has, v := a.r, a.pm, a.has, a.v
	todo = v.stat(paths, out, todo)
	todo = recheck(r, paths, out, valid, todo)
	var outputs []int
	// keep: the answers that only what rec stat'ed decides (not a read that failed).
	keep := make(map[int]bool, len(todo))
	for _, i := range todo {
		p := paths[i]
		e, err := lookupIn(r, pm, has, p)
		if err != nil {
			out[i].err = err
			keep[i] = has && !strings.HasPrefix(p, "metadata/") // not in the manifest
			continue
		}
		if !e.fromDisk {
			// A manifest output need not be on disk, but when it is it must resolve
			// inside the workspace (checked below).
			out[i].file = e.file
			outputs = append(outputs, i)
			continue
		}
		h, fi, err := w.hashFile(ws, r, p, v.trust())
		if err != nil {
			out[i].err = errBadPath(p)
			continue
		}
		f := e.file
		f.Size, f.ModifiedAt, f.ContentHash = fi.Size(), fi.ModTime().UTC(), h
		out[i].file = f
		out[i].key = keyOf(fi)
		keep[i] = true
	}
	checkInside(r, paths, out, outputs)
	for _, i := range outputs {
		keep[i] = out[i].err == nil
	}
	v.keepStats(paths, out, todo)
	if v == nil {
		w.stats.keep(rec, paths, out, keep)
	}
	return out
}

// recheck sends back to the lookup (adds to todo) the answers of valid taken from the view
// (those not in todo) whose hash was read from a file that another stat finds now. The
// view holds what was read in its generation, but a file changed while its events are
// still on their way (a writer that truncated a file and stalled before writing it, its
// truncation already published) must not keep its old hash once the write is done.
func recheck(r *os.Root, paths []string, out []statResult, valid, todo []int) []int {
	pending := make(map[int]bool, len(todo))
	for _, i := range todo {
		pending[i] = true
	}
	for _, i := range valid {
		if pending[i] || out[i].key == (fileKey{}) {
			continue
		}
		if fi, err := r.Stat(paths[i]); err != nil || keyOf(fi) != out[i].key {
			out[i] = statResult{}
			todo = append(todo, i)
		}
	}
	return todo
}

// checkInside fails the results of paths[i] (i in idx) that exist on disk but do not
// resolve inside the workspace r: Stat of the path through r must succeed or find nothing.
// Paths of one folder are stat'ed from that folder, opened once (a stat there that neither
// succeeds nor finds nothing is repeated through r, which alone decides).
func checkInside(r *os.Root, paths []string, out []statResult, idx []int) {
	inside := func(p string) bool {
		_, err := r.Stat(p)
		return err == nil || errors.Is(err, fs.ErrNotExist)
	}
	byDir := map[string][]int{}
	var dirs []string
	for _, i := range idx {
		d := path.Dir(paths[i])
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], i)
	}
	for _, d := range dirs {
		group := byDir[d]
		var sub *os.Root
		if len(group) > 1 && d != "." {
			sub, _ = r.OpenRoot(d)
		}
		for _, i := range group {
			p := paths[i]
			ok := false
			if sub != nil {
				_, err := sub.Stat(path.Base(p))
				ok = err == nil || errors.Is(err, fs.ErrNotExist)
			}
			if !ok && !inside(p) {
				out[i] = statResult{err: errBadPath(p)}
			}
		}
		if sub != nil {
			sub.Close()
		}
	}
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
	pm, has, err := w.loadManifest(ws, r, w.trustOf(ws))
	if err != nil {
		return nil, err
	}
	return lookupIn(r, pm, has, p)
}

// lookupIn returns the entry of the valid, not hidden path p of the workspace r with
// manifest pm (has: the workspace has one). The entry is shared: callers copy its file.
func lookupIn(r *os.Root, pm *parsedManifest, has bool, p string) (*entry, error) {
	inMetadata := strings.HasPrefix(p, "metadata/")
	if has && !inMetadata {
		me, ok := pm.files[p]
		if !ok {
			return nil, errBadPath(p)
		}
		return me, nil
	}
	if !has && inMetadata && !strings.EqualFold(path.Ext(p), ".log") {
		return nil, errBadPath(p)
	}
	fi, err := lstatRegular(r, p)
	if err != nil {
		return nil, err
	}
	if has {
		return unlistedEntry(p, fi), nil
	}
	return diskEntry(p, fi), nil
}

// lstatRegular stats the file p of the workspace r when it is described by the disk: a
// regular file reached through real folders only, as the scan sees it (symlinks are not
// followed).
func lstatRegular(r *os.Root, p string) (fs.FileInfo, error) {
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
			return fi, nil
		}
	}
	return nil, errBadPath(p)
}

// StatUnlisted returns a file on disk at p of workspace ws that its manifest does not list,
// and whether there is one: only in a workspace with a manifest, never a visible file (those
// are Stat's), never hidden, and without its content (it is never read; size and time come
// from the file system, Manifest is ManifestUnlisted). It lets the service say why such a
// file cannot be added instead of only that it is not there.
func (w *Workspaces) StatUnlisted(ws, p string) (airlock.WorkspaceFile, bool) {
	if !validRel(p) || hidden(p) {
		return airlock.WorkspaceFile{}, false
	}
	a, err := w.access(ws)
	if err != nil {
		return airlock.WorkspaceFile{}, false
	}
	defer a.done()
	if a.merr != nil || !a.has {
		return airlock.WorkspaceFile{}, false
	}
	if _, err := lookupIn(a.r, a.pm, a.has, p); err == nil {
		return airlock.WorkspaceFile{}, false // visible
	}
	fi, err := lstatRegular(a.r, p)
	if err != nil {
		return airlock.WorkspaceFile{}, false
	}
	return unlistedEntry(p, fi).file, true
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
	_, _, err = w.hashFile(ws, r, p, w.trustOf(ws))
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
	after, _, _ = w.loadManifest(ws, r, w.trustOf(ws)) // read afresh: the cached one is gone
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
	get := func(m *parsedManifest) map[string]*entry {
		if m == nil {
			return nil
		}
		return m.files
	}
	fa, fb := get(a), get(b)
	for p, ea := range fa {
		eb, ok := fb[p]
		if !ok || !sameEntry(*ea, *eb) {
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

func sameEntry(a, b entry) bool {
	fa, fb := a.file, b.file
	return a.fromDisk == b.fromDisk && fa.Manifest == fb.Manifest && fa.Size == fb.Size && fa.ModifiedAt.Equal(fb.ModifiedAt) &&
		fa.ContentHash == fb.ContentHash && fa.OutOfDate == fb.OutOfDate && fa.JobID == fb.JobID &&
		fa.JobRequest == fb.JobRequest && fa.Action == fb.Action && fa.User == fb.User &&
		fa.Commit == fb.Commit && fa.Repo == fb.Repo && ptrEq(fa.RowCount, fb.RowCount) && ptrEq(fa.ColCount, fb.ColCount)
}

func ptrEq(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
