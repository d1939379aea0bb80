package airlock

import (
	"maps"
	"slices"
	"time"
)

type statusInfo struct {
	owner  Owner
	phase  Phase
	label  string
	active bool
	audit  AuditType
}

var statusTable = map[Status]statusInfo{
	StatusPending:           {OwnerAuthor, PhaseAuthor, "PENDING", true, AuditRequestCreate},
	StatusSubmitted:         {OwnerReviewer, PhaseIndependent, "SUBMITTED", true, AuditRequestSubmit},
	StatusPartiallyReviewed: {OwnerReviewer, PhaseIndependent, "ONE REVIEW SUBMITTED", true, AuditRequestReview},
	StatusReviewed:          {OwnerReviewer, PhaseConsolidating, "ALL REVIEWS SUBMITTED", true, AuditRequestReview},
	StatusReturned:          {OwnerAuthor, PhaseAuthor, "RETURNED", true, AuditRequestReturn},
	StatusApproved:          {OwnerSystem, PhaseComplete, "APPROVED - FILES UPLOADING", false, AuditRequestApprove},
	StatusRejected:          {OwnerSystem, PhaseComplete, "REJECTED", false, AuditRequestReject},
	StatusReleased:          {OwnerSystem, PhaseComplete, "RELEASED", false, AuditRequestRelease},
	StatusWithdrawn:         {OwnerSystem, PhaseComplete, "WITHDRAWN", false, AuditRequestWithdraw},
}

// Transitions is the state machine of §4.2: every status change any operation may make.
// Statuses without an entry are final. With a policy of one required review, SUBMITTED may
// also go straight to REVIEWED (see AllowedTransitions).
var Transitions = map[Status][]Status{
	StatusPending:           {StatusSubmitted, StatusWithdrawn},
	StatusSubmitted:         {StatusPartiallyReviewed, StatusReturned},
	StatusPartiallyReviewed: {StatusReviewed, StatusReturned},
	StatusReviewed:          {StatusApproved, StatusRejected, StatusReturned},
	StatusReturned:          {StatusSubmitted, StatusWithdrawn},
	StatusApproved:          {StatusReleased},
}

// ForceCloseStatuses are the targets of the operator's forced close (docs/decisions.md §1).
var ForceCloseStatuses = []Status{StatusRejected, StatusWithdrawn}

// Owner says who acts on a request in status s.
func (s Status) Owner() Owner { return statusTable[s].owner }

// Phase is the visibility phase of status s (§4.3).
func (s Status) Phase() Phase { return statusTable[s].phase }

// Label is the description shown for status s.
func (s Status) Label() string { return statusTable[s].label }

// IsActive reports whether a request in status s is its author's current request.
func (s Status) IsActive() bool { return statusTable[s].active }

// IsFinal reports whether no transition leaves s (REJECTED, RELEASED, WITHDRAWN).
func (s Status) IsFinal() bool {
	_, known := statusTable[s]
	return known && len(Transitions[s]) == 0
}

// IsEditable reports whether s is author-owned (PENDING, RETURNED).
func (s Status) IsEditable() bool { return s.Owner() == OwnerAuthor }

// IsUnderReview reports whether s is reviewer-owned (SUBMITTED, PARTIALLY_REVIEWED, REVIEWED).
func (s Status) IsUnderReview() bool { return s.Owner() == OwnerReviewer }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := statusTable[s]; return ok }

// StatusAuditType is the audit type written when a request moves to status to.
func StatusAuditType(to Status) AuditType { return statusTable[to].audit }

// AllowedTransitions lists the statuses reachable from from under policy p.
func AllowedTransitions(from Status, p Policy) []Status {
	out := slices.Clone(Transitions[from])
	if from == StatusSubmitted && p.Reviews() <= 1 {
		out = append(out, StatusReviewed)
	}
	return out
}

// CanTransition reports whether CheckTransition allows the change.
func CanTransition(u User, r *ReleaseRequest, to Status, p Policy) bool {
	return CheckTransition(u, r, to, p) == nil
}

