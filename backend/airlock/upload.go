package airlock

// CheckCanAttemptUpload is CheckCanUpload for a new delivery attempt: a file that has been
// uploaded is not attempted again. With several servers on one database, another server
// may have delivered the file while this one was deciding to; the fresh read in the
// attempt's transaction sees it (docs/operations.md, "Uploads and notifications").
func CheckCanAttemptUpload(r *ReleaseRequest, relpath string) (*RequestFile, error) {
	f, err := CheckCanUpload(r, relpath)
	if err != nil {
		return nil, err
	}
	if f.Uploaded {
		return nil, Errorf(CodeInvalidState, "File %s has already been uploaded", relpath)
	}
	return f, nil
}
