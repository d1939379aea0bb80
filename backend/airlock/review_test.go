package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// submittedReq: alice's request with one output file in each of g1 and g2, just submitted.
func submittedReq() *ReleaseRequest {
	r := newReq(StatusSubmitted)
	r.addFile("g2", "out/b.csv", FileTypeOutput)
	r.ReviewTurn = 1
	at := t0
	r.LastSubmittedAt = &at
	return r
}

// Behaviour 47, 48 and T2: submit preconditions, in order.
func TestCheckCanSubmit_Behaviour47_48(t *testing.T) {
	p := DefaultPolicy()
	alice := researcher("alice")
	r := newReq(StatusPending)
	r.File("out/a.csv").FileType = FileTypeSupporting
	assert.EqualError(t, CheckCanSubmit(alice, r, p), "invalid_state: Cannot submit request with no output files")
	r.File("out/a.csv").FileType = FileTypeOutput
	r.addFile("g2", "out/b.csv", FileTypeOutput)
	r.addFile("g3", "out/c.csv", FileTypeOutput)
	r.Group("g2").Context = ""
	r.Group("g3").Controls = ""
	assert.EqualError(t, CheckCanSubmit(alice, r, p),
		"invalid_state: Incomplete context and/or controls for filegroup(s): 'g2', 'g3'")
	// once the offending groups are emptied by withdrawal, submit succeeds
	r.Group("g2").Files = nil
	r.Group("g3").Files = nil
	assert.NoError(t, CheckCanSubmit(alice, r, p))
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanSubmit(researcher("carol"), r, p)), "collaborators cannot submit")
	r.Status = StatusSubmitted
	assert.EqualError(t, CheckCanSubmit(alice, r, p), "invalid_state: This request is being reviewed, so it cannot be submitted")
}

// docs/decisions.md §5: submit re-checks the workspace; withdraw does not.
func TestCheckCanSubmit_ArchivedWorkspace_Decision5(t *testing.T) {
	p := DefaultPolicy()
	r := newReq(StatusPending)
	archived := User{Username: "alice", Workspaces: map[string]WorkspaceGrant{ws: archivedGrant}}
	inactive := User{Username: "alice", Workspaces: map[string]WorkspaceGrant{ws: inactiveGrant}}
	assert.EqualError(t, CheckCanSubmit(archived, r, p), "permission_denied: The workspace ws has been archived")
	assert.EqualError(t, CheckCanSubmit(inactive, r, p), "permission_denied: The workspace ws is part of a project that is not ongoing")
	assert.NoError(t, CheckCanWithdrawRequest(archived, r), "a request can always be closed")
	assert.NoError(t, CheckCanWithdrawRequest(inactive, r))
	// the author who is now only a copilot still may submit (role is not re-checked, §6)
	cop := copilot("alice")
	assert.NoError(t, CheckCanSubmit(cop, r, p))
	cop.CopilotedWorkspaces[ws] = archivedGrant
	assert.Error(t, CheckCanSubmit(cop, r, p))
}

// Behaviour 52: who may vote on what.
func TestCheckCanVote_Behaviour52(t *testing.T) {
	r := submittedReq()
	assert.NoError(t, CheckCanVote(checker("chk1"), r, "out/a.csv"))
	assert.Equal(t, CodeInvalidState, ErrorCode(CheckCanVote(checker("chk1"), newReq(StatusPending), "out/a.csv")), "PENDING")
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanVote(checkerWithRole("alice"), r, "out/a.csv")), "own request")
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanVote(researcher("carol"), r, "out/a.csv")), "non-checker")
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanVote(checker("chk1"), r, "out/zzz.csv")), "not on the request")
	assert.EqualError(t, CheckCanVote(checker("chk1"), r, "out/notes.txt"), "invalid: Only output files are reviewed: this is a supporting file")
}

// Behaviour 55: resetting votes.
func TestCheckCanResetVote_Behaviour55(t *testing.T) {
	r := submittedReq()
	chk := checker("chk1")
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanResetVote(chk, r, "out/a.csv")), "no vote to reset")
	r.vote("out/a.csv", "chk1", VoteApproved, 1)
	assert.NoError(t, CheckCanResetVote(chk, r, "out/a.csv"))
	r.submitReviews("chk1")
	assert.EqualError(t, CheckCanResetVote(chk, r, "out/a.csv"), "invalid_state: You have submitted your review: your votes can no longer be reset")
	assert.NoError(t, CheckCanVote(chk, r, "out/a.csv"), "switching the vote after submitting is allowed")
}

