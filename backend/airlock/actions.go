package airlock

import (
	"errors"
	"slices"
)

// ActionState says whether an action is shown at all, whether it is allowed and, if not,
// why (docs/api.md "Actions"). The domain decides all three; clients render them.
type ActionState struct {
	// Shown says whether the UI shows the action to this viewer at all (an action that is
	// not shown is never allowed). A shown action that is not allowed is a disabled button
	// with Reason beside it.
	Shown   bool   `json:"shown"`
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
	// Acknowledge, on an allowed action, says why it needs an acknowledgement note (the
	// file "approve" action of a file with BLOCK warnings); without the note it is refused
	// with this text.
	Acknowledge string `json:"acknowledge,omitempty"`
	// Unselected, on an allowed action that applies to the files a user selects (a
	// workspace's addFiles and updateFiles), is what to say while no file it applies to is
	// selected.
	Unselected string `json:"unselected,omitempty"`
	// Groups, on a refused action, are the file groups the reason is about (those still
	// needing a comment), so that a client can link to each.
	Groups []string `json:"groups,omitempty"`
}

// ActionKey names an action of an actions block. There is one vocabulary: a key means the
// same operation in every block it appears in.
type ActionKey string

// Actions is one actions block.
type Actions map[ActionKey]ActionState

// Action keys. Request: addFiles … editGroups, vote; request file: vote … changes;
// workspace file: add, addOutput, addSupporting, update; workspace: addFiles, updateFiles;
// user: viewAllWorkspaces, reviewRequests.
const (
	ActionAddFiles   ActionKey = "addFiles"
	ActionSubmit     ActionKey = "submit"
	ActionWithdraw   ActionKey = "withdraw"
	ActionReview     ActionKey = "review"
	ActionReturn     ActionKey = "return"
	ActionReject     ActionKey = "reject"
	ActionRelease    ActionKey = "release"
	ActionComment    ActionKey = "comment"
	ActionEditGroups ActionKey = "editGroups"
	// ActionVote is, on a request, voting on its files at all: shown to the request's
	// reviewers (output checkers who are not its author), allowed while it is under review;
	// on a file, voting on that file.
	ActionVote       ActionKey = "vote"
	ActionApprove    ActionKey = "approve"
	ActionResetVote  ActionKey = "resetVote"
	ActionUpdate     ActionKey = "update"
	ActionChangeType ActionKey = "changeType"
	ActionMove       ActionKey = "move"
	ActionDownload   ActionKey = "download"
	ActionChanges    ActionKey = "changes"

	ActionAdd           ActionKey = "add"
	ActionAddOutput     ActionKey = "addOutput"
	ActionAddSupporting ActionKey = "addSupporting"

	ActionUpdateFiles ActionKey = "updateFiles"

	ActionViewAllWorkspaces ActionKey = "viewAllWorkspaces"
	ActionReviewRequests    ActionKey = "reviewRequests"
)

// The keys each block fills.
var (
	ActionKeys = []ActionKey{
		ActionAddFiles, ActionSubmit, ActionWithdraw, ActionReview, ActionReturn,
		ActionReject, ActionRelease, ActionComment, ActionEditGroups, ActionVote,
	}
	FileActionKeys = []ActionKey{
		ActionVote, ActionApprove, ActionResetVote, ActionWithdraw, ActionUpdate,
		ActionChangeType, ActionMove, ActionDownload, ActionChanges,
	}
	WorkspaceFileActionKeys = []ActionKey{ActionAdd, ActionAddOutput, ActionAddSupporting, ActionUpdate}
	WorkspaceActionKeys     = []ActionKey{ActionAddFiles, ActionUpdateFiles}
	UserActionKeys          = []ActionKey{ActionViewAllWorkspaces, ActionReviewRequests}
)

// StateOf turns a check's error into the state of a shown action; a refusal naming file
// groups (Error.Groups) passes them on.
func StateOf(err error) ActionState {
	if err == nil {
		return ActionState{Shown: true, Allowed: true}
	}
	st := ActionState{Shown: true, Reason: ErrorMessage(err)}
	var e *Error
	if errors.As(err, &e) && len(e.Groups) > 0 {
		st.Groups = slices.Clone(e.Groups)
	}
	return st
}

// shownIf is st when shown, else st hidden (and then never allowed).
func shownIf(shown bool, st ActionState) ActionState {
	if !shown {
		st.Shown, st.Allowed = false, false
	}
	return st
}

