package airlock

import (
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatus_Completeness(t *testing.T) {
	require.Len(t, Statuses, 9)
	for _, s := range Statuses {
		assert.True(t, s.Valid(), s)
		assert.NotEmpty(t, s.Owner(), "%s has an owner", s)
		assert.NotEmpty(t, s.Phase(), "%s has a phase", s)
		assert.NotEmpty(t, s.Label(), "%s has a label", s)
		assert.NotEmpty(t, StatusAuditType(s), "%s has an audit type", s)
		assert.Contains(t, AuditTypes, StatusAuditType(s))
		if !s.IsFinal() {
			assert.NotEmpty(t, Transitions[s], "non-final %s has transitions", s)
		}
		for _, to := range Transitions[s] {
			assert.Contains(t, Statuses, to)
		}
	}
	assert.False(t, Status("NOPE").Valid())
	assert.False(t, Status("NOPE").IsFinal())
}

func TestStatus_Table(t *testing.T) { // §4.1
	cases := []struct {
		s      Status
		owner  Owner
		phase  Phase
		label  string
		active bool
		final  bool
	}{
		{StatusPending, OwnerAuthor, PhaseAuthor, "PENDING", true, false},
		{StatusSubmitted, OwnerReviewer, PhaseIndependent, "SUBMITTED", true, false},
		{StatusPartiallyReviewed, OwnerReviewer, PhaseIndependent, "ONE REVIEW SUBMITTED", true, false},
		{StatusReviewed, OwnerReviewer, PhaseConsolidating, "ALL REVIEWS SUBMITTED", true, false},
		{StatusReturned, OwnerAuthor, PhaseAuthor, "RETURNED", true, false},
		{StatusApproved, OwnerSystem, PhaseComplete, "APPROVED - FILES UPLOADING", false, false},
		{StatusRejected, OwnerSystem, PhaseComplete, "REJECTED", false, true},
		{StatusReleased, OwnerSystem, PhaseComplete, "RELEASED", false, true},
		{StatusWithdrawn, OwnerSystem, PhaseComplete, "WITHDRAWN", false, true},
	}
	require.Len(t, cases, len(Statuses))
	for _, c := range cases {
		assert.Equal(t, c.owner, c.s.Owner(), c.s)
		assert.Equal(t, c.phase, c.s.Phase(), c.s)
		assert.Equal(t, c.label, c.s.Label(), c.s)
		// behaviour 23: which statuses are "current"
		assert.Equal(t, c.active, c.s.IsActive(), c.s)
		assert.Equal(t, c.final, c.s.IsFinal(), c.s)
	}
}

func TestAuditTypes_Completeness(t *testing.T) {
	seen := map[AuditType]bool{}
	for _, a := range AuditTypes {
		assert.False(t, seen[a], "duplicate %s", a)
		seen[a] = true
		assert.NotEmpty(t, AuditDescription(a), "%s has a description", a)
	}
	assert.Len(t, auditDescriptions, len(AuditTypes), "every described type is listed")
	assert.Equal(t, AuditRequestSubmit, StatusAuditType(StatusSubmitted))
	assert.Equal(t, AuditRequestReview, StatusAuditType(StatusPartiallyReviewed))
	assert.Equal(t, AuditRequestReview, StatusAuditType(StatusReviewed))
	assert.Equal(t, AuditRequestReturn, StatusAuditType(StatusReturned))
	assert.Equal(t, AuditRequestApprove, StatusAuditType(StatusApproved))
	assert.Equal(t, AuditRequestReject, StatusAuditType(StatusRejected))
	assert.Equal(t, AuditRequestRelease, StatusAuditType(StatusReleased))
	assert.Equal(t, AuditRequestWithdraw, StatusAuditType(StatusWithdrawn))
}

// Behaviour 66: exactly these (from, to, actor) transitions pass the generic check.
func TestCheckTransition_Behaviour66(t *testing.T) {
	p := DefaultPolicy()
	author, chk := researcher("alice"), checker("chk1")
	type key struct {
		from, to Status
		who      string
	}
	allowed := map[key]bool{
		{StatusPending, StatusSubmitted, "author"}:        true,
		{StatusPending, StatusWithdrawn, "author"}:        true,
		{StatusReturned, StatusSubmitted, "author"}:       true,
		{StatusReturned, StatusWithdrawn, "author"}:       true,
		{StatusSubmitted, StatusPartiallyReviewed, "chk"}: true,
		{StatusSubmitted, StatusReturned, "chk"}:          true,
		{StatusPartiallyReviewed, StatusReviewed, "chk"}:  true,
		{StatusPartiallyReviewed, StatusReturned, "chk"}:  true,
		{StatusReviewed, StatusApproved, "chk"}:           true,
		{StatusReviewed, StatusRejected, "chk"}:           true,
		{StatusReviewed, StatusReturned, "chk"}:           true,
		{StatusApproved, StatusReleased, "chk"}:           true,
	}
	n := 0
	for _, from := range Statuses {
		for _, to := range Statuses {
			for who, u := range map[string]User{"author": author, "chk": chk} {
				r := matrixReq(from)
				err := CheckTransition(u, r, to, p)
				if allowed[key{from, to, who}] {
					n++
					assert.NoError(t, err, "%s: %s -> %s", who, from, to)
					continue
				}
				require.Error(t, err, "%s: %s -> %s", who, from, to)
				assert.Contains(t, []Code{CodeInvalidState, CodePermissionDenied}, ErrorCode(err))
				switch {
				case slices.Contains(Transitions[from], to):
				case to == StatusReviewed && from == StatusSubmitted:
					assert.Equal(t, "Disabled until two reviews have been submitted", ErrorMessage(err))
				default:
					assert.Equal(t, from.situation()+", so it cannot be "+to.done(), ErrorMessage(err))
				}
			}
		}
	}
	assert.Equal(t, len(allowed), n)
}

// Behaviour 67: a checker cannot move their own request on.
func TestCheckTransition_OwnRequest_Behaviour67(t *testing.T) {
	p := DefaultPolicy()
	alice := checkerWithRole("alice")
	err := CheckTransition(alice, matrixReq(StatusSubmitted), StatusPartiallyReviewed, p)
	assert.EqualError(t, err, "permission_denied: You cannot review or decide your own request")
	err = CheckTransition(alice, matrixReq(StatusApproved), StatusReleased, p)
	assert.EqualError(t, err, "permission_denied: You cannot review or decide your own request")
	err = CheckTransition(researcher("carol"), matrixReq(StatusReviewed), StatusRejected, p)
	assert.EqualError(t, err, "permission_denied: Only output checkers can do this")
	err = CheckTransition(researcher("carol"), matrixReq(StatusPending), StatusSubmitted, p)
	assert.EqualError(t, err, "permission_denied: Only the request's author, alice, can do this")
}

// Behaviour 68: APPROVED needs every output file approved.
func TestCheckTransition_ApproveNeedsApprovedFiles_Behaviour68(t *testing.T) {
	r := matrixReq(StatusReviewed)
	require.NoError(t, CheckTransition(checker("chk1"), r, StatusApproved, DefaultPolicy()))
	r.vote("out/a.csv", "chk4", VoteChangesRequested, 1)
	err := CheckTransition(checker("chk1"), r, StatusApproved, DefaultPolicy())
	assert.Equal(t, CodeInvalidState, ErrorCode(err))
	assert.Equal(t, "Disabled until every output file has been approved by two output checkers", ErrorMessage(err))
}

// docs/decisions.md §9: with one required review SUBMITTED goes straight to REVIEWED.
func TestTransitions_OneRequiredReview(t *testing.T) {
	one := Policy{RequiredReviews: 1, AllowedExtensions: DefaultAllowedExtensions}
	r := matrixReq(StatusSubmitted)
	assert.NoError(t, CheckTransition(checker("chk1"), r, StatusReviewed, one))
	assert.Error(t, CheckTransition(checker("chk1"), r, StatusReviewed, DefaultPolicy()))
	next, changed := ReviewOutcome(r, "chk1", one)
	assert.Equal(t, StatusReviewed, next)
	assert.True(t, changed)
	assert.Equal(t, 1, Policy{}.Reviews(), "at least one review")
}

// Behaviour 59: first review → PARTIALLY_REVIEWED, second → REVIEWED, third stays.
func TestReviewOutcome_Behaviour59(t *testing.T) {
	p := DefaultPolicy()
	r := matrixReq(StatusSubmitted)
	next, changed := ReviewOutcome(r, "chk1", p)
	assert.Equal(t, StatusPartiallyReviewed, next)
	assert.True(t, changed)
	r.Status = StatusPartiallyReviewed
	r.submitReviews("chk1")
	next, changed = ReviewOutcome(r, "chk2", p)
	assert.Equal(t, StatusReviewed, next)
	assert.True(t, changed)
	r.Status = StatusReviewed
	r.submitReviews("chk2")
	next, changed = ReviewOutcome(r, "chk3", p)
	assert.Equal(t, StatusReviewed, next)
	assert.False(t, changed)

	three := Policy{RequiredReviews: 3}
	r = matrixReq(StatusPartiallyReviewed) // chk3 submitted
	next, changed = ReviewOutcome(r, "chk1", three)
	assert.Equal(t, StatusPartiallyReviewed, next)
	assert.False(t, changed, "second of three reviews keeps PARTIALLY_REVIEWED")
}

// Behaviour 51: turn numbering 0, 1, 2, 3; the turn snapshot records the reviewers.
func TestStartNewTurn_Behaviour51(t *testing.T) {
	r := newReq(StatusPending)
	assert.Equal(t, 0, r.ReviewTurn)
	r.StartNewTurn() // submit
	assert.Equal(t, 1, r.ReviewTurn)
	assert.Empty(t, r.TurnReviewers)
	r.submitReviews("chk2", "chk1")
	r.StartNewTurn() // return
	assert.Equal(t, 2, r.ReviewTurn)
	assert.Equal(t, []string{"chk1", "chk2"}, r.TurnReviewers)
	assert.Empty(t, r.SubmittedReviews)
	assert.False(t, r.HasSubmitted("chk1"))
	r.StartNewTurn() // resubmit
	assert.Equal(t, 3, r.ReviewTurn)
	assert.Empty(t, r.TurnReviewers)
}

func TestRequestHelpers(t *testing.T) {
	r := newReq(StatusPending)
	r.addFile("g2", "out/b.csv", FileTypeOutput)
	r.addFile("g2", "out/c.csv", FileTypeWithdrawn)
	assert.Equal(t, "01H...RSTVWX", r.ShortID())
	assert.Equal(t, "g2", r.File("out/b.csv").Group)
	assert.Nil(t, r.File("nope"))
	assert.Nil(t, r.Group("nope"))
	assert.Len(t, r.AllFiles(), 4)
	var outs []string
	for _, f := range r.OutputFiles() {
		outs = append(outs, f.RelPath)
	}
	assert.Equal(t, []string{"out/a.csv", "out/b.csv"}, outs)
	assert.Equal(t, "g2/out/b.csv", r.File("out/b.csv").GroupPath())
	g := r.Group("g2")
	assert.Len(t, g.SupportingFiles(), 0)
	assert.False(t, g.IsEmpty())
	g.Files = g.Files[1:] // only the withdrawn file remains
	assert.True(t, g.IsEmpty(), "withdrawn files do not count")
	g.Context = ""
	assert.False(t, g.IsIncomplete(), "an empty group is never incomplete")
	c := r.comment("g1", "alice", VisibilityPublic, 0)
	got, grp := r.Comment(c.ID)
	assert.Same(t, c, got)
	assert.Equal(t, "g1", grp.Name)
}

func TestNewAuditEvent(t *testing.T) {
	r := newReq(StatusReturned)
	r.ReviewTurn = 4
	extra := map[string]string{"group": "g1"}
	ev := NewAuditEvent(AuditRequestFileAdd, researcher("alice"), r, "out/a.csv", extra)
	assert.Equal(t, AuditRequestFileAdd, ev.Type)
	assert.Equal(t, "alice", ev.User)
	assert.Equal(t, ws, ev.Workspace)
	assert.Equal(t, r.ID, ev.Request)
	assert.Equal(t, "out/a.csv", ev.Path)
	assert.Equal(t, map[string]string{"group": "g1", "review_turn": "4"}, ev.Extra)
	assert.Equal(t, 4, ev.Turn())
	assert.Equal(t, VisibilityPublic, ev.Visibility())
	_, had := extra["review_turn"]
	assert.False(t, had, "the caller's map is not changed")

	wev := NewWorkspaceAuditEvent(AuditWorkspaceFileView, researcher("alice"), ws, "out/a.csv", nil)
	assert.Equal(t, ws, wev.Workspace)
	assert.Empty(t, wev.Request)
	assert.Equal(t, -1, wev.Turn())
	assert.Equal(t, strconv.Itoa(0), NewAuditEvent(AuditRequestCreate, researcher("alice"), newReq(StatusPending), "", nil).Extra["review_turn"])
}