// Behaviour 58: submit-review errors, in order; §5.4.
func TestCheckCanSubmitReview_Behaviour58(t *testing.T) {
	p := DefaultPolicy()
	r := submittedReq()
	chk := checker("chk1")
	assert.EqualError(t, CheckCanSubmitReview(chk, r, p), "invalid_state: You must review all files to submit your review")
	r.vote("out/a.csv", "chk1", VoteApproved, 1)
	r.vote("out/b.csv", "chk1", VoteUndecided, 1)
	assert.EqualError(t, CheckCanSubmitReview(chk, r, p), "invalid_state: You must review all files to submit your review", "UNDECIDED is not a vote")
	r.vote("out/b.csv", "chk1", VoteChangesRequested, 1)
	assert.Equal(t, []string{"g2"}, GroupsMissingReviewerComment(r, "chk1"))
	assert.EqualError(t, CheckCanSubmitReview(chk, r, p),
		"invalid_state: You must add a comment on any groups for which you have requested file changes before you can submit your review")
	r.comment("g2", "chk1", VisibilityPrivate, 0) // an old turn's comment does not count
	assert.Equal(t, []string{"g2"}, GroupsMissingReviewerComment(r, "chk1"))
	r.comment("g1", "chk1", VisibilityPrivate, 1) // nor one in another group
	assert.Equal(t, []string{"g2"}, GroupsMissingReviewerComment(r, "chk1"))
	r.comment("g2", "chk1", VisibilityPrivate, 1)
	assert.Empty(t, GroupsMissingReviewerComment(r, "chk1"))
	assert.NoError(t, CheckCanSubmitReview(chk, r, p))
	r.submitReviews("chk1")
	r.Status = StatusPartiallyReviewed
	assert.EqualError(t, CheckCanSubmitReview(chk, r, p), "invalid_state: You have already submitted your review of this request")
}

// Behaviour 50 (first half) and carried-over votes: APPROVED votes from earlier turns count.
func TestCheckCanSubmitReview_CarriedOverVotes(t *testing.T) {
	r := submittedReq()
	r.vote("out/a.csv", "chk1", VoteApproved, 1)
	r.vote("out/b.csv", "chk1", VoteApproved, 1)
	r.ReviewTurn = 3
	assert.NoError(t, CheckCanSubmitReview(checker("chk1"), r, DefaultPolicy()))
}

// Behaviours 56, 57 and §5.1: decisions.
func TestDecide_Behaviour56_57(t *testing.T) {
	p := DefaultPolicy()
	f := &RequestFile{RelPath: "a.csv", FileType: FileTypeOutput, Reviews: map[string]*FileReview{}}
	set := func(rv string, v Vote) { f.Reviews[rv] = &FileReview{Reviewer: rv, Status: v} }
	set("c1", VoteApproved)
	assert.Equal(t, DecisionIncomplete, Decide(f, []string{"c1"}, p), "one submitted review")
	set("c2", VoteApproved)
	assert.Equal(t, DecisionIncomplete, Decide(f, []string{"c1"}, p), "c2 has not submitted")
	assert.Equal(t, DecisionApproved, Decide(f, []string{"c1", "c2"}, p))
	set("c2", VoteChangesRequested)
	assert.Equal(t, DecisionConflicted, Decide(f, []string{"c1", "c2"}, p))
	set("c1", VoteChangesRequested)
	assert.Equal(t, DecisionChangesRequested, Decide(f, []string{"c1", "c2"}, p))
	// 57: a third approval breaks a 1–1 tie once that reviewer submitted
	set("c1", VoteApproved)
	set("c3", VoteApproved)
	assert.Equal(t, DecisionConflicted, Decide(f, []string{"c1", "c2"}, p))
	assert.Equal(t, DecisionApproved, Decide(f, []string{"c1", "c2", "c3"}, p))
	// as built: unanimous UNDECIDED is CHANGES_REQUESTED
	set("c1", VoteUndecided)
	set("c2", VoteUndecided)
	assert.Equal(t, DecisionChangesRequested, Decide(f, []string{"c1", "c2"}, p))
	// docs/decisions.md §9: the number of reviews is a setting
	three := Policy{RequiredReviews: 3}
	set("c1", VoteApproved)
	set("c2", VoteApproved)
	assert.Equal(t, DecisionIncomplete, Decide(f, []string{"c1", "c2"}, three))
	assert.Equal(t, DecisionApproved, Decide(f, []string{"c1", "c2", "c3"}, three))
	one := Policy{RequiredReviews: 1}
	assert.Equal(t, DecisionApproved, Decide(f, []string{"c1"}, one))
	set("c1", VoteChangesRequested)
	assert.Equal(t, DecisionChangesRequested, Decide(f, []string{"c1"}, one))
}

