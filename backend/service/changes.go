package service

import (
	"context"
	"io"

	"github.com/trelab/airlock/backend/airlock"
)

// OpenRequestFileChanges opens, for u, the two versions of file relpath of request id to
// compare ("what changed since the review"): the content its reviewers last voted on and
// its stored copy now (airlock.CheckCanViewChanges; whoever may view the file may see
// them). Reading both is viewing the file: it records REQUEST_FILE_VIEW, with the extra
// "view" = "changes". The caller closes both readers.
func (s *Airlock) OpenRequestFileChanges(ctx context.Context, u airlock.User, id, relpath string) (reviewed, current io.ReadSeekCloser, f *airlock.RequestFile, err error) {
	closeAll := func() {
		for _, rc := range []io.ReadSeekCloser{reviewed, current} {
			if rc != nil {
				rc.Close()
			}
		}
		reviewed, current = nil, nil
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		closeAll() // a retried transaction opens them again
		r, err := loadRequest(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if err := airlock.CheckCanViewChanges(u, r, relpath); err != nil {
			return err
		}
		f = r.File(relpath)
		ev := s.audit(airlock.AuditRequestFileView, u, r, f.GroupPath(),
			map[string]string{"group": f.Group, "view": "changes"})
		if err := tx.AppendAudit(ctx, ev); err != nil {
			return err
		}
		if reviewed, err = s.files.Open(r.Workspace, r.ID, f.ReviewedFileID); err != nil {
			return airlock.WrapError(airlock.CodeUnavailable, err,
				"The version of %s that was reviewed can no longer be read.", relpath)
		}
		if current, err = s.files.Open(r.Workspace, r.ID, f.FileID); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return reviewed, current, f, nil
}
