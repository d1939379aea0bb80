package airlock

import (
	"strings"
)

// Every operation comes as CheckCanX, returning the coded error with the reason, and CanX,
// derived from it. Request-level checks start with "can u see the workspace" (not_found).

// CanCreateRequest: see CheckCanCreateRequest.
func CanCreateRequest(u User, ws string) bool { return CheckCanCreateRequest(u, ws) == nil }

// CheckCanCreateRequest: u may view ws and may action requests there (role, not archived,
// project ongoing). One current request per user and workspace is the service's get-or-create.
func CheckCanCreateRequest(u User, ws string) error {
	if err := CheckCanViewWorkspace(u, ws); err != nil {
		return err
	}
	return CheckCanActionRequests(u, ws)
}

// CanAddFile: see CheckCanAddFile.
func CanAddFile(u User, r *ReleaseRequest, relpath string, st WorkspaceFileStatus, ft FileType, p Policy) bool {
	return CheckCanAddFile(u, r, relpath, st, ft, p) == nil
}

// CheckCanAddFile: u may edit r; the file type is allowed; its workspace status st (for u)
// is UNRELEASED, RELEASED or WITHDRAWN; RELEASED files only as SUPPORTING; the relpath is
// not already on r (unless it is there withdrawn: re-adding replaces it) (§4.4.2, §4.4.4).
func CheckCanAddFile(u User, r *ReleaseRequest, relpath string, st WorkspaceFileStatus, ft FileType, p Policy) error {
	if err := checkCanAddTo(u, r, relpath, ft, p); err != nil {
		return err
	}
	return checkAddStatus(st, ft)
}

// CanAddWorkspaceFile: see CheckCanAddWorkspaceFile.
func CanAddWorkspaceFile(u User, r *ReleaseRequest, f WorkspaceFile, st WorkspaceFileStatus, ft FileType, p Policy) bool {
	return CheckCanAddWorkspaceFile(u, r, f, st, ft, p) == nil
}

// CheckCanAddWorkspaceFile is CheckCanAddFile for the workspace file f as the workspace
// describes it: once u may add a file of its type to r, f must be listed in the
// workspace's manifest (CheckListedInManifest), then its status must allow adding it, and
// it must be within the size limit (CheckFileSize).
func CheckCanAddWorkspaceFile(u User, r *ReleaseRequest, f WorkspaceFile, st WorkspaceFileStatus, ft FileType, p Policy) error {
	if err := checkCanAddTo(u, r, f.Path, ft, p); err != nil {
		return err
	}
	if err := CheckListedInManifest(f); err != nil {
		return err
	}
	if err := checkAddStatus(st, ft); err != nil {
		return err
	}
	return CheckFileSize(f.Path, f.Size, p)
}

// checkCanAddTo: the part of adding a file that depends on the request and the path: u
// may edit r, ft and the path's type are allowed, the path is not on r already (but for a
// withdrawn file).
func checkCanAddTo(u User, r *ReleaseRequest, relpath string, ft FileType, p Policy) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	if err := CheckCanEdit(u, r); err != nil {
		return err
	}
	if !ft.Valid() {
		return Errorf(CodeInvalid, "Cannot add a file as %s", ft)
	}
	if !IsAllowedFileType(relpath, p) {
		return Errorf(CodeInvalid, "Cannot add file of type %s to request", FileExt(relpath))
	}
	// A file already on the request is a conflict whatever its workspace status says.
	if f := r.File(relpath); f != nil && f.FileType != FileTypeWithdrawn {
		return Errorf(CodeConflict, "%s file has already been added to request (in file group '%s')",
			fileTypeTitle(f.FileType), f.Group)
	}
	return nil
}