func TestDecisionReason(t *testing.T) {
	p := DefaultPolicy()
	assert.Equal(t, "Overall decision will be displayed after two independent output checkers have submitted their review of all output files", DecisionReason(DecisionIncomplete, p))
	assert.Equal(t, "Two independent output checkers have approved this file", DecisionReason(DecisionApproved, p))
	assert.Equal(t, "Two independent output checkers have requested changes to this file", DecisionReason(DecisionChangesRequested, p))
	assert.Equal(t, "Output checkers have reviewed this file and disagree about whether it should be released", DecisionReason(DecisionConflicted, p))
	assert.Equal(t, "Three independent output checkers have approved this file", DecisionReason(DecisionApproved, Policy{RequiredReviews: 3}))
	assert.Equal(t, "An output checker has approved this file", DecisionReason(DecisionApproved, Policy{RequiredReviews: 1}))
}

// reviewedReq: both reviewers submitted; chk1 approved both files, chk2 requested changes on b.
func reviewedReq() *ReleaseRequest {
	r := submittedReq()
	r.Status = StatusReviewed
	r.vote("out/a.csv", "chk1", VoteApproved, 1)
	r.vote("out/b.csv", "chk1", VoteApproved, 1)
	r.vote("out/a.csv", "chk2", VoteApproved, 1)
	r.vote("out/b.csv", "chk2", VoteChangesRequested, 1)
	r.comment("g2", "chk2", VisibilityPrivate, 1)
	r.submitReviews("chk1", "chk2")
	return r
}

// Behaviour 69, 73 and §5.5: returning a REVIEWED request needs public comments.
func TestCheckCanReturn_Behaviour69(t *testing.T) {
	p := DefaultPolicy()
	r := reviewedReq()
	assert.Equal(t, []string{"g2"}, GroupsMissingPublicComment(r, p), "CONFLICTED b.csv")
	err := CheckCanReturn(checker("chk1"), r, p)
	assert.EqualError(t, err, "invalid_state: Filegroup(s) are missing public comments: g2")
	assert.False(t, IsEarlyReturn(r, p))
	r.comment("g2", "chk1", VisibilityPublic, 0)
	assert.Error(t, CheckCanReturn(checker("chk1"), r, p), "a comment of an earlier turn does not count")
	r.comment("g2", "chk1", VisibilityPublic, 1)
	assert.NoError(t, CheckCanReturn(checker("chk1"), r, p))
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanReturn(checkerWithRole("alice"), r, p)), "author cannot return")
	// 73: never in PENDING/SUBMITTED/PARTIALLY_REVIEWED, never when all approved
	for _, st := range []Status{StatusPending, StatusSubmitted, StatusPartiallyReviewed} {
		r2 := reviewedReq()
		r2.Status = st
		assert.Empty(t, GroupsMissingPublicComment(r2, p), st)
	}
	r3 := reviewedReq()
	r3.vote("out/b.csv", "chk2", VoteApproved, 1)
	assert.True(t, AllFilesApproved(r3, p))
	assert.Empty(t, GroupsMissingPublicComment(r3, p))
}

// Behaviour 75 and T9: reject.
func TestCheckCanReject_Behaviour75(t *testing.T) {
	p := DefaultPolicy()
	r := reviewedReq()
	assert.NoError(t, CheckCanReject(checker("chk1"), r, p), "no comment needed")
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanReject(researcher("carol"), r, p)))
	assert.Equal(t, CodeInvalidState, ErrorCode(CheckCanReject(checker("chk1"), submittedReq(), p)))
}

