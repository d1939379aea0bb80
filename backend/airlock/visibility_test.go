package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func seesComment(u User, r *ReleaseRequest, c *Comment) bool { return CommentVisible(u, r, c) }

func voteEvent(r *ReleaseRequest, who string) AuditEvent {
	return NewAuditEvent(AuditRequestFileApprove, checker(who), r, "out/a.csv", map[string]string{"group": "g1"})
}

// Behaviours 76–80: comments and audit events through the turns (§5.3).
func TestVisibility_ThroughTurns_Behaviour76to80(t *testing.T) {
	alice, carol := researcher("alice"), researcher("carol")
	chk1, chk2 := checker("chk1"), checker("chk2")
	r := submittedReq()
	c1 := r.comment("g1", "chk1", VisibilityPublic, 1)
	c2 := r.comment("g1", "chk2", VisibilityPrivate, 1)
	ev1, ev2 := voteEvent(r, "chk1"), voteEvent(r, "chk2")

	// 76: INDEPENDENT
	assert.True(t, seesComment(chk1, r, c1))
	assert.False(t, seesComment(chk1, r, c2))
	assert.True(t, seesComment(chk2, r, c2))
	assert.False(t, seesComment(chk2, r, c1))
	assert.False(t, seesComment(alice, r, c1))
	assert.False(t, seesComment(alice, r, c2))
	assert.True(t, AuditEventVisible(chk1, r, ev1))
	assert.False(t, AuditEventVisible(chk1, r, ev2))
	assert.False(t, AuditEventVisible(alice, r, ev1))
	assert.True(t, IsBlinded(r, c1))

	// 77: CONSOLIDATING
	r.Status = StatusReviewed
	for _, c := range []*Comment{c1, c2} {
		assert.True(t, seesComment(chk1, r, c))
		assert.True(t, seesComment(chk2, r, c))
		assert.True(t, seesComment(checker("chk3"), r, c), "any checker who may review")
		assert.False(t, seesComment(alice, r, c))
		assert.False(t, seesComment(carol, r, c))
		assert.False(t, seesComment(checkerWithRole("alice"), r, c), "the author even as a checker")
	}
	assert.True(t, AuditEventVisible(chk1, r, ev2))
	assert.False(t, AuditEventVisible(alice, r, ev2))
	assert.False(t, IsBlinded(r, c1))

	// 78: AUTHOR phase after return
	r.Status = StatusReturned
	r.StartNewTurn()
	assert.True(t, seesComment(alice, r, c1))
	assert.False(t, seesComment(alice, r, c2), "private comments never reach the author")
	assert.True(t, AuditEventVisible(alice, r, ev1), "vote events are public")
	assert.True(t, AuditEventVisible(alice, r, ev2))
	c3 := r.comment("g1", "alice", VisibilityPublic, 2)
	assert.False(t, seesComment(chk1, r, c3), "checkers wait for the resubmission")
	assert.True(t, seesComment(chk1, r, c2), "private items of past turns stay visible to checkers")

	// docs/decisions.md §10: collaborators see each other's current-turn public comments
	assert.True(t, seesComment(carol, r, c3))
	assert.True(t, AuditEventVisible(carol, r, NewAuditEvent(AuditRequestFileAdd, alice, r, "out/x.csv", nil)))
	assert.False(t, seesComment(copilot("cop"), r, c3), "copilots hold no role")
	assert.False(t, seesComment(readonly("ro"), r, c3))
	assert.True(t, seesComment(checkerWithRole("chk5"), r, c3), "a checker who is also a collaborator")

	// 79: next INDEPENDENT phase
	r.Status = StatusSubmitted
	r.StartNewTurn()
	assert.True(t, seesComment(chk1, r, c3))
	c4 := r.comment("g1", "chk2", VisibilityPublic, 3)
	assert.False(t, seesComment(chk1, r, c4))
	assert.False(t, seesComment(carol, r, c4))

	// 80: REJECTED (COMPLETE, turn not incremented)
	r.Status = StatusRejected
	for _, c := range []*Comment{c1, c2, c3, c4} {
		assert.True(t, seesComment(chk1, r, c), c.ID)
	}
	assert.True(t, seesComment(alice, r, c1))
	assert.True(t, seesComment(alice, r, c4))
	assert.False(t, seesComment(alice, r, c2))
	assert.False(t, seesComment(carol, r, c2))
	assert.Len(t, VisibleComments(alice, r, r.Group("g1")), 3)
}

