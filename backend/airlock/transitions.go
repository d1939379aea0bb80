package airlock

import "slices"

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
