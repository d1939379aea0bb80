package airlock

import (
	"fmt"
	"slices"
)

// Decide combines the votes on f of the given reviewers (§5.1, docs/decisions.md §9): fewer
// votes than the required reviews → INCOMPLETE; at least that many APPROVED → APPROVED;
// votes differing → CONFLICTED; otherwise CHANGES_REQUESTED (also for unanimous UNDECIDED,
// as built).
func Decide(f *RequestFile, reviewers []string, p Policy) Decision {
	var votes []Vote
	for _, rv := range reviewers {
		if v := f.Vote(rv); v != nil {
			votes = append(votes, v.Status)
		}
	}
	need := p.Reviews()
	if len(votes) < need {
		return DecisionIncomplete
	}
	approved := 0
	for _, v := range votes {
		if v == VoteApproved {
			approved++
		}
	}
	if approved >= need {
		return DecisionApproved
	}
	for _, v := range votes[1:] {
		if v != votes[0] {
			return DecisionConflicted
		}
	}
	return DecisionChangesRequested
}

// DecisionReason is the human-readable explanation of a decision.
func DecisionReason(d Decision, p Policy) string {
	n := p.Reviews()
	who := numberWord(n) + " independent output checkers"
	if n == 1 {
		who = "An output checker"
	}
	switch d {
	case DecisionIncomplete:
		if n == 1 {
			return "Overall decision will be displayed after an output checker has submitted their review of all output files"
		}
		return fmt.Sprintf("Overall decision will be displayed after %s independent output checkers have submitted their review of all output files", lowerNumberWord(n))
	case DecisionApproved:
		if n == 1 {
			return who + " has approved this file"
		}
		return who + " have approved this file"
	case DecisionChangesRequested:
		if n == 1 {
			return who + " has requested changes to this file"
		}
		return who + " have requested changes to this file"
	case DecisionConflicted:
		return "Output checkers have reviewed this file and disagree about whether it should be released"
	}
	return ""
}

var numberWords = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"}

func numberWord(n int) string {
	if n >= 0 && n < len(numberWords) {
		return numberWords[n]
	}
	return fmt.Sprint(n)
}

func lowerNumberWord(n int) string {
	w := numberWord(n)
	if n >= 0 && n < len(numberWords) {
		return string(w[0]+'a'-'A') + w[1:]
	}
	return w
}

// AllFilesApproved reports whether every output file's decision from the current turn's
// submitted reviews is APPROVED (vacuously true without output files).
func AllFilesApproved(r *ReleaseRequest, p Policy) bool {
	reviewers := r.SubmittedReviewers()
	for _, f := range r.OutputFiles() {
		if Decide(f, reviewers, p) != DecisionApproved {
			return false
		}
	}
	return true
}

// CanBeReleased: REVIEWED with every output file approved.
func CanBeReleased(r *ReleaseRequest, p Policy) bool {
	return r.Status == StatusReviewed && AllFilesApproved(r, p)
}

// DecisionFor is the decision on f as shown to u (§5.2): blind while INDEPENDENT; in
// CONSOLIDATING only reviewers of r see it; in COMPLETE everyone sees the current turn's;
// in the AUTHOR phase everyone sees the previous turn's. Authors and non-checkers see
// CONFLICTED as CHANGES_REQUESTED.
func DecisionFor(u User, r *ReleaseRequest, f *RequestFile, p Policy) Decision {
	var d Decision
	switch r.Status.Phase() {
	case PhaseIndependent:
		d = DecisionIncomplete
	case PhaseConsolidating:
		if CanReview(u, r) {
			d = Decide(f, r.SubmittedReviewers(), p)
		} else {
			d = DecisionIncomplete
		}
	case PhaseComplete:
		d = Decide(f, r.SubmittedReviewers(), p)
	case PhaseAuthor:
		d = Decide(f, r.TurnReviewers, p)
	default:
		d = DecisionIncomplete
	}
	if d == DecisionConflicted && (u.Username == r.Author || !u.OutputChecker) {
		d = DecisionChangesRequested
	}
	return d
}

// GroupsMissingReviewerComment lists the groups (in order) holding an output file that
// reviewer voted CHANGES_REQUESTED on and in which reviewer wrote no comment this turn (§5.4).
func GroupsMissingReviewerComment(r *ReleaseRequest, reviewer string) []string {
	var out []string
	for _, g := range r.Groups {
		requested := slices.ContainsFunc(g.OutputFiles(), func(f *RequestFile) bool {
			v := f.Vote(reviewer)
			return v != nil && v.Status == VoteChangesRequested
		})
		if !requested {
			continue
		}
		commented := slices.ContainsFunc(g.Comments, func(c *Comment) bool {
			return c.Author == reviewer && c.ReviewTurn == r.ReviewTurn
		})
		if !commented {
			out = append(out, g.Name)
		}
	}
	return out
}

// GroupsMissingPublicComment lists the groups (in order) that need a PUBLIC comment in the
// current turn before a REVIEWED request is returned or a RETURNED one resubmitted (§5.5).
func GroupsMissingPublicComment(r *ReleaseRequest, p Policy) []string {
	if AllFilesApproved(r, p) {
		return nil
	}
	var reviewers []string
	switch r.Status {
	case StatusReviewed:
		reviewers = r.SubmittedReviewers()
	case StatusReturned:
		if len(r.TurnReviewers) < p.Reviews() {
			return nil
		}
		reviewers = r.TurnReviewers
	default:
		return nil
	}
	var out []string
	for _, g := range r.Groups {
		if g.HasPublicCommentForTurn(r.ReviewTurn) {
			continue
		}
		needs := false
		for _, f := range g.Files {
			switch Decide(f, reviewers, p) {
			case DecisionChangesRequested, DecisionConflicted:
				needs = true
			case DecisionIncomplete:
				needs = needs || f.FileType == FileTypeOutput
			}
		}
		if needs {
			out = append(out, g.Name)
		}
	}
	return out
}