// checkAddStatus: a file of workspace status st may be added as ft.
func checkAddStatus(st WorkspaceFileStatus, ft FileType) error {
	switch st {
	case WorkspaceUnreleased, WorkspaceReleased, WorkspaceWithdrawn:
	case WorkspaceUnderReview:
		return Errorf(CodeInvalidState, "This file is already on a request that is being reviewed")
	case WorkspaceUpdated:
		return Errorf(CodeInvalidState, "This file is already on your request and has changed since it was added: update it instead")
	case WorkspaceInvalid:
		return Errorf(CodeInvalidState, "This file is no longer a valid output of the workspace")
	default:
		return Errorf(CodeInvalidState, "This file cannot be added to a request now")
	}
	if st == WorkspaceReleased && ft == FileTypeOutput {
		return Errorf(CodeInvalid, "Released files cannot be added as output files")
	}
	return nil
}

// MaxGroupNameLength bounds group names (they appear in paths, URLs and audit records).
const MaxGroupNameLength = 100

// CheckGroupName validates the name of the group files are added or moved to: not blank,
// not too long, no control characters or slashes, and not a case-insensitive twin of a
// different existing group (§12.46: "Default" when "default" exists is refused).
func CheckGroupName(r *ReleaseRequest, name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(CodeInvalid, "Group name must not be blank")
	}
	if len(name) > MaxGroupNameLength {
		return Errorf(CodeInvalid, "Group name must be at most %d characters", MaxGroupNameLength)
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return Errorf(CodeInvalid, "Group name must not contain slashes or control characters")
		}
	}
	for _, g := range r.Groups {
		if g.Name != name && strings.EqualFold(g.Name, name) {
			return Errorf(CodeConflict, "A group named '%s' already exists on this request", g.Name)
		}
	}
	return nil
}

// CanGroupName: see CheckGroupName.
func CanGroupName(r *ReleaseRequest, name string) bool { return CheckGroupName(r, name) == nil }

// CheckCanUpload is the uploader's precondition for one file: the request is APPROVED
// (uploads happen between release and RELEASED) and relpath is one of its released files.
func CheckCanUpload(r *ReleaseRequest, relpath string) (*RequestFile, error) {
	f := r.File(relpath)
	if f == nil {
		return nil, Errorf(CodeNotFound, "File %s is not on this request", relpath)
	}
	if r.Status != StatusApproved {
		return nil, Errorf(CodeInvalidState, "cannot upload files of a request in state %s", r.Status)
	}
	if f.ReleasedAt == nil {
		return nil, Errorf(CodeInvalidState, "File %s has not been released", relpath)
	}
	return f, nil
}

// AllUploaded reports whether every released file of r has been uploaded (§7.3), the
// condition for APPROVED → RELEASED.
func AllUploaded(r *ReleaseRequest) bool {
	for _, f := range r.AllFiles() {
		if f.ReleasedAt != nil && !f.Uploaded {
			return false
		}
	}
	return true
}

func fileTypeTitle(t FileType) string {
	s := strings.ToLower(string(t))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// CanUpdateFile: see CheckCanUpdateFile.
func CanUpdateFile(u User, r *ReleaseRequest, relpath string, st WorkspaceFileStatus, p Policy) bool {
	return CheckCanUpdateFile(u, r, relpath, st, p) == nil
}

// CheckCanUpdateFile: u may edit r; the file is on r; its type is allowed; it is still a
// valid workspace file; its workspace content changed (status UPDATED) (§4.4.3).
func CheckCanUpdateFile(u User, r *ReleaseRequest, relpath string, st WorkspaceFileStatus, p Policy) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	if err := CheckCanEdit(u, r); err != nil {
		return err
	}
	if r.File(relpath) == nil {
		return Errorf(CodeNotFound, "File %s is not on this request", relpath)
	}
	if !IsAllowedFileType(relpath, p) {
		return Errorf(CodeInvalid, "Cannot update file of type %s in request", FileExt(relpath))
	}
	if st == WorkspaceInvalid {
		return Errorf(CodeInvalidState, "File is no longer a valid output file in the workspace; it can be withdrawn but not modified")
	}
	if st != WorkspaceUpdated {
		return Errorf(CodeInvalidState, "This file has not changed in the workspace since it was added to the request")
	}
	return nil
}

