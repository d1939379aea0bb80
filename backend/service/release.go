package service

import (
	"context"
	"io"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// Release releases the output files of request id (§4.4.11): a REVIEWED request with every
// output file approved becomes APPROVED and its files are queued for the uploader. Retrying
// on an APPROVED request (a checker who is not the author, docs/decisions.md §4) releases
// only the files not released yet. When a Releaser is configured the remote release is
// created (or got) first, outside any transaction, and its id stored on the request; a
// failure there changes nothing.
func (s *Airlock) Release(ctx context.Context, u airlock.User, id string) (RequestView, error) {
	var files []airlock.ReleaseFile
	var snapshot *airlock.ReleaseRequest
	err := s.view(ctx, func(tx Tx) error {
		r, err := loadRequest(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if err := airlock.CheckCanRelease(u, r, s.policy); err != nil {
			return err
		}
		snapshot = r
		files, err = s.releaseFiles(r)
		return err
	})
	if err != nil {
		return RequestView{}, err
	}
	releaseID := ""
	if s.releaser != nil {
		releaseID, err = s.releaser.CreateRelease(ctx, u, snapshot, files)
		if err != nil {
			if airlock.ErrorCode(err) == airlock.CodeInternal {
				err = airlock.WrapError(airlock.CodeUnavailable, err,
					"Error releasing files; please contact tech-support.")
			}
			return RequestView{}, err
		}
	}
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if err := airlock.CheckCanRelease(u, r, s.policy); err != nil {
			return err
		}
		if releaseID != "" {
			r.ReleaseID = releaseID
		}
		now := s.now()
		for _, f := range airlock.FilesToRelease(r) {
			at := now
			f.ReleasedAt, f.ReleasedBy = &at, u.Username
			ev := s.audit(airlock.AuditRequestFileRelease, u, r, f.RelPath, map[string]string{"group": f.Group})
			if err := tx.UpdateFile(ctx, r.ID, f, ev); err != nil {
				return err
			}
		}
		if r.Status == airlock.StatusApproved {
			// A retry: no status change, but the retry and the release id are recorded.
			return tx.UpdateRequest(ctx, r, s.audit(airlock.AuditRequestApprove, u, r, "",
				map[string]string{"retry": "true"}))
		}
		t, err := airlock.Transit(u, r, airlock.StatusApproved, s.now(), s.policy)
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}

// releaseFiles describes the stored copies of r's output files for the remote release.
func (s *Airlock) releaseFiles(r *airlock.ReleaseRequest) ([]airlock.ReleaseFile, error) {
	var out []airlock.ReleaseFile
	for _, f := range r.OutputFiles() {
		fi, err := s.files.Stat(r.Workspace, r.ID, f.FileID)
		if err != nil {
			return nil, err
		}
		out = append(out, airlock.ReleaseFile{
			Path: f.RelPath, Size: fi.Size(), SHA256: f.FileID, Date: fi.ModTime().UTC(),
		})
	}
	return out, nil
}

// PendingUploads returns the requests with released files not yet uploaded, for the
// uploader.
func (s *Airlock) PendingUploads(ctx context.Context) ([]*airlock.ReleaseRequest, error) {
	var out []*airlock.ReleaseRequest
	err := s.view(ctx, func(tx Tx) error {
		var err error
		out, err = tx.PendingUploads(ctx)
		return err
	})
	return out, err
}

// maxUploadError bounds the stored text of an upload failure.
const maxUploadError = 1000

// RecordUploadAttempt counts an upload attempt of file relpath of request id and stamps its
// time; the uploader calls it before each attempt, so the count is committed whatever
// happens next (§7.3). A non-nil uploadErr is the outcome of the counted attempt, recorded
// as by RecordUploadFailure in the same transaction. A file already uploaded is refused
// (airlock.CheckCanAttemptUpload): another server sharing the database delivered it.
func (s *Airlock) RecordUploadAttempt(ctx context.Context, id, relpath string, uploadErr error) error {
	return s.uploadWrite(ctx, id, relpath, func(tx Tx, eff *effects, r *airlock.ReleaseRequest, f *airlock.RequestFile) error {
		if _, err := airlock.CheckCanAttemptUpload(r, relpath); err != nil {
			return err
		}
		if err := tx.RecordUploadAttempt(ctx, r.ID, relpath, s.now(), f.UploadError); err != nil {
			return err
		}
		if uploadErr == nil {
			return nil
		}
		return s.recordFailure(ctx, tx, eff, r, f, uploadErr)
	})
}

// RecordUploadFailure stores the error of a failed upload attempt on the file and writes
// REQUEST_FILE_UPLOAD_FAILED, so every failure is visible (docs/decisions.md §14). The
// attempt was already counted by RecordUploadAttempt.
func (s *Airlock) RecordUploadFailure(ctx context.Context, id, relpath string, uploadErr error) error {
	if uploadErr == nil {
		return airlock.Errorf(airlock.CodeInvalid, "no upload error to record")
	}
	return s.uploadWrite(ctx, id, relpath, func(tx Tx, eff *effects, r *airlock.ReleaseRequest, f *airlock.RequestFile) error {
		return s.recordFailure(ctx, tx, eff, r, f, uploadErr)
	})
}

// uploadWrite runs an uploader operation on file relpath of request id, as the system user.
// The uploader makes two of these per file, so r is the store's partial aggregate for
// uploads (the request with f and at most one other file still to upload), not the whole
// request: loading every file and vote made n uploads cost O(n²). fn must use r only
// for what the upload rules and the request row need.
func (s *Airlock) uploadWrite(ctx context.Context, id, relpath string, fn func(tx Tx, eff *effects, r *airlock.ReleaseRequest, f *airlock.RequestFile) error) error {
	return s.write(ctx, func(tx Tx, eff *effects) error {
		r, err := tx.GetRequestForUpload(ctx, id, relpath)
		if r, err = visibleRequest(airlock.SystemUser(), id, r, err); err != nil {
			return err
		}
		f, err := airlock.CheckCanUpload(r, relpath)
		if err != nil {
			return err
		}
		return fn(tx, eff, r, f)
	})
}

func (s *Airlock) recordFailure(ctx context.Context, tx Tx, eff *effects, r *airlock.ReleaseRequest, f *airlock.RequestFile, uploadErr error) error {
	msg := strings.TrimSpace(uploadErr.Error())
	if len(msg) > maxUploadError {
		msg = strings.ToValidUTF8(msg[:maxUploadError], "") + "…"
	}
	f.UploadError = msg
	ev := s.audit(airlock.AuditRequestFileUploadFailed, airlock.SystemUser(), r, f.RelPath,
		map[string]string{"group": f.Group, "error": msg})
	if err := tx.UpdateFile(ctx, r.ID, f, ev); err != nil {
		return err
	}
	eff.changed(r)
	return nil
}

// MarkUploaded records that file relpath of request id was uploaded: REQUEST_FILE_UPLOAD
// with the releasing user as actor. When every released file is uploaded the request
// becomes RELEASED (REQUEST_RELEASE, again as that user), in the same transaction. Marking
// an uploaded file again only re-checks completion.
func (s *Airlock) MarkUploaded(ctx context.Context, id, relpath string) error {
	return s.uploadWrite(ctx, id, relpath, func(tx Tx, eff *effects, r *airlock.ReleaseRequest, f *airlock.RequestFile) error {
		releaser := airlock.User{Username: f.ReleasedBy}
		if !f.Uploaded {
			now := s.now()
			f.Uploaded, f.UploadedAt, f.UploadError = true, &now, ""
			ev := s.audit(airlock.AuditRequestFileUpload, releaser, r, relpath, map[string]string{"group": f.Group})
			if err := tx.UpdateFile(ctx, r.ID, f, ev); err != nil {
				return err
			}
		}
		eff.changed(r)
		if !airlock.AllUploaded(r) {
			return nil
		}
		// The system performs the transition on behalf of the user who released the file.
		t, err := airlock.ReleasedTransition(releaser, r, s.now(), s.policy)
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}

// OpenStoredFile opens the stored copy of f (for the uploader, which sends it byte for
// byte). The caller closes the reader.
func (s *Airlock) OpenStoredFile(ctx context.Context, r *airlock.ReleaseRequest, f *airlock.RequestFile) (io.ReadSeekCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.files.Open(r.Workspace, r.ID, f.FileID)
}

// ForceClose is the operator's forced close of a stuck request (docs/decisions.md §1): it
// moves request id to REJECTED or WITHDRAWN whatever its state, bypassing the transition
// table and permissions, with REQUEST_FORCE_CLOSE recording the operator, the old and new
// status and the reason, and the matching job-server notification.
func (s *Airlock) ForceClose(ctx context.Context, operator airlock.User, id string, to airlock.Status, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return airlock.Errorf(airlock.CodeInvalid, "A reason is required to close a request")
	}
	if operator.Username == "" {
		return airlock.Errorf(airlock.CodeInvalid, "An operator name is required to close a request")
	}
	return s.write(ctx, func(tx Tx, eff *effects) error {
		r, err := tx.GetRequest(ctx, id)
		if err != nil {
			return err
		}
		t, err := airlock.ForceCloseTransition(operator, r, to, reason, s.now())
		if err != nil {
			return err
		}
		return s.transit(ctx, tx, eff, r, t)
	})
}

// RecordNotificationUnknown records, on request id, that the notification eventType was
// sent to job-server and no answer came (REQUEST_NOTIFICATION_UNKNOWN, as the system user,
// with the cause): it may or may not have been handled, and is not resent, since
// job-server's handler is not idempotent. The request's activity shows it.
func (s *Airlock) RecordNotificationUnknown(ctx context.Context, id, eventType, cause string) error {
	if strings.TrimSpace(eventType) == "" {
		return airlock.Errorf(airlock.CodeInvalid, "no notification event type to record")
	}
	cause = strings.TrimSpace(cause)
	if len(cause) > maxUploadError {
		cause = strings.ToValidUTF8(cause[:maxUploadError], "") + "…"
	}
	return s.write(ctx, func(tx Tx, eff *effects) error {
		return s.recordNotificationUnknown(ctx, tx, eff, id, eventType, cause)
	})
}

// recordNotificationUnknown writes RecordNotificationUnknown's audit event inside tx.
func (s *Airlock) recordNotificationUnknown(ctx context.Context, tx Tx, eff *effects, id, eventType, cause string) error {
	r, err := loadRequest(ctx, tx, airlock.SystemUser(), id)
	if err != nil {
		return err
	}
	ev := s.audit(airlock.AuditRequestNotificationUnknown, airlock.SystemUser(), r, "",
		map[string]string{"event_type": eventType, "error": cause})
	if err := tx.AppendAudit(ctx, ev); err != nil {
		return err
	}
	eff.changed(r)
	return nil
}
