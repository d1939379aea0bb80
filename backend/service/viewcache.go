package service

import (
	"context"
	"slices"
	"strconv"
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
	version airlock.RequestVersion
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

// get returns the entry of request id, current or not (nil when there is none).
func (c *viewCache) get(id string) *cachedView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

// aggregate returns the cached aggregate of request id when it was read at version v.
func (c *viewCache) aggregate(id string, v airlock.RequestVersion) *airlock.ReleaseRequest {
	if e := c.get(id); e != nil && e.version.Request == v.Request {
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
	if old := c.m[id]; old != nil && (old.version.Request > e.version.Request || old.version.Releases > e.version.Releases) {
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

// loadForView reads request id in tx at version v for the cache, reusing what it can of the
// cached entry old (shared, read-only): when the comments are unchanged the aggregate is
// read without them and takes old's; when comments were only added, it takes old's and
// reads just the new ones. So a vote, or one more comment, does not make a long discussion
// be read again.
func loadForView(ctx context.Context, tx Tx, id string, v airlock.RequestVersion, old *cachedView) (*airlock.ReleaseRequest, error) {
	if old == nil || old.version.CommentEdits != v.CommentEdits {
		return tx.GetRequest(ctx, id)
	}
	r, err := tx.GetRequestWithoutComments(ctx, id)
	if err != nil {
		return nil, err
	}
	var added map[string][]*airlock.Comment
	if old.version.Comments != v.Comments {
		if added, err = tx.CommentsAfter(ctx, id, newestComment(old.request)); err != nil {
			return nil, err
		}
	}
	for _, g := range r.Groups {
		// Comments belong to their group by name; a group renamed or removed moved the
		// edits counter (its comments were updated or deleted with it).
		var kept []*airlock.Comment
		if og := old.request.Group(g.Name); og != nil {
			kept = og.Comments
		}
		if more := added[g.Name]; len(more) > 0 {
			// A new array: old's is shared and must not grow under its readers.
			kept = append(slices.Clip(kept), more...)
		}
		g.Comments = kept
	}
	return r, nil
}

// newestComment is the largest comment id of r (0 when it has none).
func newestComment(r *airlock.ReleaseRequest) int64 {
	var n int64
	for _, g := range r.Groups {
		for _, c := range g.Comments {
			if id, err := strconv.ParseInt(c.ID, 10, 64); err == nil && id > n {
				n = id
			}
		}
	}
	return n
}

// cachedRequestView is GetRequest's body: request id as u sees it, read in tx, from the
// cache when the database's counters say nothing changed.
func (s *Airlock) cachedRequestView(ctx context.Context, tx Tx, u airlock.User, id string) (RequestView, error) {
	if id == "" {
		return RequestView{}, airlock.Errorf(airlock.CodeNotFound, "Release request not found")
	}
	version, err := tx.RequestVersion(ctx, id)
	if err != nil {
		_, err = visibleRequest(u, id, nil, err)
		return RequestView{}, err
	}
	e := s.views.get(id)
	fresh := e == nil || e.version != version
	if fresh {
		r, err := loadForView(ctx, tx, id, version, e)
		if err != nil {
			_, err = visibleRequest(u, id, nil, err)
			return RequestView{}, err
		}
		released := map[string]bool(nil)
		if e != nil && e.version.Releases == version.Releases && e.request.Workspace == r.Workspace {
			released = e.released
		} else if released, err = tx.ReleasedFileIDs(ctx, r.Workspace); err != nil {
			return RequestView{}, err
		}
		e = &cachedView{version: version, request: r.Indexed(), released: released}
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
			version: e.version, request: e.request, released: e.released,
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
// loadRequest), as much of it as load says: a private copy of the cached aggregate when the request's version in the
// database is the one it was read at — the transaction holds the write lock, so nothing
// can change it meanwhile — and otherwise a fresh read.
func (s *Airlock) requestForWrite(ctx context.Context, tx Tx, u airlock.User, id string, load loadMode) (*airlock.ReleaseRequest, error) {
	if id == "" {
		return loadRequest(ctx, tx, u, id)
	}
	version, err := tx.RequestVersion(ctx, id)
	if err != nil {
		return visibleRequest(u, id, nil, err)
	}
	if r := s.views.aggregate(id, version); r != nil {
		return visibleRequest(u, id, r.Clone(), nil)
	}
	if load == withoutComments {
		r, err := tx.GetRequestWithoutComments(ctx, id)
		return visibleRequest(u, id, r, err)
	}
	return loadRequest(ctx, tx, u, id)
}

// readRequest loads request id for u inside read transaction tx for reading only (not_found
// as loadRequest), as much of it as load says: the cached aggregate itself when it is
// current — shared with other readers, so it must not be changed — and otherwise a fresh
// read.
func (s *Airlock) readRequest(ctx context.Context, tx Tx, u airlock.User, id string, load loadMode) (*airlock.ReleaseRequest, error) {
	if id == "" {
		return loadRequest(ctx, tx, u, id)
	}
	version, err := tx.RequestVersion(ctx, id)
	if err != nil {
		return visibleRequest(u, id, nil, err)
	}
	if r := s.views.aggregate(id, version); r != nil {
		return visibleRequest(u, id, r, nil)
	}
	if load == withoutComments {
		r, err := tx.GetRequestWithoutComments(ctx, id)
		return visibleRequest(u, id, r, err)
	}
	return loadRequest(ctx, tx, u, id)
}
