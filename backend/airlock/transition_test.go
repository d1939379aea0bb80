package airlock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every allowed transition as a value: the state the request takes, the audit event and
// the notification, computed without touching the request (§4.2, §4.3, §7.5).
func TestTransit_EveryAllowedTransition(t *testing.T) {
	at := t0.Add(time.Hour)
	one := Policy{RequiredReviews: 1, AllowedExtensions: DefaultAllowedExtensions}
	author, chk := researcher("alice"), checker("chk1")
	cases := []struct {
		from, to Status
		actor    User
		policy   Policy
		event    string
		// newTurn: the turn advances, TurnReviewers becomes turnReviewers and the submitted
		// reviews are cleared; stamped: LastSubmittedAt becomes at; submitted: the
		// submitted reviews after the move (nil: unchanged).
		newTurn       bool
		turnReviewers []string
		stamped       bool
		submitted     []string
		updates       []NotificationUpdate
	}{
		{from: StatusPending, to: StatusSubmitted, actor: author, event: NotifyRequestSubmitted,
			newTurn: true, turnReviewers: []string{}, stamped: true},
		{from: StatusPending, to: StatusWithdrawn, actor: author, event: NotifyRequestWithdrawn},
		{from: StatusReturned, to: StatusSubmitted, actor: author, event: NotifyRequestResubmitted,
			newTurn: true, turnReviewers: []string{}, stamped: true},
		{from: StatusReturned, to: StatusWithdrawn, actor: author, event: NotifyRequestWithdrawn},
		{from: StatusSubmitted, to: StatusPartiallyReviewed, actor: chk, event: NotifyRequestPartiallyReviewed,
			submitted: []string{"chk1"}},
		{from: StatusSubmitted, to: StatusReviewed, actor: chk, policy: one, event: NotifyRequestReviewed,
			submitted: []string{"chk1"}},
		{from: StatusSubmitted, to: StatusReturned, actor: chk, event: NotifyRequestReturned,
			newTurn: true, turnReviewers: []string{}},
		{from: StatusPartiallyReviewed, to: StatusReviewed, actor: chk, event: NotifyRequestReviewed,
			submitted: []string{"chk1", "chk3"}},
		{from: StatusPartiallyReviewed, to: StatusReturned, actor: chk, event: NotifyRequestReturned,
			newTurn: true, turnReviewers: []string{"chk3"}},
		{from: StatusReviewed, to: StatusApproved, actor: chk, event: NotifyRequestApproved,
			updates: []NotificationUpdate{{Update: "1 file will be uploaded"}}},
		{from: StatusReviewed, to: StatusRejected, actor: chk, event: NotifyRequestRejected},
		{from: StatusReviewed, to: StatusReturned, actor: chk, event: NotifyRequestReturned,
			newTurn: true, turnReviewers: []string{"chk3", "chk4"}},
		{from: StatusApproved, to: StatusReleased, actor: chk, event: NotifyRequestReleased},
	}
	seen := map[[2]Status]bool{}
	for _, c := range cases {
		name := string(c.from) + "->" + string(c.to)
		t.Run(name, func(t *testing.T) {
			p := c.policy
			if p.RequiredReviews == 0 {
				p = DefaultPolicy()
			}
			r := matrixReq(c.from)
			before := r.Clone()
			tr, err := Transit(c.actor, r, c.to, at, p)
			require.NoError(t, err)
			assert.Equal(t, before, r, "computing a transition changes nothing")

			assert.Equal(t, c.from, tr.From)
			assert.Equal(t, c.to, tr.Next.Status)
			if c.newTurn {
				assert.Equal(t, r.ReviewTurn+1, tr.Next.ReviewTurn)
				assert.Equal(t, c.turnReviewers, tr.Next.TurnReviewers)
				assert.Empty(t, tr.Next.SubmittedReviews)
				assert.NotNil(t, tr.Next.SubmittedReviews)
			} else {
				assert.Equal(t, r.ReviewTurn, tr.Next.ReviewTurn)
				assert.Equal(t, r.TurnReviewers, tr.Next.TurnReviewers)
			}
			if c.stamped {
				require.NotNil(t, tr.Next.LastSubmittedAt)
				assert.Equal(t, at, *tr.Next.LastSubmittedAt)
			} else {
				assert.Equal(t, r.LastSubmittedAt, tr.Next.LastSubmittedAt)
			}
			switch {
			case c.submitted != nil:
				assert.Equal(t, c.submitted, reviewersOf(tr.Next.SubmittedReviews))
				assert.Equal(t, at, tr.Next.SubmittedReviews[c.actor.Username], "the review is stamped")
				assert.NotContains(t, r.SubmittedReviews, c.actor.Username, "on a copy")
			case !c.newTurn:
				assert.Equal(t, r.SubmittedReviews, tr.Next.SubmittedReviews)
			}

			ev := tr.Audit
			assert.Equal(t, StatusAuditType(c.to), ev.Type)
			assert.Equal(t, c.actor.Username, ev.User)
			assert.Equal(t, r.ID, ev.Request)
			assert.Equal(t, ws, ev.Workspace)
			assert.Equal(t, at, ev.CreatedAt)
			assert.Equal(t, r.ReviewTurn, ev.Turn(), "the turn in which the change happened")

			require.NotNil(t, tr.Notification)
			assert.Equal(t, Notification{
				EventType: c.event, Workspace: ws, Request: r.ID, RequestAuthor: "alice",
				User: c.actor.Username, Updates: c.updates,
			}, *tr.Notification)

			tr.Apply(r)
			assert.Equal(t, c.to, r.Status)
			assert.Equal(t, tr.Next.ReviewTurn, r.ReviewTurn)
			assert.Equal(t, tr.Next.LastSubmittedAt, r.LastSubmittedAt)
			assert.Equal(t, tr.Next.SubmittedReviews, r.SubmittedReviews)
			assert.Equal(t, tr.Next.TurnReviewers, r.TurnReviewers)
		})
		seen[[2]Status{c.from, c.to}] = true
	}
	for _, from := range Statuses {
		for _, to := range AllowedTransitions(from, one) {
			assert.True(t, seen[[2]Status{from, to}], "%s -> %s has a case", from, to)
		}
	}
}