// CanUpdateWorkspaceFile: see CheckCanUpdateWorkspaceFile.
func CanUpdateWorkspaceFile(u User, r *ReleaseRequest, f WorkspaceFile, st WorkspaceFileStatus, p Policy) bool {
	return CheckCanUpdateWorkspaceFile(u, r, f, st, p) == nil
}

// CheckCanUpdateWorkspaceFile is CheckCanUpdateFile for the workspace file f as the
// workspace describes it: its new content must also come from an output the workspace's
// manifest lists (CheckListedInManifest) and be within the size limit (CheckFileSize).
func CheckCanUpdateWorkspaceFile(u User, r *ReleaseRequest, f WorkspaceFile, st WorkspaceFileStatus, p Policy) error {
	if err := CheckCanUpdateFile(u, r, f.Path, st, p); err != nil {
		return err
	}
	if err := CheckListedInManifest(f); err != nil {
		return err
	}
	return CheckFileSize(f.Path, f.Size, p)
}

// CanChangeFileProperties: see CheckCanChangeFileProperties.
func CanChangeFileProperties(u User, r *ReleaseRequest, relpath string, st WorkspaceFileStatus, group string, ft FileType) bool {
	return CheckCanChangeFileProperties(u, r, relpath, st, group, ft) == nil
}

// CheckCanChangeFileProperties: move the file at relpath to group and/or make it ft without
// changing its content (§4.4.5). An empty group or file type means "unchanged". u may edit
// r; RELEASED files cannot become OUTPUT; withdrawn files cannot change; something must
// change. The workspace file need not be valid any more.
func CheckCanChangeFileProperties(u User, r *ReleaseRequest, relpath string, st WorkspaceFileStatus, group string, ft FileType) error {
	f, err := fileToEdit(u, r, relpath)
	if err != nil {
		return err
	}
	if group == "" {
		group = f.Group
	}
	if ft == "" {
		ft = f.FileType
	}
	if ft != f.FileType && !ft.Valid() {
		return Errorf(CodeInvalid, "Cannot change a file to %s", ft)
	}
	if st == WorkspaceReleased && ft == FileTypeOutput {
		return Errorf(CodeInvalid, "Released files cannot be added as output files")
	}
	if f.FileType == FileTypeWithdrawn {
		return Errorf(CodeInvalidState, "Cannot change file group or type for a withdrawn file")
	}
	if group == f.Group && ft == f.FileType {
		return Errorf(CodeInvalid, "No changes to make")
	}
	return nil
}

// fileToEdit is where the edits of a file already on r start: u can see r's workspace
// (not_found), the file at relpath is on r (not_found, before any permission), then u may
// edit r (whose reason says what is needed).
func fileToEdit(u User, r *ReleaseRequest, relpath string) (*RequestFile, error) {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return nil, err
	}
	f := r.File(relpath)
	if f == nil {
		return nil, Errorf(CodeNotFound, "File %s is not on this request", relpath)
	}
	if err := CheckCanEdit(u, r); err != nil {
		return nil, err
	}
	return f, nil
}

// CheckCanMoveFile: the file at relpath may move to another group of r, keeping its type:
// CheckCanChangeFileProperties with a group change (the name of the group it moves to is
// checked when it moves, by CheckGroupName). The per-file "move" action of the API.
func CheckCanMoveFile(u User, r *ReleaseRequest, relpath string, st WorkspaceFileStatus) error {
	other := "another group"
	if f := r.File(relpath); f != nil && f.Group == other {
		other = "yet another group"
	}
	return CheckCanChangeFileProperties(u, r, relpath, st, other, "")
}

// CanWithdrawFile: see CheckCanWithdrawFile.
func CanWithdrawFile(u User, r *ReleaseRequest, relpath string) bool {
	return CheckCanWithdrawFile(u, r, relpath) == nil
}

// CheckCanWithdrawFile: the file is on r (checked first); u may edit r; the file is not
// already withdrawn (§4.4.6). Works whatever the workspace file's state.
func CheckCanWithdrawFile(u User, r *ReleaseRequest, relpath string) error {
	f, err := fileToEdit(u, r, relpath)
	if err != nil {
		return err
	}
	if f.FileType == FileTypeWithdrawn {
		return Errorf(CodeInvalidState, "File has already been withdrawn from request")
	}
	return nil
}