// CheckTransition is the generic check applied to every status change (§4.2): the target
// must be reachable; in author-owned statuses only the author acts; in reviewer-owned
// statuses and APPROVED/REJECTED only an output checker who is not the author; APPROVED
// needs every output file approved. The operations' richer preconditions live in CheckCanX.
func CheckTransition(u User, r *ReleaseRequest, to Status, p Policy) error {
	if !slices.Contains(AllowedTransitions(r.Status, p), to) {
		if to == StatusReviewed && (r.Status == StatusSubmitted || r.Status == StatusPartiallyReviewed) {
			return Errorf(CodeInvalidState, "Disabled until %s", reviewsSubmitted(p.Reviews()))
		}
		return Errorf(CodeInvalidState, "%s, so it cannot be %s", r.Status.situation(), to.done())
	}
	switch {
	case r.Status.Owner() == OwnerAuthor:
		if u.Username != r.Author {
			return Errorf(CodePermissionDenied, "Only the request's author, %s, can do this", r.Author)
		}
	case r.Status.Owner() == OwnerReviewer || r.Status == StatusApproved || r.Status == StatusRejected:
		if !u.OutputChecker {
			return Errorf(CodePermissionDenied, "Only output checkers can do this")
		}
		if u.Username == r.Author {
			return Errorf(CodePermissionDenied, "You cannot review or decide your own request")
		}
	}
	if to == StatusApproved && !AllFilesApproved(r, p) {
		return Errorf(CodeInvalidState, "Disabled until every output file has been approved by %s", checkersWord(p.Reviews()))
	}
	return nil
}

// situation describes, for a person, where a request in status s is (the start of a
// reason).
func (s Status) situation() string {
	switch s {
	case StatusPending:
		return "This request has not been submitted yet"
	case StatusSubmitted, StatusPartiallyReviewed:
		return "This request is being reviewed"
	case StatusReviewed:
		return "All reviews of this request have been submitted"
	case StatusReturned:
		return "This request has been returned to its author"
	case StatusApproved:
		return "This request has been released and its files are being uploaded"
	case StatusRejected:
		return "This request has been rejected"
	case StatusReleased:
		return "This request has been released"
	case StatusWithdrawn:
		return "This request has been withdrawn"
	}
	return "This request is in an unknown state"
}

// done says, for a person, what moving a request to status s does (after "cannot be").
func (s Status) done() string {
	switch s {
	case StatusPending:
		return "reopened"
	case StatusSubmitted:
		return "submitted"
	case StatusPartiallyReviewed, StatusReviewed:
		return "reviewed"
	case StatusReturned:
		return "returned to its author"
	case StatusApproved:
		return "released"
	case StatusRejected:
		return "rejected"
	case StatusReleased:
		return "marked as uploaded"
	case StatusWithdrawn:
		return "withdrawn"
	}
	return "changed"
}

// checkersWord is "two output checkers" for n = 2 ("one output checker" for 1).
func checkersWord(n int) string {
	if n == 1 {
		return "one output checker"
	}
	return lowerNumberWord(n) + " output checkers"
}

// reviewsSubmitted is "two reviews have been submitted" for n = 2.
func reviewsSubmitted(n int) string {
	if n == 1 {
		return "one review has been submitted"
	}
	return lowerNumberWord(n) + " reviews have been submitted"
}

// ReviewOutcome is the status r moves to once reviewer's review is recorded, counting
// reviewer among the submitted reviews: PARTIALLY_REVIEWED below p's required reviews,
// REVIEWED at or above it. changed is false when the status stays (a third review while
// REVIEWED, or a second while more are required).
func ReviewOutcome(r *ReleaseRequest, reviewer string, p Policy) (next Status, changed bool) {
	n := len(r.SubmittedReviews)
	if _, ok := r.SubmittedReviews[reviewer]; !ok {
		n++
	}
	next = StatusPartiallyReviewed
	if n >= p.Reviews() {
		next = StatusReviewed
	}
	if r.Status == StatusReviewed || next == r.Status {
		return r.Status, false
	}
	return next, true
}

// RequestState is the part of a request a status change sets.
type RequestState struct {
	Status           Status
	ReviewTurn       int
	TurnReviewers    []string
	SubmittedReviews map[string]time.Time
	LastSubmittedAt  *time.Time
}

// Transition is one status change of a request as a value: the state the request takes,
// the audit event stored with it and the job-server notification sent once it has
// committed. Computing one changes nothing; the service applies it to the request it
// loaded (Apply) and stores the request with Audit in one transaction.
type Transition struct {
	From Status
	Next RequestState
	// Audit is stamped with the transition's time and carries the turn in which the change
	// happened.
	Audit AuditEvent
	// Notification is nil when the status stays (a review that changes no status).
	Notification *Notification
}

// Apply sets r's status, turn and stamps to t.Next.
func (t Transition) Apply(r *ReleaseRequest) {
	r.Status = t.Next.Status
	r.ReviewTurn = t.Next.ReviewTurn
	r.TurnReviewers = t.Next.TurnReviewers
	r.SubmittedReviews = t.Next.SubmittedReviews
	r.LastSubmittedAt = t.Next.LastSubmittedAt
}