// Behaviour 81: hidden events are invisible to everyone, including their actor.
func TestVisibility_Hidden_Behaviour81(t *testing.T) {
	r := submittedReq()
	ev := voteEvent(r, "chk1")
	ev.Hidden = true
	r.Status = StatusRejected
	for _, u := range []User{checker("chk1"), checker("chk2"), researcher("alice")} {
		assert.False(t, AuditEventVisible(u, r, ev), u.Username)
	}
	ev.Hidden = false
	priv := ev
	priv.Extra = map[string]string{"review_turn": "1", "visibility": "PRIVATE"}
	assert.False(t, AuditEventVisible(researcher("alice"), r, priv))
	assert.True(t, AuditEventVisible(checker("chk2"), r, priv))
	assert.Len(t, VisibleAuditEvents(researcher("alice"), r, []AuditEvent{ev, priv}), 1)
}

// Behaviour 82 and §5.2: decisions as shown to each viewer.
func TestDecisionFor_Behaviour82(t *testing.T) {
	p := DefaultPolicy()
	r := reviewedReq() // b.csv: APPROVED + CHANGES_REQUESTED = CONFLICTED
	f := r.File("out/b.csv")
	authorChecker := checkerWithRole("alice")
	assert.Equal(t, DecisionConflicted, DecisionFor(checker("chk1"), r, f, p))
	assert.Equal(t, DecisionIncomplete, DecisionFor(authorChecker, r, f, p), "CONSOLIDATING: the author sees nothing")
	assert.Equal(t, DecisionIncomplete, DecisionFor(researcher("carol"), r, f, p))
	r.Status = StatusPartiallyReviewed
	assert.Equal(t, DecisionIncomplete, DecisionFor(checker("chk1"), r, f, p), "INDEPENDENT is blind")
	r.Status = StatusReturned
	r.StartNewTurn()
	assert.Equal(t, DecisionChangesRequested, DecisionFor(authorChecker, r, f, p))
	assert.Equal(t, DecisionChangesRequested, DecisionFor(researcher("carol"), r, f, p))
	assert.Equal(t, DecisionConflicted, DecisionFor(checker("chk1"), r, f, p))
	assert.Equal(t, DecisionApproved, DecisionFor(researcher("alice"), r, r.File("out/a.csv"), p))
	// §5.2 as built: withdrawn after a return shows INCOMPLETE
	r.Status = StatusWithdrawn
	assert.Equal(t, DecisionIncomplete, DecisionFor(checker("chk1"), r, f, p))
	// COMPLETE with reviews of this turn
	r2 := reviewedReq()
	r2.Status = StatusRejected
	assert.Equal(t, DecisionChangesRequested, DecisionFor(researcher("alice"), r2, r2.File("out/b.csv"), p))
	assert.Equal(t, DecisionConflicted, DecisionFor(checker("chk9"), r2, r2.File("out/b.csv"), p))
}

// Behaviour 85 and docs/decisions.md §3: who may comment.
func TestCheckCanComment_Behaviour85_Decision3(t *testing.T) {
	pending := newReq(StatusPending)
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanComment(User{Username: "zed"}, pending, "g1", VisibilityPublic)))
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanComment(checker("chk1"), pending, "g1", VisibilityPublic)),
		"a checker without a role cannot comment on a PENDING request")
	assert.NoError(t, CheckCanComment(researcher("alice"), pending, "g1", VisibilityPublic))
	assert.NoError(t, CheckCanComment(researcher("carol"), pending, "g1", VisibilityPublic))
	assert.NoError(t, CheckCanComment(checkerWithRole("chk2"), pending, "g1", VisibilityPublic))
	assert.Error(t, CheckCanComment(copilot("cop"), pending, "g1", VisibilityPublic))
	review := submittedReq()
	assert.Error(t, CheckCanComment(copilot("cop"), review, "g1", VisibilityPublic), "docs/decisions.md §3: copilots never comment")
	assert.Error(t, CheckCanComment(readonly("ro"), review, "g1", VisibilityPublic), "nor read-only users")
	assert.Error(t, CheckCanComment(researcher("alice"), review, "g1", VisibilityPublic), "the author waits for the return")
	assert.NoError(t, CheckCanComment(checker("chk1"), review, "g1", VisibilityPublic))
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanComment(checker("chk1"), review, "nope", VisibilityPublic)))
	for _, st := range []Status{StatusApproved, StatusRejected, StatusReleased, StatusWithdrawn} {
		r := matrixReq(st)
		assert.EqualError(t, CheckCanComment(checkerWithRole("chk2"), r, "g1", VisibilityPublic),
			"invalid_state: This request can no longer be modified.", st)
	}
}