// RequestActions computes the request-level actions block for u, by the same checks that
// enforce them. addFiles and editGroups are "may edit r"; review is "may submit a review";
// comment is "may comment with some visibility"; vote is "may vote on r's files now".
//
// Shown: submit and withdraw to the author while the request is with them; review, return,
// reject and release to its reviewers while it is under review or released and uploading
// (a release can be retried then; an early return is allowed with a caveat as its reason);
// vote to its reviewers in any status (their votes are
// shown, read-only once the review is over); addFiles, editGroups and comment always (the
// page shows the group's text and comments read-only, with the reason).
func RequestActions(u User, r *ReleaseRequest, p Policy) Actions {
	view := CheckCanViewWorkspace(u, r.Workspace)
	edit := func() error {
		if view != nil {
			return view
		}
		return CheckCanEdit(u, r)
	}
	comment := func() error {
		vs := WritableVisibilities(u, r)
		if len(vs) == 0 {
			return checkCanCommentOn(u, r)
		}
		return CheckCanComment(u, r, "", vs[0])
	}
	authorTurn := view == nil && u.Username == r.Author && r.Status.IsEditable()
	reviewer := view == nil && CanReview(u, r)
	deciding := reviewer && (r.Status.IsUnderReview() || r.Status == StatusApproved)
	return Actions{
		ActionAddFiles:   StateOf(edit()),
		ActionSubmit:     shownIf(authorTurn, StateOf(CheckCanSubmit(u, r, p))),
		ActionWithdraw:   shownIf(authorTurn, StateOf(CheckCanWithdrawRequest(u, r))),
		ActionReview:     shownIf(deciding, StateOf(CheckCanSubmitReview(u, r, p))),
		ActionReturn:     shownIf(deciding, returnAction(u, r, p)),
		ActionReject:     shownIf(deciding, StateOf(CheckCanReject(u, r, p))),
		ActionRelease:    shownIf(deciding, StateOf(CheckCanRelease(u, r, p))),
		ActionComment:    StateOf(comment()),
		ActionEditGroups: StateOf(edit()),
		ActionVote:       shownIf(reviewer, StateOf(checkCanReviewHere(u, r))),
	}
}

// returnAction is the request's "return" action: allowed early (fewer reviews submitted
// than required) with the caveat of what an early return resets.
func returnAction(u User, r *ReleaseRequest, p Policy) ActionState {
	st := StateOf(CheckCanReturn(u, r, p))
	if st.Allowed && IsEarlyReturn(r, p) {
		st.Reason = "Not all reviews have been submitted: returning the request now resets every vote of this turn and deletes its comments"
	}
	return st
}

// DownloadAction is the "download" action of every file of r for u (a rule of the
// request, not of the file): shown to r's reviewers.
func DownloadAction(u User, r *ReleaseRequest) ActionState {
	return shownIf(CheckCanViewWorkspace(u, r.Workspace) == nil && CanReview(u, r), StateOf(CheckCanDownload(u, r)))
}

// FileOnDisk is what the workspace says of a request file's path now: its status for the
// viewer and, when the path is still a visible workspace file, the size of its content.
type FileOnDisk struct {
	Status    WorkspaceFileStatus
	Size      int64
	SizeKnown bool
}

// RequestFileActions is the actions block of request file f for u: vote, approve and
// resetVote (shown to r's reviewers while it is under review, on output files);
// withdraw, update, changeType and move (shown to everyone but r's reviewers, who vote
// instead); download (DownloadAction, computed once per request); changes (shown when there
// is a reviewed version to compare with). changeType offers the other of OUTPUT and
// SUPPORTING.
func RequestFileActions(u User, r *ReleaseRequest, f *RequestFile, disk FileOnDisk, download ActionState, p Policy) Actions {
	reviewer := CheckCanViewWorkspace(u, r.Workspace) == nil && CanReview(u, r)
	voting := reviewer && r.Status.IsUnderReview() && f.FileType == FileTypeOutput
	other := FileTypeSupporting
	if f.FileType == FileTypeSupporting {
		other = FileTypeOutput
	}
	var update error
	if disk.SizeKnown {
		update = CheckCanUpdateFileOfSize(u, r, f.RelPath, disk.Size, disk.Status, p)
	} else {
		update = CheckCanUpdateFile(u, r, f.RelPath, disk.Status, p)
	}
	changes := StateOf(CheckCanViewChanges(u, r, f.RelPath))
	return Actions{
		ActionVote:       shownIf(voting, StateOf(CheckCanVote(u, r, f.RelPath))),
		ActionApprove:    shownIf(voting, ApproveAction(u, r, f.RelPath)),
		ActionResetVote:  shownIf(voting, StateOf(CheckCanResetVote(u, r, f.RelPath))),
		ActionWithdraw:   shownIf(!reviewer, StateOf(CheckCanWithdrawFile(u, r, f.RelPath))),
		ActionUpdate:     shownIf(!reviewer, StateOf(update)),
		ActionChangeType: shownIf(!reviewer, StateOf(CheckCanChangeFileProperties(u, r, f.RelPath, disk.Status, "", other))),
		ActionMove:       shownIf(!reviewer, StateOf(CheckCanMoveFile(u, r, f.RelPath, disk.Status))),
		ActionDownload:   download,
		ActionChanges:    shownIf(changes.Allowed, changes),
	}
}