// Refusals carry CheckTransition's coded errors; nothing is computed.
func TestTransit_Refusals(t *testing.T) {
	p := DefaultPolicy()
	unapproved := matrixReq(StatusReviewed)
	unapproved.vote("out/a.csv", "chk4", VoteChangesRequested, 1)
	cases := []struct {
		name string
		r    *ReleaseRequest
		u    User
		to   Status
		code Code
		msg  string
	}{
		{"unreachable", matrixReq(StatusPending), researcher("alice"), StatusApproved, CodeInvalidState,
			"This request has not been submitted yet, so it cannot be released"},
		{"final", matrixReq(StatusReleased), checker("chk1"), StatusReturned, CodeInvalidState,
			"This request has been released, so it cannot be returned to its author"},
		{"not the author", matrixReq(StatusPending), researcher("bob"), StatusSubmitted, CodePermissionDenied,
			"Only the request's author, alice, can do this"},
		{"not a checker", matrixReq(StatusReviewed), researcher("bob"), StatusRejected, CodePermissionDenied,
			"Only output checkers can do this"},
		{"own request", matrixReq(StatusSubmitted), checkerWithRole("alice"), StatusReturned, CodePermissionDenied,
			"You cannot review or decide your own request"},
		{"two reviews required", matrixReq(StatusSubmitted), checker("chk1"), StatusReviewed, CodeInvalidState,
			"Disabled until two reviews have been submitted"},
		{"unapproved files", unapproved, checker("chk1"), StatusApproved, CodeInvalidState,
			"Disabled until every output file has been approved by two output checkers"},
	}
	for _, c := range cases {
		tr, err := Transit(c.u, c.r, c.to, t0, p)
		assert.Equal(t, c.code, ErrorCode(err), c.name)
		assert.Equal(t, c.msg, ErrorMessage(err), c.name)
		assert.Zero(t, tr, c.name)
	}
}