// docs/decisions.md §2: writable visibilities.
func TestWritableVisibilities_Decision2(t *testing.T) {
	review := submittedReq()
	pending := newReq(StatusPending)
	assert.Equal(t, []Visibility{VisibilityPrivate, VisibilityPublic}, WritableVisibilities(checker("chk1"), review))
	assert.Equal(t, []Visibility{VisibilityPublic}, WritableVisibilities(checkerWithRole("chk2"), pending))
	assert.Equal(t, []Visibility{VisibilityPublic}, WritableVisibilities(researcher("alice"), pending))
	assert.Equal(t, []Visibility{VisibilityPublic}, WritableVisibilities(researcher("carol"), pending))
	assert.Empty(t, WritableVisibilities(researcher("alice"), review))
	assert.Empty(t, WritableVisibilities(copilot("cop"), review))
	assert.EqualError(t, CheckCanComment(researcher("alice"), pending, "g1", VisibilityPrivate),
		"invalid: You cannot write private comments on this request now")
	assert.Error(t, CheckCanComment(checkerWithRole("chk2"), pending, "g1", VisibilityPrivate))
	assert.NoError(t, CheckCanComment(checker("chk1"), review, "g1", VisibilityPrivate))
	assert.Equal(t, CodeInvalid, ErrorCode(CheckCanComment(checker("chk1"), review, "g1", "SECRET")))
}

// Behaviour 84: deleting comments.
func TestCheckCanDeleteComment_Behaviour84(t *testing.T) {
	for _, st := range Statuses {
		r := matrixReq(st)
		mine := r.comment("g1", "alice", VisibilityPublic, r.ReviewTurn)
		chkc := r.comment("g1", "chk1", VisibilityPrivate, r.ReviewTurn)
		assert.Equal(t, st.IsEditable(), CanDeleteComment(researcher("alice"), r, mine.ID), "author, %s", st)
		assert.Equal(t, st.IsUnderReview(), CanDeleteComment(checker("chk1"), r, chkc.ID), "checker, %s", st)
		for _, other := range []User{researcher("carol"), checker("chk2"), checkerWithRole("chk3")} {
			assert.False(t, CanDeleteComment(other, r, mine.ID), "%s deleting alice's, %s", other.Username, st)
			assert.False(t, CanDeleteComment(other, r, chkc.ID), "%s deleting chk1's, %s", other.Username, st)
		}
	}
	r := newReq(StatusPending)
	c := r.comment("g1", "alice", VisibilityPublic, 0)
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanDeleteComment(researcher("carol"), r, c.ID)))
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanDeleteComment(researcher("alice"), r, "nope")))
}

// Behaviour 83: making a private comment public.
func TestCheckCanPublishComment_Behaviour83(t *testing.T) {
	r := submittedReq()
	c := r.comment("g1", "chk1", VisibilityPrivate, 1)
	assert.NoError(t, CheckCanPublishComment(checker("chk1"), r, c.ID))
	assert.Error(t, CheckCanPublishComment(researcher("alice"), r, c.ID), "the author cannot publish a checker's comment")
	assert.Error(t, CheckCanPublishComment(checker("chk2"), r, c.ID))
	r.Status = StatusReviewed
	assert.NoError(t, CheckCanPublishComment(checker("chk1"), r, c.ID))
	r.Status = StatusReturned
	r.StartNewTurn()
	assert.Error(t, CheckCanPublishComment(checker("chk1"), r, c.ID), "not while with the author")
	r.Status = StatusSubmitted
	r.StartNewTurn()
	assert.EqualError(t, CheckCanPublishComment(checker("chk1"), r, c.ID),
		"invalid_state: Comments visibility cannot be changed after a round finishes")
	pub := r.comment("g1", "chk1", VisibilityPublic, r.ReviewTurn)
	assert.EqualError(t, CheckCanPublishComment(checker("chk1"), r, pub.ID), "invalid_state: Comment is already public")
	assert.True(t, CanPublishComment(checker("chk1"), r, r.comment("g1", "chk1", VisibilityPrivate, r.ReviewTurn).ID))
}
