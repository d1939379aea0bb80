package service

import (
	"context"
	"sync"

	"github.com/trelab/airlock/backend/airlock"
)

// viewCache keeps, for each request recently viewed, what its view is built from — the
// aggregate, the contents released in its workspace, and the workspace status of its files
// — with the counters they were read at, so that a view of an unchanged request costs one
// lookup of those counters instead of reading the whole aggregate again.
//
// What it keeps is the same for every viewer: the aggregate as stored, before any
// visibility rule. Each view is filtered for its viewer afterwards (RequestView is turned
// into the API's shape by contract, applying the airlock visibility rules per viewer), so a
// cached entry never carries one user's view to another.
//
// Staleness is decided by counters the database keeps (Tx.RequestVersion: triggers move
// them on every write, whichever process or server commits it), read in the same read
// transaction as the view, so an entry is used only when the database at that snapshot
// holds exactly what it was read from. The workspace part is kept only while a watcher
// follows the workspace, for one generation of it (workspaceGenerations).
type viewCache struct {
	mu sync.Mutex
	m  map[string]*cachedView
}

// maxCachedViews bounds the requests kept; past it an arbitrary entry makes room.
const maxCachedViews = 1024

// cachedView is one request's entry. It is never changed once made (readers share it):
// a newer state is a new entry.
type cachedView struct {
	version, releases int64
	// request is the aggregate, indexed; read-only, shared by every view made from it.
	request  *airlock.ReleaseRequest
	released map[string]bool

	// The workspace status of the request's files, valid for workspace generation wsGen
	// when wsKnown.
	wsKnown bool
	wsGen   uint64
	status  map[string]airlock.WorkspaceFileStatus
	size    map[string]int64
}

// workspaceGenerations is implemented by Workspaces that can say when what they return for
// a workspace may have changed (workspace.Workspaces while its watcher follows it).
type workspaceGenerations interface {
	Generation(ws string) (gen uint64, ok bool)
}

func (c *viewCache) get(id string, version, releases int64) *cachedView {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil && e.version == version && e.releases == releases {
		return e
	}
	return nil
}

// aggregate returns the cached aggregate of request id when it was read at version.
func (c *viewCache) aggregate(id string, version int64) *airlock.ReleaseRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[id]; e != nil && e.version == version {
		return e.request
	}
	return nil
}

func (c *viewCache) put(id string, e *cachedView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*cachedView{}
	}
	if old := c.m[id]; old != nil && (old.version > e.version || old.releases > e.releases) {
		return // a reader of an older snapshot finishing late: keep the newer entry
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= maxCachedViews {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = e
}

// cachedRequestView is GetRequest's body: request id as u sees it, read in tx, from the
// cache when the database's counters say nothing changed.
func (s *Airlock) cachedRequestView(ctx context.Context, tx Tx, u airlock.User, id string) (RequestView, error) {
	if id == "" {
		return RequestView{}, airlock.Errorf(airlock.CodeNotFound, "Release request not found")
	}
	version, releases, err := tx.RequestVersion(ctx, id)
	if err != nil {
		_, err = visibleRequest(u, id, nil, err)
		return RequestView{}, err
	}
	e := s.views.get(id, version, releases)
	fresh := e == nil
	if fresh {
		r, err := tx.GetRequest(ctx, id)
		if err != nil {
			_, err = visibleRequest(u, id, nil, err)
			return RequestView{}, err
		}
		released, err := tx.ReleasedFileIDs(ctx, r.Workspace)
		if err != nil {
			return RequestView{}, err
		}
		e = &cachedView{version: version, releases: releases, request: r.Indexed(), released: released}
	}
	// The rule of who may see the request runs for every viewer, cached or not.
	if _, err := visibleRequest(u, id, e.request, nil); err != nil {
		return RequestView{}, err
	}
	gen, genOK := uint64(0), false
	if g, ok := s.ws.(workspaceGenerations); ok {
		gen, genOK = g.Generation(e.request.Workspace)
	}
	if !e.wsKnown || !genOK || e.wsGen != gen {
		// Read the generation before the files: a change meanwhile moves it past gen, and
		// the entry is not used for the new generation.
		status, size := s.workspaceStatus(e.request, e.released)
		e = &cachedView{
			version: e.version, releases: e.releases, request: e.request, released: e.released,
			wsKnown: genOK, wsGen: gen, status: status, size: size,
		}
		fresh = true
	}
	if fresh {
		s.views.put(id, e)
	}
	return RequestView{Request: e.request, Viewer: u, Policy: s.policy, WorkspaceStatus: e.status, WorkspaceSize: e.size}, nil
}

// requestForWrite loads request id for u inside write transaction tx (not_found as
// loadRequest): a private copy of the cached aggregate when the request's version in the
// database is the one it was read at — the transaction holds the write lock, so nothing
// can change it meanwhile — and otherwise a fresh read.
func (s *Airlock) requestForWrite(ctx context.Context, tx Tx, u airlock.User, id string) (*airlock.ReleaseRequest, error) {
	if id == "" {
		return loadRequest(ctx, tx, u, id)
	}
	version, _, err := tx.RequestVersion(ctx, id)
	if err != nil {
		return visibleRequest(u, id, nil, err)
	}
	if r := s.views.aggregate(id, version); r != nil {
		return visibleRequest(u, id, r.Clone(), nil)
	}
	return loadRequest(ctx, tx, u, id)
}
