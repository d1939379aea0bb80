package workspace

import (
	"os"
	"sync"
	"sync/atomic"

	"github.com/trelab/airlock/backend/airlock"
)

// snapCache keeps what was read of the workspaces a running watcher follows with events —
// the last snapshot (the walk of a workspace's visible files), the directory levels listed
// from it and the files stat'ed — so List, ManifestHash and Stat need not go back to the
// disk on every call. Only the watcher turns it on, per workspace, once every folder of the
// workspace is watched; it invalidates a workspace on every event of it and before
// publishing its workspace.changed, and turns it off when the workspace falls back to
// rescanning, goes away or the watcher stops. Without a watcher nothing is cached.
//
// A reader may still get the state from before a change until the watcher has taken the
// change's event (usually well under a millisecond); a client that refetches when told of
// a change always sees it, because the invalidation comes first.
//
// What is cached of a workspace lives in one view, made for one generation of it: the
// workspace folder opened and its manifest read once the view exists, then what is read
// through them. An invalidation detaches the view: whatever a reader computed from the
// state before the change and adds to the view afterwards lands in a view nobody reads any
// more.
type snapCache struct {
	mu       sync.Mutex
	followed map[string]bool
	gens     map[string]uint64
	views    map[string]*wsView
	// walks counts snapshots built by walking the folder (for tests and benchmarks).
	walks atomic.Int64
}

// wsView is what is cached of one followed workspace between two of its changes.
type wsView struct {
	gen uint64

	mu sync.Mutex
	// opened: root is the workspace folder and pm its manifest (has: it has one), read
	// after the view was made. A root handed to a view is never closed explicitly (readers
	// of a detached view may still use it); it is closed once unreachable.
	opened bool
	root   *os.Root
	pm     *parsedManifest
	has    bool
	snap   *snapshot
	lists  map[listKey]listing
	stats  map[string]statResult
}

// listKey names one List call.
type listKey struct {
	dir string
	ood bool // includeOutOfDate
}

// statResult is what Stat returns for one path.
type statResult struct {
	file airlock.WorkspaceFile
	err  error
	// key is the stat of the file the hash was read from (zero when the answer does not
	// come from the file's bytes).
	key fileKey
}

// Bounds of what a view keeps (the directories and paths asked for are the clients'): past
// them it starts afresh.
const (
	maxViewListings = 256
	maxViewStats    = 1 << 16
)

func newSnapCache() *snapCache {
	return &snapCache{followed: map[string]bool{}, gens: map[string]uint64{}, views: map[string]*wsView{}}
}

// view returns the cache of ws, or nil when ws is not followed.
func (c *snapCache) view(ws string) *wsView {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.followed[ws] {
		return nil
	}
	gen := c.gens[ws]
	if v, ok := c.views[ws]; ok && v.gen == gen {
		return v
	}
	v := &wsView{gen: gen}
	c.views[ws] = v
	return v
}

// generation returns the generation of ws and true while ws is followed: it changes on
// every invalidation, so what was computed from ws at one generation holds until it moves.
func (c *snapCache) generation(ws string) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gens[ws], c.followed[ws]
}

// invalidate drops the cache of ws (and detaches any view in use).
func (c *snapCache) invalidate(ws string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[ws]++
	delete(c.views, ws)
}

// follow turns caching of ws on or off.
func (c *snapCache) follow(ws string, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[ws]++
	delete(c.views, ws)
	if on {
		c.followed[ws] = true
	} else {
		delete(c.followed, ws)
	}
}

// unfollowAll turns caching off for every workspace (the watcher stopped).
func (c *snapCache) unfollowAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ws := range c.followed {
		c.gens[ws]++
	}
	clear(c.followed)
	clear(c.views)
}

// The accessors below are safe on a nil view (nothing cached, nothing kept).

// trust is what a read through the view may take of the hash and manifest caches: those
// read in its generation (none without a view).
func (v *wsView) trust() trust {
	if v == nil {
		return trust{}
	}
	return trust{followed: true, gen: v.gen}
}

// handles returns the opened workspace of the view.
func (v *wsView) handles() (r *os.Root, pm *parsedManifest, has, ok bool) {
	if v == nil {
		return nil, nil, false, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.root, v.pm, v.has, v.opened
}

// keepHandles hands an opened workspace to the view unless it has one; it returns the
// view's (kept: the view took r).
func (v *wsView) keepHandles(r *os.Root, pm *parsedManifest, has bool) (vr *os.Root, vpm *parsedManifest, vhas, kept bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.opened {
		v.opened, v.root, v.pm, v.has = true, r, pm, has
		kept = true
	}
	return v.root, v.pm, v.has, kept
}

func (v *wsView) snapshot() *snapshot {
	if v == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.snap
}

func (v *wsView) keepSnapshot(s *snapshot) {
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.snap == nil {
		v.snap = s
	}
}

func (v *wsView) listing(k listKey) (listing, bool) {
	if v == nil {
		return listing{}, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	l, ok := v.lists[k]
	return l, ok
}

func (v *wsView) keepListing(k listKey, l listing) {
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	putBounded(&v.lists, k, l, maxViewListings)
}

// stat looks up the cached results of paths; miss lists the indexes not found.
func (v *wsView) stat(paths []string, out []statResult, todo []int) (miss []int) {
	if v == nil {
		return todo
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, i := range todo {
		if r, ok := v.stats[paths[i]]; ok {
			out[i] = r
		} else {
			miss = append(miss, i)
		}
	}
	return miss
}

func (v *wsView) keepStats(paths []string, out []statResult, done []int) {
	if v == nil || len(done) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stats == nil {
		v.stats = make(map[string]statResult, len(done))
	}
	if len(v.stats)+len(done) > maxViewStats {
		clear(v.stats)
	}
	for _, i := range done {
		v.stats[paths[i]] = out[i]
	}
}