// Transit is actor's move of r to status to at time at, once CheckTransition allows it
// (the operation's own CheckCanX comes first, in the caller). What the move sets follows
// from the target (§4.2, §4.3):
//   - SUBMITTED stamps the submit time and starts a new turn;
//   - RETURNED starts a new turn;
//   - PARTIALLY_REVIEWED and REVIEWED record actor's submitted review;
//   - APPROVED tells job-server how many files will be uploaded.
//
// A review that changes no status is ReviewTransition's; the end of a release is
// ReleasedTransition's; the operator's forced close is ForceCloseTransition's.
func Transit(actor User, r *ReleaseRequest, to Status, at time.Time, p Policy) (Transition, error) {
	if err := CheckTransition(actor, r, to, p); err != nil {
		return Transition{}, err
	}
	return transition(actor, r, to, StatusAuditType(to), nil, at), nil
}

// ReviewTransition records reviewer's submitted review of r at time at: the status
// ReviewOutcome gives (through Transit), or, when the status stays, the review alone with
// a REQUEST_REVIEW event marked status_unchanged and no notification. The caller has run
// CheckCanSubmitReview.
func ReviewTransition(reviewer User, r *ReleaseRequest, at time.Time, p Policy) (Transition, error) {
	if next, changed := ReviewOutcome(r, reviewer.Username, p); changed {
		return Transit(reviewer, r, next, at, p)
	}
	t := transition(reviewer, r, r.Status, AuditRequestReview, map[string]string{"status_unchanged": "true"}, at)
	t.Notification = nil
	return t, nil
}

// ReleasedTransition moves r from APPROVED to RELEASED once every released file is
// uploaded: the system performs the move (the generic check runs as the system user) on
// behalf of releaser, the user who released the files, who is the event's actor.
func ReleasedTransition(releaser User, r *ReleaseRequest, at time.Time, p Policy) (Transition, error) {
	if !AllUploaded(r) {
		return Transition{}, Errorf(CodeInvalidState, "Release request %s still has files to upload", r.ID)
	}
	if err := CheckTransition(SystemUser(), r, StatusReleased, p); err != nil {
		return Transition{}, err
	}
	return transition(releaser, r, StatusReleased, StatusAuditType(StatusReleased), nil, at), nil
}

// ForceCloseTransition is operator's forced close of r as REJECTED or WITHDRAWN
// (docs/decisions.md §1) once CheckCanForceClose allows it: REQUEST_FORCE_CLOSE records the
// old and new status and the reason, as an automated action; the turn does not change.
func ForceCloseTransition(operator User, r *ReleaseRequest, to Status, reason string, at time.Time) (Transition, error) {
	if err := CheckCanForceClose(r, to); err != nil {
		return Transition{}, err
	}
	extra := map[string]string{
		"from": string(r.Status), "status": string(to), "reason": reason, "automated_action": "true",
	}
	return transition(operator, r, to, AuditRequestForceClose, extra, at), nil
}

// transition builds the move of r to status to by actor at time at, audited as kind, without
// any check.
func transition(actor User, r *ReleaseRequest, to Status, kind AuditType, extra map[string]string, at time.Time) Transition {
	ev := NewAuditEvent(kind, actor, r, "", extra) // the turn in which the change happened
	ev.CreatedAt = at
	next := RequestState{
		Status: to, ReviewTurn: r.ReviewTurn, TurnReviewers: r.TurnReviewers,
		SubmittedReviews: r.SubmittedReviews, LastSubmittedAt: r.LastSubmittedAt,
	}
	var updates []NotificationUpdate
	switch to {
	case StatusSubmitted:
		stamp := at
		next.LastSubmittedAt = &stamp
		next = next.newTurn()
	case StatusReturned:
		next = next.newTurn()
	case StatusPartiallyReviewed, StatusReviewed:
		next.SubmittedReviews = maps.Clone(r.SubmittedReviews)
		if next.SubmittedReviews == nil {
			next.SubmittedReviews = map[string]time.Time{}
		}
		next.SubmittedReviews[actor.Username] = at
	case StatusApproved:
		updates = []NotificationUpdate{FilesToUploadUpdate(len(r.OutputFiles()))}
	}
	return Transition{
		From: r.Status, Next: next, Audit: ev,
		Notification: &Notification{
			EventType: NotificationEventType(r.Status, to), Workspace: r.Workspace, Request: r.ID,
			RequestAuthor: r.Author, User: actor.Username, Updates: updates,
		},
	}
}

// newTurn is s with the turn advanced (§4.3): the reviewers who submitted in the turn that
// ends are recorded and the submitted reviews cleared.
func (s RequestState) newTurn() RequestState {
	s.TurnReviewers = reviewersOf(s.SubmittedReviews)
	s.SubmittedReviews = map[string]time.Time{}
	s.ReviewTurn++
	return s
}
