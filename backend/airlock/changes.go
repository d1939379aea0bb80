package airlock

// What changed since a review: when a file's votes are reset (its content replaced by an
// update or a re-add, or the file moved or retyped) the content they were cast on is kept on
// the file, so that whoever may view the file can compare that reviewed version with the
// content on the request now (docs/api.md, "What changed").

// ReviewedContent is the content f's reviewers last voted on: f's own content while it
// carries votes, else the content kept from when its votes were last reset (ReviewedFileID;
// "" when no version of f was ever voted on). Whatever resets f's votes, or replaces f,
// keeps this as the ReviewedFileID of what follows, so that a file updated twice before
// anyone reviewed it again is still compared with the version that was reviewed.
func ReviewedContent(f *RequestFile) string {
	if len(f.Reviews) > 0 {
		return f.FileID
	}
	return f.ReviewedFileID
}

// CanViewChanges: see CheckCanViewChanges.
func CanViewChanges(u User, r *ReleaseRequest, relpath string) bool {
	return CheckCanViewChanges(u, r, relpath) == nil
}

// CheckCanViewChanges: u may view r (as for viewing the file itself), the file at relpath is
// on r, and its content is not the content its reviewers last voted on (it was replaced
// since a review).
func CheckCanViewChanges(u User, r *ReleaseRequest, relpath string) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	f := r.File(relpath)
	if f == nil {
		return Errorf(CodeNotFound, "File %s is not on this request", relpath)
	}
	if f.ReviewedFileID == "" {
		return Errorf(CodeInvalidState, "No earlier version of this file was reviewed: there is nothing to compare it with")
	}
	if f.ReviewedFileID == f.FileID {
		return Errorf(CodeInvalidState, "The file's content is the version that was reviewed: nothing changed since")
	}
	return nil
}
