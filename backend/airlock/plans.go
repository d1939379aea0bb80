package airlock

import "slices"

// VoteChange is one vote the service must change or delete.
type VoteChange struct {
	RelPath  string
	Group    string
	Reviewer string
	From     Vote
	// To is the new vote; "" means delete the vote.
	To Vote
}

// CommentRef names one comment the service must delete.
type CommentRef struct {
	ID     string
	Group  string
	Author string
	Text   string
}

// EarlyReturnPlan is what an early return reverts before the request is returned (§4.4.9).
type EarlyReturnPlan struct {
	// Undecided: votes of this turn by reviewers who submitted → UNDECIDED.
	Undecided []VoteChange
	// Delete: votes of this turn by reviewers who did not submit (audit RESET_REVIEW).
	Delete []VoteChange
	// DeleteComments: every comment of this turn (audit REQUEST_COMMENT_DELETE as its author).
	DeleteComments []CommentRef
	// HideTurn is the turn whose audit events are hidden.
	HideTurn int
}

// PlanEarlyReturn computes the revert of the current turn. Votes carried over from earlier
// turns are untouched; a vote re-cast this turn is deleted or made UNDECIDED, not restored.
func PlanEarlyReturn(r *ReleaseRequest) EarlyReturnPlan {
	plan := EarlyReturnPlan{HideTurn: r.ReviewTurn}
	for _, f := range r.OutputFiles() {
		for _, rv := range sortedReviewers(f) {
			v := f.Reviews[rv]
			if v.ReviewTurn != r.ReviewTurn {
				continue
			}
			ch := VoteChange{RelPath: f.RelPath, Group: f.Group, Reviewer: rv, From: v.Status}
			if r.HasSubmitted(rv) {
				ch.To = VoteUndecided
				plan.Undecided = append(plan.Undecided, ch)
			} else {
				plan.Delete = append(plan.Delete, ch)
			}
		}
	}
	for _, g := range r.Groups {
		for _, c := range g.Comments {
			if c.ReviewTurn == r.ReviewTurn {
				plan.DeleteComments = append(plan.DeleteComments,
					CommentRef{ID: c.ID, Group: g.Name, Author: c.Author, Text: c.Text})
			}
		}
	}
	return plan
}

// PlanResubmit lists the CHANGES_REQUESTED votes on output files that become UNDECIDED when
// a RETURNED request is resubmitted (T3; audit REQUEST_FILE_UNDECIDED, actor the author,
// extra reviewer). APPROVED votes stay.
func PlanResubmit(r *ReleaseRequest) []VoteChange {
	var out []VoteChange
	if r.Status != StatusReturned {
		return nil
	}
	for _, f := range r.OutputFiles() {
		for _, rv := range sortedReviewers(f) {
			if v := f.Reviews[rv]; v.Status == VoteChangesRequested {
				out = append(out, VoteChange{RelPath: f.RelPath, Group: f.Group, Reviewer: rv,
					From: VoteChangesRequested, To: VoteUndecided})
			}
		}
	}
	return out
}

// PlanResetVotes lists the votes on f that replacing or moving it deletes (§4.4.4, §4.4.5).
func PlanResetVotes(f *RequestFile) []VoteChange {
	var out []VoteChange
	for _, rv := range sortedReviewers(f) {
		out = append(out, VoteChange{RelPath: f.RelPath, Group: f.Group, Reviewer: rv, From: f.Reviews[rv].Status})
	}
	return out
}

func sortedReviewers(f *RequestFile) []string {
	out := make([]string, 0, len(f.Reviews))
	for rv := range f.Reviews {
		out = append(out, rv)
	}
	slices.Sort(out)
	return out
}
