package workspace

import (
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// statCache keeps, for the workspaces no watcher follows, what StatFiles answered for each
// path (a request view asks for the same few files of its workspace on every call) with the
// stat of everything on disk the answer depended on: the workspace folder, the metadata
// folder and the manifest, every folder on the path, and — when the file's hash comes from
// the disk, or the disk decided the answer — the file itself. A later call takes the answer
// only when one lstat of each of those finds exactly what it found (device, inode, type,
// size, mtime, ctime); anything else — a file written, replaced, removed or made a link, a
// folder whose entries changed, a new manifest — sends the path down the full lookup again,
// which re-hashes a changed file. A folder's mtime moves whenever an entry is added, removed
// or renamed in it, so an unchanged folder still holds the same entries.
//
// Two things would let a stat match a changed file, and the cache keeps nothing where they
// can happen:
//   - File systems stamp changes with a coarse clock (a scheduler tick on Linux, a second or
//     two on some file systems), so a second change in the same tick leaves size, mtime and
//     ctime as they were. An answer is kept only when everything it depended on was last
//     changed at least racyWindow before the lstats that recorded it, so any later change
//     gets other times.
//   - On a network file system a stat may be answered from the client's attribute cache
//     while opening a file asks the server; workspaces there are never cached.
//
// Links are never cached either (what a link leads to is not on the path), nor failures that
// the stats do not decide (an unreadable file may read next time). Without inode numbers
// (systems other than Linux) nothing is cached.
type statCache struct {
	mu    sync.Mutex
	ws    map[string]map[string]*statEntry // workspace → path → entry
	paths int

	// hits and kept count answers served and entries stored (for tests).
	hits, kept atomic.Int64
}

// racyWindow: a change made this long after another always has other times (larger than
// the timestamp granularity of the file systems a workspace is found on).
const racyWindow = 2 * time.Second

// maxStatCachePaths bounds the paths kept over all workspaces; past it the cache starts
// afresh.
const maxStatCachePaths = 1 << 16

// probeKey is what an lstat of one path found.
type probeKey struct {
	fileKey
	mode   fs.FileMode // the type bits
	exists bool
}

// probe is one path (relative to the workspace; "." is the workspace folder) and what an
// lstat of it found.
type probe struct {
	rel string
	key probeKey
}

// statEntry is one kept answer; never changed once made.
type statEntry struct {
	res    statResult
	probes []probe
}

func newStatCache() *statCache { return &statCache{ws: map[string]map[string]*statEntry{}} }

// lstatKey lstats rel of the workspace folder base ("<root>/<ws>/").
func lstatKey(base, rel string) probeKey {
	name := base + rel
	if rel == "." {
		name = base[:len(base)-1]
	}
	fi, err := os.Lstat(name)
	if err != nil {
		return probeKey{}
	}
	return probeKey{fileKey: keyOf(fi), mode: fi.Mode().Type(), exists: true}
}

// lookup answers paths[i] (i in todo) of ws from the cache where every stat its answer
// depended on is unchanged, into out; it returns the indexes it could not answer.
func (c *statCache) lookup(root, ws string, paths []string, out []statResult, todo []int) (miss []int) {
	c.mu.Lock()
	m := c.ws[ws]
	entries := make([]*statEntry, len(todo))
	found := false
	for j, i := range todo {
		entries[j] = m[paths[i]]
		found = found || entries[j] != nil
	}
	c.mu.Unlock()
	if !found {
		return todo
	}
	base := root + "/" + ws + "/"
	// One lstat per path, however many answers depend on it (a request's files share their
	// folders).
	seen := map[string]probeKey{}
	current := func(rel string) probeKey {
		k, ok := seen[rel]
		if !ok {
			k = lstatKey(base, rel)
			seen[rel] = k
		}
		return k
	}
	hits := 0
	for j, i := range todo {
		e := entries[j]
		ok := e != nil
		for _, p := range e.probesOrNil() {
			if !ok {
				break
			}
			ok = current(p.rel) == p.key
		}
		if !ok {
			miss = append(miss, i)
			continue
		}
		out[i] = e.res
		hits++
	}
	c.hits.Add(int64(hits))
	return miss
}

func (e *statEntry) probesOrNil() []probe {
	if e == nil {
		return nil
	}
	return e.probes
}

// statRecord is what was stat'ed of a workspace before its paths were looked up, to keep
// the answers with.
type statRecord struct {
	ws string
	at time.Time // taken before the lstats
	// shared are the probes of the workspace folder and manifest, and own[i] those of
	// paths[i] (nil: its answer is not to be kept).
	shared []probe
	own    map[int][]probe
}

// record lstats what the answers for paths[i] (i in todo) of ws will depend on, before
// they are looked up; nil when nothing of ws can be kept.
func (c *statCache) record(root, ws string, now time.Time, paths []string, todo []int) *statRecord {
	base := root + "/" + ws + "/"
	rec := &statRecord{ws: ws, at: now, own: make(map[int][]probe, len(todo))}
	top := lstatKey(base, ".")
	if !top.exists || top.mode != fs.ModeDir || top.ino == 0 || networkFS(base) {
		return nil
	}
	rec.shared = append(rec.shared, probe{".", top})
	// The metadata folder is an entry of the workspace folder (whose mtime covers it), the
	// manifest is probed itself (its content counts).
	mprobes, ok := pathProbes(base, ManifestPath, true)
	if !ok {
		return nil // the manifest is read through a link
	}
	rec.shared = append(rec.shared, mprobes...)
	manifest := false
	if n := len(mprobes); n > 0 && mprobes[n-1].rel == ManifestPath && mprobes[n-1].key.exists {
		last := mprobes[n-1]
		if last.key.mode != 0 {
			return nil // no file: the manifest cannot be read
		}
		manifest = true
	}
	for _, i := range todo {
		p := paths[i]
		// A manifest output's answer comes from the manifest, and from the disk only whether
		// the path stays inside the workspace.
		content := !manifest || strings.HasPrefix(p, "metadata/")
		if probes, ok := pathProbes(base, p, content); ok {
			rec.own[i] = probes
		}
	}
	return rec
}

// pathProbes lstats the workspace-relative path p one component at a time, stopping at the
// first that is missing or no folder (false when one is a link), and returns the probes
// that show that none of them changed. An entry is replaced, added or removed only by
// changing the mtime of the folder holding it, and a replaced entry's own lstat finds
// another inode, so it is enough that each component, or the folder holding it, is probed
// (the workspace folder is, by the caller). The component the walk ended on is probed
// itself when content (its bytes count, or the lstat decides the answer) or when the walk
// stopped early; otherwise its folder is, which the files of one folder share. Above it,
// every other folder.
func pathProbes(base, p string, content bool) ([]probe, bool) {
	var walked []probe
	stopped := false
	for end := 0; end < len(p); end++ {
		next := strings.IndexByte(p[end:], '/')
		if next < 0 {
			end = len(p)
		} else {
			end += next
		}
		k := lstatKey(base, p[:end])
		if k.exists && k.mode == fs.ModeSymlink {
			return nil, false
		}
		walked = append(walked, probe{p[:end], k})
		if end < len(p) && (!k.exists || k.mode != fs.ModeDir) {
			stopped = true
			break
		}
	}
	// walked[i] is component i+1; component 0, the workspace folder, is probed already.
	var probes []probe
	i := len(walked)
	if content || stopped {
		probes = append(probes, walked[i-1])
		i--
	}
	for ; i >= 2; i -= 2 {
		// Component i is not probed: its folder, component i-1, is.
		probes = append(probes, walked[i-2])
	}
	return probes, true
}

// keep stores the answers out[i] recorded in rec that may be kept (keep[i]): each only when
// everything it depended on had not changed for racyWindow when it was stat'ed.
func (c *statCache) keep(rec *statRecord, paths []string, out []statResult, keep map[int]bool) {
	if rec == nil {
		return
	}
	settled := func(ps []probe) bool {
		limit := rec.at.Add(-racyWindow).UnixNano()
		for _, p := range ps {
			if p.key.exists && (p.key.ino == 0 || max(p.key.mtime, p.key.ctime) > limit) {
				return false
			}
		}
		return true
	}
	if !settled(rec.shared) {
		return
	}
	var add []*statEntry
	var at []string
	for i, own := range rec.own {
		if !keep[i] || !settled(own) {
			continue
		}
		probes := make([]probe, 0, len(rec.shared)+len(own))
		probes = append(append(probes, rec.shared...), own...)
		add = append(add, &statEntry{res: out[i], probes: probes})
		at = append(at, paths[i])
	}
	if len(add) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paths+len(add) > maxStatCachePaths {
		clear(c.ws)
		c.paths = 0
	}
	m := c.ws[rec.ws]
	if m == nil {
		m = map[string]*statEntry{}
		c.ws[rec.ws] = m
	}
	for j, e := range add {
		if _, ok := m[at[j]]; !ok {
			c.paths++
		}
		m[at[j]] = e
	}
	c.kept.Add(int64(len(add)))
}
