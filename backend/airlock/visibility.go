package airlock

import "slices"

// CommentVisible reports whether u may see comment c on r (§5.3, docs/decisions.md §10).
func CommentVisible(u User, r *ReleaseRequest, c *Comment) bool {
	return itemVisible(u, r, c.Author, c.ReviewTurn, c.Visibility, false)
}

// AuditEventVisible reports whether u may see request audit event ev of r (§5.3,
// docs/decisions.md §10). Events without a turn (workspace views) are visible to whoever
// sees r, unless hidden.
func AuditEventVisible(u User, r *ReleaseRequest, ev AuditEvent) bool {
	turn := ev.Turn()
	if turn < 0 {
		return !ev.Hidden
	}
	return itemVisible(u, r, ev.User, turn, ev.Visibility(), ev.Hidden)
}

// VisibleComments returns the comments of g that u may see, oldest first.
func VisibleComments(u User, r *ReleaseRequest, g *FileGroup) []*Comment {
	var out []*Comment
	for _, c := range g.Comments {
		if CommentVisible(u, r, c) {
			out = append(out, c)
		}
	}
	return out
}

// VisibleAuditEvents filters evs to those u may see, keeping their order.
func VisibleAuditEvents(u User, r *ReleaseRequest, evs []AuditEvent) []AuditEvent {
	var out []AuditEvent
	for _, ev := range evs {
		if AuditEventVisible(u, r, ev) {
			out = append(out, ev)
		}
	}
	return out
}

// IsBlinded reports whether c is shown "blinded" (only visible to its writer until the
// reviews are complete): a current-turn comment in the INDEPENDENT phase.
func IsBlinded(r *ReleaseRequest, c *Comment) bool {
	return r.Status.Phase() == PhaseIndependent && c.ReviewTurn == r.ReviewTurn
}

// VisibleSubmittedReviewers are the reviewers who submitted a review this turn, as far as u
// may know: during the INDEPENDENT phase only u's own submission (blinding: a reviewer does
// not learn whether the other has submitted), afterwards all of them. Never nil.
func VisibleSubmittedReviewers(u User, r *ReleaseRequest) []string {
	all := r.SubmittedReviewers()
	if r.Status.Phase() == PhaseIndependent {
		if slices.Contains(all, u.Username) {
			return []string{u.Username}
		}
		return []string{}
	}
	return append([]string{}, all...)
}

func itemVisible(u User, r *ReleaseRequest, author string, turn int, vis Visibility, hidden bool) bool {
	if hidden {
		return false
	}
	if author == u.Username {
		return true
	}
	phase := r.Status.Phase()
	past := turn < r.ReviewTurn
	reviewer := CanReview(u, r)
	if vis == VisibilityPrivate {
		// Reviewers see private items, except another reviewer's of the current turn while
		// the reviews are independent (blinding).
		return reviewer && (past || phase != PhaseIndependent)
	}
	switch {
	case past, phase == PhaseComplete, phase == PhaseConsolidating && reviewer:
		return true
	case phase == PhaseAuthor && turn == r.ReviewTurn && HasRole(u, r.Workspace):
		// docs/decisions.md §10: collaborators see each other's work during the author's turn.
		return true
	}
	return false
}