// WithdrawDeletes reports whether withdrawing a file from r removes it (PENDING) rather than
// marking it WITHDRAWN (RETURNED).
func WithdrawDeletes(r *ReleaseRequest) bool { return r.Status == StatusPending }

// CanEditGroup: see CheckCanEditGroup.
func CanEditGroup(u User, r *ReleaseRequest, group string) bool {
	return CheckCanEditGroup(u, r, group) == nil
}

// CheckCanEditGroup: u may edit r and the group exists (§4.4.7).
func CheckCanEditGroup(u User, r *ReleaseRequest, group string) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	if err := CheckCanEdit(u, r); err != nil {
		return err
	}
	if r.Group(group) == nil {
		return Errorf(CodeNotFound, "Group %s is not on this request", group)
	}
	return nil
}

// CanSubmit: see CheckCanSubmit.
func CanSubmit(u User, r *ReleaseRequest, p Policy) bool { return CheckCanSubmit(u, r, p) == nil }

// CheckCanSubmit: submit or resubmit (T2, T3). u is the author; the workspace is not
// archived and its project ongoing (docs/decisions.md §5); r has an output file; r may move
// to SUBMITTED; no non-empty group lacks context or controls; every group that needs a
// public comment this turn has one (§5.5).
func CheckCanSubmit(u User, r *ReleaseRequest, p Policy) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	if u.Username != r.Author {
		return Errorf(CodePermissionDenied, "Only the request's author, %s, can submit it", r.Author)
	}
	if err := checkWorkspaceActive(u, r.Workspace); err != nil {
		return err
	}
	if len(r.OutputFiles()) == 0 {
		return Errorf(CodeInvalidState, "Cannot submit request with no output files")
	}
	if err := CheckTransition(u, r, StatusSubmitted, p); err != nil {
		return err
	}
	var incomplete, names []string
	for _, g := range r.Groups {
		if g.IsIncomplete() {
			incomplete = append(incomplete, "'"+g.Name+"'")
			names = append(names, g.Name)
		}
	}
	if len(incomplete) > 0 {
		return Errorf(CodeInvalidState, "Incomplete context and/or controls for filegroup(s): %s", strings.Join(incomplete, ", ")).WithGroups(names)
	}
	if missing := GroupsMissingPublicComment(r, p); len(missing) > 0 {
		return Errorf(CodeInvalidState, "Filegroup(s) are missing comments: %s", strings.Join(missing, ", ")).WithGroups(missing)
	}
	return nil
}

// CanWithdrawRequest: see CheckCanWithdrawRequest.
func CanWithdrawRequest(u User, r *ReleaseRequest) bool { return CheckCanWithdrawRequest(u, r) == nil }

// CheckCanWithdrawRequest: only the generic check (author, PENDING or RETURNED); the
// workspace's activity is not re-checked, so a request can always be closed (T4).
func CheckCanWithdrawRequest(u User, r *ReleaseRequest) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	return CheckTransition(u, r, StatusWithdrawn, DefaultPolicy())
}

// CanVote: see CheckCanVote.
func CanVote(u User, r *ReleaseRequest, relpath string) bool {
	return CheckCanVote(u, r, relpath) == nil
}

// CheckCanVote: approve or request changes. u is a checker who is not the author, r is
// under review, the file is an output file of r (§4.4.8). Allowed after u submitted.
func CheckCanVote(u User, r *ReleaseRequest, relpath string) error {
	if err := checkCanReviewHere(u, r); err != nil {
		return err
	}
	f := r.File(relpath)
	if f == nil {
		return Errorf(CodeNotFound, "File %s is not on this request", relpath)
	}
	if f.FileType != FileTypeOutput {
		if f.FileType == FileTypeWithdrawn {
			return Errorf(CodeInvalid, "This file has been withdrawn from the request: it is not reviewed")
		}
		return Errorf(CodeInvalid, "Only output files are reviewed: this is a supporting file")
	}
	return nil
}

