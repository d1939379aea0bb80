package service

import (
	"context"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// Where warnings are counted (docs/api.md, "Warnings and acknowledgements"):
//
//   - A request file's stored copy is a content-addressed blob that never changes, so its
//     warnings are counted once, when it is copied in by AddFiles or UpdateFiles — after the
//     copy and before the write transaction, so the single writer never waits for a CSV
//     scan — and stored with the file (request_files.warnings_*). The request overview, the
//     review queue and the vote rule read the stored counts: nothing is scanned inside a
//     transaction or on a listing.
//   - A file whose counts are missing (added before counting existed, or counting failed)
//     is counted by Vote before its transaction, keyed by its content hash; inside the
//     transaction the count is used only if the file still has that hash. The domain rule
//     therefore always sees the counts of the content being voted on.
//   - Workspace files change under us, so the tree never stores counts: ListTree asks the
//     counter's cache (by content hash, or path, size and time when not hashed), counts
//     small files inline up to treeCountBudget bytes per listing, and leaves the others to
//     a background job that announces the count with a workspace.changed event, so the
//     tree refetches and shows it when it is ready. A listing never waits for a large file.

// treeCountBudget and treeCountFiles bound what one tree listing counts inline (bytes, and
// files: a folder of thousands of small CSV files must not make its listing scan them all);
// the other files are counted in the background.
const (
	treeCountBudget = 4 << 20
	treeCountFiles  = 32
)

// countCopy counts the warnings of c's stored copy in r's store (c.warnings stays nil
// without Checks, or when the copy cannot be read: Vote counts it again before a vote).
func (s *Airlock) countCopy(ctx context.Context, r *airlock.ReleaseRequest, c *fileCopy) {
	if s.checks == nil {
		return
	}
	src, err := s.files.Open(r.Workspace, r.ID, c.fileID)
	if err != nil {
		s.log.Warn("cannot open a stored copy to count its warnings", "request", r.ID, "path", c.path, "err", err)
		return
	}
	w, err := s.checks.Count(ctx, c.fileID, c.path, src)
	if err != nil {
		s.log.Warn("cannot count the warnings of a stored copy", "request", r.ID, "path", c.path, "err", err)
		return
	}
	c.warnings = &w
}

// countUncounted counts, outside any transaction, the stored copies of the output files at
// paths of request id that carry no counts; the result is keyed by content hash (file id).
func (s *Airlock) countUncounted(ctx context.Context, u airlock.User, id string, paths []string) (map[string]airlock.WarningCounts, error) {
	out := map[string]airlock.WarningCounts{}
	if s.checks == nil {
		return out, nil
	}
	var r *airlock.ReleaseRequest
	err := s.view(ctx, func(tx Tx) error {
		var err error
		r, err = s.readRequest(ctx, tx, u, id, withoutComments) // read only
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		f := r.File(p)
		if f == nil || f.Warnings != nil || f.FileType != airlock.FileTypeOutput {
			continue // the vote's own checks answer for these
		}
		src, err := s.files.Open(r.Workspace, r.ID, f.FileID)
		if err != nil {
			return nil, err
		}
		w, err := s.checks.Count(ctx, f.FileID, f.RelPath, src)
		if err != nil {
			return nil, airlock.WrapError(airlock.CodeUnavailable, err,
				"The disclosure checks of %s could not be run, so it cannot be approved yet; please try again", p)
		}
		out[f.FileID] = w
	}
	return out, nil
}

// withCounts sets the warnings of f, when it carries none, from counted (by content hash).
// A file without counts that were not counted beforehand changed since (it was updated):
// the caller must not decide on it.
func (s *Airlock) withCounts(f *airlock.RequestFile, counted map[string]airlock.WarningCounts) error {
	if f == nil || f.Warnings != nil || s.checks == nil || f.FileType != airlock.FileTypeOutput {
		return nil
	}
	w, ok := counted[f.FileID]
	if !ok {
		return airlock.Errorf(airlock.CodeConflict, "%s changed while you were voting; please look at it again", f.RelPath)
	}
	f.Warnings = &w
	return nil
}

// treeWarnings fills the warnings of the file items of a listing of ws: cached counts,
// inline counts within treeCountBudget, and background counts (Pending) for the rest.
func (s *Airlock) treeWarnings(ctx context.Context, ws string, items []TreeItem) {
	if s.checks == nil {
		return
	}
	budget, files := int64(treeCountBudget), treeCountFiles
	// the listing holds one share of the batch until it has started every job, so a job that
	// ends early cannot announce the batch before the others are started
	batch := &treeBatch{s: s, ws: ws, left: 1}
	defer batch.end("", false)
	for i := range items {
		it := &items[i]
		if it.Dir || !s.checks.Applies(it.Path) {
			continue
		}
		key := contentKey(ws, it.File)
		if w, ok := s.checks.Cached(key); ok {
			it.Warnings = &w
			continue
		}
		path := it.Path
		open := func() (io.ReadSeekCloser, error) { return s.ws.Open(ws, path) }
		if it.File.Size <= budget && files > 0 {
			budget -= it.File.Size
			files--
			if src, err := open(); err == nil {
				if w, err := s.checks.Count(ctx, key, path, src); err == nil {
					it.Warnings = &w
					continue
				}
			}
		}
		it.WarningsPending = true
		batch.start(path, func(done func(bool)) bool { return s.checks.CountLater(key, path, open, done) })
	}
}

// treeBatch announces the background counts that one listing started with a single
// workspace.changed event once they have all ended (one event, not one per file: a folder
// of thousands of files would otherwise make every open view refetch thousands of times).
type treeBatch struct {
	s  *Airlock
	ws string

	mu      sync.Mutex
	left    int
	counted []string
}

func (b *treeBatch) start(path string, count func(done func(bool)) bool) {
	b.mu.Lock()
	b.left++
	b.mu.Unlock()
	if !count(func(ok bool) { b.end(path, ok) }) {
		b.end("", false) // cached meanwhile, or already being counted by another listing's batch
	}
}

func (b *treeBatch) end(path string, counted bool) {
	b.mu.Lock()
	b.left--
	if counted {
		b.counted = append(b.counted, path)
	}
	publish := b.left == 0 && len(b.counted) > 0
	paths := b.counted
	b.mu.Unlock()
	if publish && b.s.pub != nil {
		b.s.pub.Publish(airlock.Event{Type: airlock.EventWorkspaceChanged, Workspace: b.ws, Paths: paths})
	}
}

// contentKey names a workspace file's content for the counter: its hash, or when not known
// its place, size and time (as the table caches name it).
func contentKey(ws string, f airlock.WorkspaceFile) string {
	if f.ContentHash != "" {
		return f.ContentHash
	}
	return "unhashed:" + ws + "/" + f.Path + ":" + strconv.FormatInt(f.Size, 10) + ":" + f.ModifiedAt.UTC().Format(time.RFC3339Nano)
}