// A review that changes no status records the review alone: REQUEST_REVIEW marked
// status_unchanged, no notification (§4.4.8).
func TestReviewTransition(t *testing.T) {
	at := t0.Add(time.Minute)
	r := matrixReq(StatusReviewed) // chk3 and chk4 submitted
	tr, err := ReviewTransition(checker("chk1"), r, at, DefaultPolicy())
	require.NoError(t, err)
	assert.Equal(t, StatusReviewed, tr.Next.Status)
	assert.Equal(t, []string{"chk1", "chk3", "chk4"}, reviewersOf(tr.Next.SubmittedReviews))
	assert.Equal(t, at, tr.Next.SubmittedReviews["chk1"])
	assert.Len(t, r.SubmittedReviews, 2, "the request is not changed")
	assert.Equal(t, AuditRequestReview, tr.Audit.Type)
	assert.Equal(t, "true", tr.Audit.Extra["status_unchanged"])
	assert.Nil(t, tr.Notification)

	three := Policy{RequiredReviews: 3}
	r = matrixReq(StatusPartiallyReviewed) // chk3 submitted
	tr, err = ReviewTransition(checker("chk1"), r, at, three)
	require.NoError(t, err)
	assert.Equal(t, StatusPartiallyReviewed, tr.Next.Status, "second of three")
	assert.Nil(t, tr.Notification)

	r = matrixReq(StatusSubmitted)
	tr, err = ReviewTransition(checker("chk1"), r, at, DefaultPolicy())
	require.NoError(t, err)
	assert.Equal(t, StatusPartiallyReviewed, tr.Next.Status)
	_, unchanged := tr.Audit.Extra["status_unchanged"]
	assert.False(t, unchanged)
	require.NotNil(t, tr.Notification)
	assert.Equal(t, NotifyRequestPartiallyReviewed, tr.Notification.EventType)

	_, err = ReviewTransition(checkerWithRole("alice"), matrixReq(StatusSubmitted), at, DefaultPolicy())
	assert.Equal(t, CodePermissionDenied, ErrorCode(err), "the author cannot review their own request")
}

// The end of a release: the system's move, on behalf of the releasing user, once every
// released file is uploaded.
func TestReleasedTransition(t *testing.T) {
	at := t0.Add(time.Minute)
	r := matrixReq(StatusApproved)
	released := t0
	f := r.File("out/a.csv")
	f.ReleasedAt, f.ReleasedBy = &released, "chk1"
	releaser := User{Username: "chk1"} // as loaded from the file: no role
	_, err := ReleasedTransition(releaser, r, at, DefaultPolicy())
	assert.Equal(t, CodeInvalidState, ErrorCode(err), "a file is still to upload")
	f.Uploaded = true
	tr, err := ReleasedTransition(releaser, r, at, DefaultPolicy())
	require.NoError(t, err)
	assert.Equal(t, StatusReleased, tr.Next.Status)
	assert.Equal(t, AuditRequestRelease, tr.Audit.Type)
	assert.Equal(t, "chk1", tr.Audit.User)
	require.NotNil(t, tr.Notification)
	assert.Equal(t, NotifyRequestReleased, tr.Notification.EventType)
	assert.Equal(t, "chk1", tr.Notification.User)

	_, err = ReleasedTransition(releaser, matrixReq(StatusReviewed), at, DefaultPolicy())
	assert.Equal(t, CodeInvalidState, ErrorCode(err), "only an APPROVED request is released")
}

// The operator's forced close (docs/decisions.md §1): any non-final status, REJECTED or
// WITHDRAWN only, recorded as REQUEST_FORCE_CLOSE.
func TestForceCloseTransition(t *testing.T) {
	at := t0.Add(time.Minute)
	op := User{Username: "ops"}
	for _, from := range Statuses {
		for _, to := range ForceCloseStatuses {
			r := matrixReq(from)
			tr, err := ForceCloseTransition(op, r, to, "stuck", at)
			if from.IsFinal() {
				assert.Equal(t, CodeInvalidState, ErrorCode(err), "%s -> %s", from, to)
				continue
			}
			require.NoError(t, err, "%s -> %s", from, to)
			assert.Equal(t, to, tr.Next.Status)
			assert.Equal(t, r.ReviewTurn, tr.Next.ReviewTurn, "the turn does not change")
			assert.Equal(t, r.LastSubmittedAt, tr.Next.LastSubmittedAt)
			assert.Equal(t, AuditRequestForceClose, tr.Audit.Type)
			assert.Equal(t, map[string]string{
				"from": string(from), "status": string(to), "reason": "stuck",
				"automated_action": "true", "review_turn": r.TurnString(),
			}, tr.Audit.Extra)
			require.NotNil(t, tr.Notification)
			assert.Equal(t, NotificationEventType(from, to), tr.Notification.EventType)
		}
	}
	_, err := ForceCloseTransition(op, matrixReq(StatusPending), StatusApproved, "stuck", at)
	assert.Equal(t, CodeInvalid, ErrorCode(err))
	_, err = ForceCloseTransition(op, matrixReq(StatusRejected), StatusRejected, "stuck", at)
	assert.Equal(t, "Release request is already in status REJECTED", ErrorMessage(err))
}
