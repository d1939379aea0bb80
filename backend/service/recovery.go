package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// addGuard keeps the request folders that adds (and updates) of this process are writing
// apart from the sweep: an add holds its folder from its first copy until its transaction
// has committed or failed, and the sweep of a folder waits for none
// of them — it skips a folder in use, and an add that starts while its folder is being swept
// waits the moment that takes (one database read and one folder listing).
type addGuard struct {
	mu       sync.Mutex
	cond     *sync.Cond
	adding   map[string]int
	sweeping map[string]bool
}

func newAddGuard() *addGuard {
	g := &addGuard{adding: map[string]int{}, sweeping: map[string]bool{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func folderKey(workspace, requestID string) string { return workspace + "/" + requestID }

// begin marks an add in progress in the folder; the returned func ends it.
func (g *addGuard) begin(workspace, requestID string) func() {
	k := folderKey(workspace, requestID)
	g.mu.Lock()
	for g.sweeping[k] {
		g.cond.Wait()
	}
	g.adding[k]++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		if g.adding[k]--; g.adding[k] <= 0 {
			delete(g.adding, k)
		}
		g.mu.Unlock()
	}
}

// trySweep claims the folder for a sweep unless an add is writing to it; the returned func
// (nil when it was not claimed) gives it back.
func (g *addGuard) trySweep(workspace, requestID string) func() {
	k := folderKey(workspace, requestID)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.adding[k] > 0 || g.sweeping[k] {
		return nil
	}
	g.sweeping[k] = true
	return func() {
		g.mu.Lock()
		delete(g.sweeping, k)
		g.cond.Broadcast()
		g.mu.Unlock()
	}
}

// SweepReport is what one SweepFiles removed, and what it left for a later sweep.
type SweepReport struct {
	// Folders is how many request folders were looked at.
	Folders int
	// Removed lists "<workspace>/<request id>/<name>" of every file removed.
	Removed []string
	// Busy counts folders skipped because an add was writing to them.
	Busy int
}

// SweepFiles is the file store's recovery: it removes the temporary files and the blobs no
// request file refers to (what an add interrupted by a crash, or a failed add, leaves
// behind) that were last modified before `before` (the caller's grace period,
// on the file system's clock), and never in a folder an add of this process is writing to. Files the database refers to are never removed. Each removal is
// logged. It needs a Files store that implements FileSweeper (else it does nothing).
func (s *Airlock) SweepFiles(ctx context.Context, before time.Time) (SweepReport, error) {
	var rep SweepReport
	fsw, ok := s.files.(FileSweeper)
	if !ok {
		return rep, nil
	}
	folders, err := fsw.Folders()
	if err != nil {
		return rep, err
	}
	var errs []error
	for ws, ids := range folders {
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			rep.Folders++
			done := s.adds.trySweep(ws, id)
			if done == nil {
				rep.Busy++
				continue
			}
			removed, err := s.sweepFolder(ctx, fsw, ws, id, before)
			done()
			for _, name := range removed {
				rep.Removed = append(rep.Removed, ws+"/"+id+"/"+name)
				s.log.Info("recovery: removed a file no request refers to", "workspace", ws, "request", id, "file", name)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return rep, errors.Join(errs...)
}

// sweepFolder reads which blobs request id refers to (after the folder was claimed, so no
// add of this process can commit a reference meanwhile) and sweeps the rest.
func (s *Airlock) sweepFolder(ctx context.Context, fsw FileSweeper, ws, id string, before time.Time) ([]string, error) {
	keep := map[string]bool{}
	err := s.view(ctx, func(tx Tx) error {
		r, err := tx.GetRequest(ctx, id)
		if airlock.ErrorCode(err) == airlock.CodeNotFound {
			return nil // no such request: nothing in its folder is referred to
		}
		if err != nil {
			return err
		}
		if r.Workspace != ws {
			return nil
		}
		for _, g := range r.Groups {
			for _, f := range g.Files {
				keep[f.FileID] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return fsw.Sweep(ws, id, keep, before)
}
