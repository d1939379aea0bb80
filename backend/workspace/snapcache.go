package workspace

import (
	"sync"
	"sync/atomic"
)

// snapCache keeps the last snapshot (the walk of a workspace's visible files) of the
// workspaces a running watcher follows with events, so List and ManifestHash need not walk
// the whole folder on every call. Only the watcher turns it on, per workspace, once every
// folder of the workspace is watched; it invalidates a workspace on every event of it and
// before publishing its workspace.changed, and turns it off when the workspace falls back
// to rescanning, goes away or the watcher stops. Without a watcher nothing is cached.
//
// A reader may still get the state from before a change until the watcher has taken the
// change's event (usually well under a millisecond); a client that refetches when told of
// a change always sees it, because the invalidation comes first.
//
// A snapshot walked while the workspace was invalidated is not kept: each workspace has a
// generation, bumped by every invalidation, and a walk is stored only when the generation
// it started from is still current.
type snapCache struct {
	mu       sync.Mutex
	followed map[string]bool
	gens     map[string]uint64
	snaps    map[string]cachedSnap
	// walks counts snapshots built by walking the folder (for tests and benchmarks).
	walks atomic.Int64
}

type cachedSnap struct {
	gen uint64
	pm  *parsedManifest // the manifest the snapshot was built with (nil: plain folder)
	s   *snapshot
}

func newSnapCache() *snapCache {
	return &snapCache{followed: map[string]bool{}, gens: map[string]uint64{}, snaps: map[string]cachedSnap{}}
}

// lookup returns the cached snapshot of ws built with manifest pm; when there is none, the
// generation a new walk must be stored under, with store false when ws is not followed.
func (c *snapCache) lookup(ws string, pm *parsedManifest) (s *snapshot, gen uint64, store bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.followed[ws] {
		return nil, 0, false
	}
	gen = c.gens[ws]
	if cs, ok := c.snaps[ws]; ok && cs.gen == gen && cs.pm == pm {
		return cs.s, gen, false
	}
	return nil, gen, true
}

// store keeps s for ws when nothing invalidated ws since generation gen was read.
func (c *snapCache) store(ws string, gen uint64, pm *parsedManifest, s *snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.followed[ws] && c.gens[ws] == gen {
		c.snaps[ws] = cachedSnap{gen: gen, pm: pm, s: s}
	}
}

// invalidate drops the snapshot of ws (and any walk of it in progress).
func (c *snapCache) invalidate(ws string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[ws]++
	delete(c.snaps, ws)
}

// follow turns caching of ws on or off.
func (c *snapCache) follow(ws string, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[ws]++
	delete(c.snaps, ws)
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
	clear(c.snaps)
}