// UserActions is what u may do beyond single workspaces: list every workspace, and see the
// review lists.
func UserActions(u User) Actions {
	return Actions{
		ActionViewAllWorkspaces: shownIf(CanViewAllWorkspaces(u), StateOf(CheckCanViewAllWorkspaces(u))),
		ActionReviewRequests:    shownIf(CanReviewRequests(u), StateOf(CheckCanReviewRequests(u))),
	}
}

// AddTarget is the request u adds workspace files to: u's current request on the
// workspace, or the one get-or-create would make (CreateErr says why u cannot make one).
type AddTarget struct {
	Request   *ReleaseRequest
	Current   bool
	CreateErr error
}

// AddTargetFor is u's add target on ws given u's current request there (nil when none).
func AddTargetFor(u User, ws string, current *ReleaseRequest) AddTarget {
	if current != nil {
		return AddTarget{Request: current, Current: true}
	}
	return AddTarget{
		Request:   &ReleaseRequest{Workspace: ws, Author: u.Username, Status: StatusPending},
		CreateErr: CheckCanCreateRequest(u, ws),
	}
}

// Denied is why u may add no file at all to t (nil when u may add some).
func (t AddTarget) Denied(u User) error {
	if t.CreateErr != nil {
		return t.CreateErr
	}
	return CheckCanEdit(u, t.Request)
}

// WorkspaceFileActions is the actions block of workspace file f (status st for u) towards
// t, and the file type it is added as by default ("" when it cannot be added): add (as
// OUTPUT, or else as SUPPORTING with the reason it cannot be an output), addOutput,
// addSupporting, update. The page offers update instead of add when the file has changed
// since it went on u's request (only one of add and update is shown).
func WorkspaceFileActions(u User, t AddTarget, f WorkspaceFile, st WorkspaceFileStatus, p Policy) (Actions, FileType) {
	addAs := func(ft FileType) error {
		if t.CreateErr != nil {
			return t.CreateErr
		}
		return CheckCanAddWorkspaceFile(u, t.Request, f, st, ft, p)
	}
	outErr, supErr := addAs(FileTypeOutput), addAs(FileTypeSupporting)
	out, sup := StateOf(outErr), StateOf(supErr)
	add, def := out, FileType("")
	switch {
	case outErr == nil:
		def = FileTypeOutput
	case supErr == nil:
		// Allowed, but only as a supporting file: say why.
		add = ActionState{Shown: true, Allowed: true, Reason: out.Reason}
		def = FileTypeSupporting
	}
	var update ActionState
	if !t.Current {
		update = StateOf(Errorf(CodeInvalidState, "You have no current request for this workspace: add the file to start one"))
	} else {
		update = StateOf(CheckCanUpdateWorkspaceFile(u, t.Request, f, st, p))
	}
	changed := st == WorkspaceUpdated
	return Actions{
		ActionAdd:           shownIf(!changed, add),
		ActionAddOutput:     out,
		ActionAddSupporting: sup,
		ActionUpdate:        shownIf(changed, update),
	}, def
}

// CreateRequestAction is whether u may start a request on ws (a workspace summary's
// createRequest), with the reason when not.
func CreateRequestAction(u User, ws string) ActionState {
	return StateOf(CheckCanCreateRequest(u, ws))
}

// WorkspaceActions is the actions block of workspace ws for u, whose current request there
// is current (nil when none): adding and updating the files u selects.
func WorkspaceActions(u User, ws string, current *ReleaseRequest) Actions {
	t := AddTargetFor(u, ws, current)
	add := StateOf(t.Denied(u))
	if add.Allowed {
		add.Unselected = "Select the files to add"
	}
	update := add
	switch {
	case !t.Current:
		update = StateOf(Errorf(CodeInvalidState, "You have no current request for this workspace: there is nothing to update yet"))
	case update.Allowed:
		update.Unselected = "Select files that have changed since they were added to your request"
	}
	return Actions{ActionAddFiles: add, ActionUpdateFiles: update}
}