// Behaviours 86, 87, 89, 97 and docs/decisions.md §4: release.
func TestCheckCanRelease(t *testing.T) {
	p := DefaultPolicy()
	r := reviewedReq()
	err := CheckCanRelease(checker("chk1"), r, p)
	assert.EqualError(t, err, "invalid_state: Disabled until every output file has been approved by two output checkers")
	r.vote("out/b.csv", "chk2", VoteApproved, 1)
	assert.NoError(t, CheckCanRelease(checker("chk1"), r, p))
	assert.True(t, CanBeReleased(r, p))
	assert.EqualError(t, CheckCanRelease(checkerWithRole("alice"), r, p),
		"permission_denied: You cannot review or decide your own request", "97")
	// 86: not from SUBMITTED; 97: not from RETURNED
	assert.Equal(t, CodeInvalidState, ErrorCode(CheckCanRelease(checker("chk1"), submittedReq(), p)))
	ret := reviewedReq()
	ret.Status = StatusReturned
	assert.EqualError(t, CheckCanRelease(checker("chk1"), ret, p), "invalid_state: This request has been returned to its author, so it cannot be released")
	// 87: a disallowed type among the outputs
	bad := reviewedReq()
	bad.vote("out/b.csv", "chk2", VoteApproved, 1)
	f := bad.addFile("g2", "out/c.foo", FileTypeOutput)
	f.Reviews = map[string]*FileReview{"chk1": {Status: VoteApproved}, "chk2": {Status: VoteApproved}}
	assert.EqualError(t, CheckCanRelease(checker("chk1"), bad, p), "invalid: Invalid file type (out/c.foo) found in request")
	// 89 and docs/decisions.md §4: retry from APPROVED releases the rest, and needs a reviewer
	r.Status = StatusApproved
	at := t0
	r.File("out/a.csv").ReleasedAt = &at
	assert.NoError(t, CheckCanRelease(checker("chk3"), r, p))
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanRelease(researcher("carol"), r, p)))
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanRelease(checkerWithRole("alice"), r, p)))
	rest := FilesToRelease(r)
	require.Len(t, rest, 1)
	assert.Equal(t, "out/b.csv", rest[0].RelPath)
	r.addFile("g1", "out/s.txt", FileTypeSupporting)
	assert.Len(t, FilesToRelease(r), 1, "supporting files are never released")
}

// Behaviour 62: when the system may set a vote to UNDECIDED.
func TestCheckCanMarkUndecided_Behaviour62(t *testing.T) {
	r := newReq(StatusReturned)
	assert.NoError(t, CheckCanMarkUndecided(r, VoteChangesRequested))
	assert.Error(t, CheckCanMarkUndecided(r, VoteApproved))
	r.Status = StatusPartiallyReviewed
	assert.NoError(t, CheckCanMarkUndecided(r, VoteApproved))
	assert.NoError(t, CheckCanMarkUndecided(r, VoteChangesRequested))
	for _, st := range []Status{StatusSubmitted, StatusReviewed} {
		r.Status = st
		assert.False(t, CanMarkUndecided(r, VoteChangesRequested), st)
	}
}

// Behaviour 70, 72: early return from a partially reviewed request.
func TestPlanEarlyReturn_Behaviour70_72(t *testing.T) {
	p := DefaultPolicy()
	r := submittedReq()
	r.Status = StatusPartiallyReviewed
	r.vote("out/a.csv", "chk1", VoteApproved, 1)
	r.vote("out/b.csv", "chk1", VoteChangesRequested, 1)
	r.vote("out/a.csv", "chk2", VoteApproved, 1)
	c1 := r.comment("g2", "chk1", VisibilityPrivate, 1)
	c2 := r.comment("g1", "chk2", VisibilityPublic, 1)
	r.submitReviews("chk1")
	require.True(t, IsEarlyReturn(r, p))
	require.NoError(t, CheckCanReturn(checker("chk2"), r, p), "early returns need no comments")

	plan := PlanEarlyReturn(r)
	assert.Equal(t, 1, plan.HideTurn)
	assert.ElementsMatch(t, []VoteChange{
		{RelPath: "out/a.csv", Group: "g1", Reviewer: "chk1", From: VoteApproved, To: VoteUndecided},
		{RelPath: "out/b.csv", Group: "g2", Reviewer: "chk1", From: VoteChangesRequested, To: VoteUndecided},
	}, plan.Undecided)
	assert.Equal(t, []VoteChange{{RelPath: "out/a.csv", Group: "g1", Reviewer: "chk2", From: VoteApproved}}, plan.Delete)
	var ids []string
	for _, c := range plan.DeleteComments {
		ids = append(ids, c.ID)
	}
	assert.ElementsMatch(t, []string{c1.ID, c2.ID}, ids)

	// 72: after the early return (status RETURNED, new turn) no comments are required
	r.Status = StatusReturned
	r.StartNewTurn()
	assert.Len(t, r.TurnReviewers, 1)
	assert.Empty(t, GroupsMissingPublicComment(r, p))
}