// checkCanReviewHere is where every reviewing operation starts: u can see r's workspace
// (not_found), then u may currently review r.
func checkCanReviewHere(u User, r *ReleaseRequest) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	return CheckCanCurrentlyReview(u, r)
}

// CanResetVote: see CheckCanResetVote.
func CanResetVote(u User, r *ReleaseRequest, relpath string) bool {
	return CheckCanResetVote(u, r, relpath) == nil
}

// CheckCanResetVote: as voting, plus u has not submitted this turn and has a vote to reset.
func CheckCanResetVote(u User, r *ReleaseRequest, relpath string) error {
	if err := CheckCanVote(u, r, relpath); err != nil {
		return err
	}
	if r.HasSubmitted(u.Username) {
		return Errorf(CodeInvalidState, "You have submitted your review: your votes can no longer be reset")
	}
	if r.File(relpath).Vote(u.Username) == nil {
		return Errorf(CodeNotFound, "You have no vote on %s to reset", relpath)
	}
	return nil
}

// CanMarkUndecided: see CheckCanMarkUndecided.
func CanMarkUndecided(r *ReleaseRequest, v Vote) bool { return CheckCanMarkUndecided(r, v) == nil }

// CheckCanMarkUndecided: the system sets a vote to UNDECIDED only in PARTIALLY_REVIEWED (any
// vote, early return) or RETURNED (CHANGES_REQUESTED votes, resubmission) (behaviour 62).
func CheckCanMarkUndecided(r *ReleaseRequest, v Vote) error {
	switch {
	case r.Status == StatusPartiallyReviewed:
		return nil
	case r.Status == StatusReturned && v == VoteChangesRequested:
		return nil
	}
	return Errorf(CodeInvalidState, "cannot change a %s vote to UNDECIDED in state %s", v, r.Status)
}

// CanSubmitReview: see CheckCanSubmitReview.
func CanSubmitReview(u User, r *ReleaseRequest, p Policy) bool {
	return CheckCanSubmitReview(u, r, p) == nil
}

// CheckCanSubmitReview: u may currently review r; u voted (not UNDECIDED) on every output
// file; u commented this turn on every group where u requested changes; u has not submitted
// this turn (§4.4.8, in that order). ReviewOutcome gives the resulting status.
func CheckCanSubmitReview(u User, r *ReleaseRequest, p Policy) error {
	if err := checkCanReviewHere(u, r); err != nil {
		return err
	}
	for _, f := range r.OutputFiles() {
		if v := f.Vote(u.Username); v == nil || v.Status == VoteUndecided {
			return Errorf(CodeInvalidState, "You must review all files to submit your review")
		}
	}
	if missing := GroupsMissingReviewerComment(r, u.Username); len(missing) > 0 {
		return Errorf(CodeInvalidState, "You must add a comment on any groups for which you have requested file changes before you can submit your review").WithGroups(missing)
	}
	if r.HasSubmitted(u.Username) {
		return Errorf(CodeInvalidState, "You have already submitted your review of this request")
	}
	if next, changed := ReviewOutcome(r, u.Username, p); changed {
		return CheckTransition(u, r, next, p)
	}
	return nil
}

// IsEarlyReturn reports whether returning r now is an early return: fewer submitted reviews
// than required this turn.
func IsEarlyReturn(r *ReleaseRequest, p Policy) bool { return len(r.SubmittedReviews) < p.Reviews() }

// CanReturn: see CheckCanReturn.
func CanReturn(u User, r *ReleaseRequest, p Policy) bool { return CheckCanReturn(u, r, p) == nil }

// CheckCanReturn: u may currently review r; no group lacks a required public comment (only
// ever in REVIEWED); r may move to RETURNED (T7, T8).
func CheckCanReturn(u User, r *ReleaseRequest, p Policy) error {
	if err := checkCanReviewHere(u, r); err != nil {
		return err
	}
	if missing := GroupsMissingPublicComment(r, p); len(missing) > 0 {
		return Errorf(CodeInvalidState, "Filegroup(s) are missing public comments: %s", strings.Join(missing, ", ")).WithGroups(missing)
	}
	return CheckTransition(u, r, StatusReturned, p)
}

