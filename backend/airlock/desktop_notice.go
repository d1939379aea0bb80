package airlock

// DesktopNotice is an OS notification the desktop window shows its user about a request.
type DesktopNotice struct {
	Title, Body string
}

// NoticeFacts is what the user's own view of a request says, for the notice rule: the
// status it moved to, its author and workspace, and the user's part in its review.
type NoticeFacts struct {
	Status    Status
	Author    string
	Workspace string
	// Reviewer: the user may review the request (the request list's myReview is set);
	// ReviewSubmitted: they have submitted their review of this turn.
	Reviewer, ReviewSubmitted bool
}

// NoticeWorthChecking reports whether a request moving to status to, from prev (known:
// whether the window had seen the request before), may tell anyone anything: a move into
// RETURNED or SUBMITTED. Changes within one status (a vote, a comment) tell no one. The
// window checks this before it looks the request up.
func NoticeWorthChecking(prev Status, known bool, to Status) bool {
	if to != StatusReturned && to != StatusSubmitted {
		return false
	}
	return !known || prev != to
}

// DesktopNoticeFor is what username is told when a request they may view moved from prev
// to f.Status: its author that it was returned to them, and a reviewer who has not yet
// submitted their review that it awaits it (first submission and resubmission alike).
// Everyone else, and every other move, is told nothing.
func DesktopNoticeFor(username string, prev Status, known bool, f NoticeFacts) (DesktopNotice, bool) {
	if !NoticeWorthChecking(prev, known, f.Status) {
		return DesktopNotice{}, false
	}
	switch {
	case f.Status == StatusReturned && f.Author == username:
		return DesktopNotice{
			Title: "Your request was returned",
			Body:  "Your release request in " + f.Workspace + " was returned to you.",
		}, true
	case f.Status == StatusSubmitted && f.Reviewer && !f.ReviewSubmitted && f.Author != username:
		return DesktopNotice{
			Title: "A request awaits your review",
			Body:  f.Author + " submitted a release request in " + f.Workspace + ".",
		}, true
	}
	return DesktopNotice{}, false
}
