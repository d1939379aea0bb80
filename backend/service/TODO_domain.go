package service

import "github.com/trelab/airlock/backend/airlock"

// Minimal upload rules, kept here until backend/airlock provides them.

// checkCanUpload: file relpath is a released file of r, which is APPROVED (uploads happen
// only between release and RELEASED).
func checkCanUpload(r *airlock.ReleaseRequest, relpath string) (*airlock.RequestFile, error) {
	f := r.File(relpath)
	if f == nil {
		return nil, airlock.Errorf(airlock.CodeNotFound, "File %s is not on this request", relpath)
	}
	if r.Status != airlock.StatusApproved {
		return nil, airlock.Errorf(airlock.CodeInvalidState, "cannot upload files of a request in state %s", r.Status)
	}
	if f.ReleasedAt == nil {
		return nil, airlock.Errorf(airlock.CodeInvalidState, "File %s has not been released", relpath)
	}
	return f, nil
}

// allUploaded: every released file of r has been uploaded (§7.3).
func allUploaded(r *airlock.ReleaseRequest) bool {
	for _, f := range r.AllFiles() {
		if f.ReleasedAt != nil && !f.Uploaded {
			return false
		}
	}
	return true
}