// CanReject: see CheckCanReject.
func CanReject(u User, r *ReleaseRequest, p Policy) bool { return CheckCanReject(u, r, p) == nil }

// CheckCanReject: REVIEWED, checker not the author; no comment requirement (T9).
func CheckCanReject(u User, r *ReleaseRequest, p Policy) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	if r.Status.IsUnderReview() && r.Status != StatusReviewed && CanReview(u, r) {
		return Errorf(CodeInvalidState, "Disabled until %s", reviewsSubmitted(p.Reviews()))
	}
	return CheckTransition(u, r, StatusRejected, p)
}

// CanRelease: see CheckCanRelease.
func CanRelease(u User, r *ReleaseRequest, p Policy) bool { return CheckCanRelease(u, r, p) == nil }

// CheckCanRelease: from REVIEWED the generic check for APPROVED (checker not the author,
// every output file approved); from APPROVED (retry) a checker who is not the author
// (docs/decisions.md §4); then every output file's type must be allowed (§4.4.11).
func CheckCanRelease(u User, r *ReleaseRequest, p Policy) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	switch {
	case r.Status == StatusApproved:
		if err := CheckCanReview(u, r); err != nil {
			return err
		}
	case r.Status.IsUnderReview() && r.Status != StatusReviewed && CanReview(u, r):
		return Errorf(CodeInvalidState, "Disabled until %s and every output file has been approved by %s",
			reviewsSubmitted(p.Reviews()), checkersWord(p.Reviews()))
	default:
		if err := CheckTransition(u, r, StatusApproved, p); err != nil {
			return err
		}
	}
	for _, f := range r.OutputFiles() {
		if !IsAllowedFileType(f.RelPath, p) {
			return Errorf(CodeInvalid, "Invalid file type (%s) found in request", f.RelPath)
		}
	}
	return nil
}

// FilesToRelease are the output files not yet released (withdrawn and supporting files are
// never released); a retry releases only these.
func FilesToRelease(r *ReleaseRequest) []*RequestFile {
	var out []*RequestFile
	for _, f := range r.OutputFiles() {
		if f.ReleasedAt == nil {
			out = append(out, f)
		}
	}
	return out
}

// CanDownload: see CheckCanDownload.
func CanDownload(u User, r *ReleaseRequest) bool { return CheckCanDownload(u, r) == nil }

// CheckCanDownload: output checkers who are not the author, once r has been submitted at
// least once (docs/decisions.md §6).
func CheckCanDownload(u User, r *ReleaseRequest) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	if !u.OutputChecker || u.Username == r.Author {
		return Errorf(CodePermissionDenied, "Only output checkers who are not the author can download request files")
	}
	if r.LastSubmittedAt == nil && r.ReviewTurn == 0 {
		return Errorf(CodeInvalidState, "Files cannot be downloaded before the request has been submitted")
	}
	return nil
}

// CanForceClose: see CheckCanForceClose.
func CanForceClose(r *ReleaseRequest, to Status) bool { return CheckCanForceClose(r, to) == nil }

// CheckCanForceClose: the operator's forced close (docs/decisions.md §1) moves a request in
// any non-final status to REJECTED or WITHDRAWN. It bypasses the transition table and
// permissions by design; the service audits it as REQUEST_FORCE_CLOSE.
func CheckCanForceClose(r *ReleaseRequest, to Status) error {
	if to != StatusRejected && to != StatusWithdrawn {
		return Errorf(CodeInvalid, "A request can only be closed as REJECTED or WITHDRAWN, not %s", to)
	}
	if r.Status == to {
		return Errorf(CodeInvalidState, "Release request is already in status %s", to)
	}
	if r.Status.IsFinal() {
		return Errorf(CodeInvalidState, "Release request is already closed (%s)", r.Status)
	}
	return nil
}
