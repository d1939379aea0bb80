package airlock

import (
	"errors"
	"slices"
)

// ActionState says whether an action is allowed and, if not, why (docs/api.md "Actions").
type ActionState struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
	// Acknowledge, on an allowed action, says why it needs an acknowledgement note (the
	// file "approve" action of a file with BLOCK warnings); without the note it is refused
	// with this text.
	Acknowledge string `json:"acknowledge,omitempty"`
	// Groups, on a refused action, are the file groups the reason is about (those still
	// needing a comment), so that a client can link to each.
	Groups []string `json:"groups,omitempty"`
}

// Action keys of the request actions block.
const (
	ActionAddFiles   = "addFiles"
	ActionSubmit     = "submit"
	ActionWithdraw   = "withdraw"
	ActionReview     = "review"
	ActionReturn     = "return"
	ActionReject     = "reject"
	ActionRelease    = "release"
	ActionComment    = "comment"
	ActionEditGroups = "editGroups"
)

// ActionKeys lists every key RequestActions fills.
var ActionKeys = []string{
	ActionAddFiles, ActionSubmit, ActionWithdraw, ActionReview, ActionReturn,
	ActionReject, ActionRelease, ActionComment, ActionEditGroups,
}

// StateOf turns a check's error into an ActionState.
func StateOf(err error) ActionState {
	if err == nil {
		return ActionState{Allowed: true}
	}
	st := ActionState{Reason: ErrorMessage(err)}
	var e *Error
	if errors.As(err, &e) && len(e.Groups) > 0 {
		st.Groups = slices.Clone(e.Groups)
	}
	return st
}

// RequestActions computes the request-level actions block for u, by the same checks that
// enforce them. addFiles and editGroups are "may edit r"; review is "may submit a review";
// comment is "may comment with some visibility".
func RequestActions(u User, r *ReleaseRequest, p Policy) map[string]ActionState {
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
	return map[string]ActionState{
		ActionAddFiles:   StateOf(edit()),
		ActionSubmit:     StateOf(CheckCanSubmit(u, r, p)),
		ActionWithdraw:   StateOf(CheckCanWithdrawRequest(u, r)),
		ActionReview:     StateOf(CheckCanSubmitReview(u, r, p)),
		ActionReturn:     StateOf(CheckCanReturn(u, r, p)),
		ActionReject:     StateOf(CheckCanReject(u, r, p)),
		ActionRelease:    StateOf(CheckCanRelease(u, r, p)),
		ActionComment:    StateOf(comment()),
		ActionEditGroups: StateOf(edit()),
	}
}