// Behaviour 71: early return after a resubmission keeps earlier turns.
func TestPlanEarlyReturn_Behaviour71(t *testing.T) {
	r := submittedReq()
	r.ReviewTurn = 3
	r.Status = StatusPartiallyReviewed
	r.vote("out/a.csv", "chk1", VoteApproved, 1) // carried over
	r.vote("out/b.csv", "chk1", VoteApproved, 3) // re-cast this turn
	r.vote("out/a.csv", "chk2", VoteApproved, 1) // carried over
	r.vote("out/b.csv", "chk2", VoteChangesRequested, 3)
	old := r.comment("g1", "chk1", VisibilityPublic, 1)
	r.comment("g1", "alice", VisibilityPublic, 2)
	cur := r.comment("g2", "chk2", VisibilityPublic, 3)
	r.submitReviews("chk2")
	plan := PlanEarlyReturn(r)
	assert.Equal(t, []VoteChange{{RelPath: "out/b.csv", Group: "g2", Reviewer: "chk2", From: VoteChangesRequested, To: VoteUndecided}}, plan.Undecided)
	assert.Equal(t, []VoteChange{{RelPath: "out/b.csv", Group: "g2", Reviewer: "chk1", From: VoteApproved}}, plan.Delete,
		"a vote re-cast this turn is deleted, not restored")
	require.Len(t, plan.DeleteComments, 1)
	assert.Equal(t, cur.ID, plan.DeleteComments[0].ID)
	assert.NotEqual(t, old.ID, plan.DeleteComments[0].ID)
}

// Behaviour 50 and T3: resubmission needs public comments, then resets CHANGES_REQUESTED votes.
func TestResubmit_Behaviour50(t *testing.T) {
	p := DefaultPolicy()
	r := reviewedReq()
	r.comment("g2", "chk1", VisibilityPublic, 1)
	r.Status = StatusReturned
	r.StartNewTurn()
	alice := researcher("alice")
	assert.Equal(t, []string{"g2"}, GroupsMissingPublicComment(r, p))
	assert.EqualError(t, CheckCanSubmit(alice, r, p), "invalid_state: Filegroup(s) are missing comments: g2")
	r.comment("g2", "carol", VisibilityPublic, 2)
	assert.NoError(t, CheckCanSubmit(alice, r, p), "any public comment of this turn will do")
	assert.Equal(t, []VoteChange{{RelPath: "out/b.csv", Group: "g2", Reviewer: "chk2", From: VoteChangesRequested, To: VoteUndecided}},
		PlanResubmit(r), "APPROVED votes stay")
	assert.Nil(t, PlanResubmit(reviewedReq()), "only from RETURNED")
}

// Behaviour 74: what makes a group need a comment on a returned request.
func TestGroupsMissingPublicComment_Behaviour74(t *testing.T) {
	p := DefaultPolicy()
	returned := func() *ReleaseRequest {
		r := reviewedReq()
		r.vote("out/b.csv", "chk2", VoteApproved, 1) // all approved
		r.Status = StatusReturned
		r.StartNewTurn()
		return r
	}
	r := returned()
	assert.Empty(t, GroupsMissingPublicComment(r, p))

	r = reviewedReq()
	r.Status = StatusReturned
	r.StartNewTurn()
	r.File("out/b.csv").FileType = FileTypeWithdrawn
	assert.Equal(t, []string{"g2"}, GroupsMissingPublicComment(r, p), "withdrawing does not clear the requirement")

	r = returned()
	r.addFile("g3", "out/new.csv", FileTypeOutput)
	assert.Equal(t, []string{"g3"}, GroupsMissingPublicComment(r, p), "a new output file in a new group")

	r = returned()
	f := r.File("out/a.csv")
	f.Reviews = nil // moving resets votes
	f.Group = "g4"
	r.Group("g1").Files = r.Group("g1").Files[1:]
	r.addGroup("g4").Files = []*RequestFile{f}
	assert.Equal(t, []string{"g4"}, GroupsMissingPublicComment(r, p), "a moved file")

	r = returned()
	r.File("out/notes.txt").FileType = FileTypeOutput
	assert.Equal(t, []string{"g1"}, GroupsMissingPublicComment(r, p), "supporting switched to output")
}

func TestPlanResetVotes(t *testing.T) {
	r := reviewedReq()
	got := PlanResetVotes(r.File("out/b.csv"))
	assert.Equal(t, []VoteChange{
		{RelPath: "out/b.csv", Group: "g2", Reviewer: "chk1", From: VoteApproved},
		{RelPath: "out/b.csv", Group: "g2", Reviewer: "chk2", From: VoteChangesRequested},
	}, got)
}
