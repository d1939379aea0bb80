package service_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

func TestAirlock_Vote(t *testing.T) {
	t.Run("approve: vote with the current turn, INCOMPLETE decision, audited, published (§12.53)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("a.csv"))
		reset(env)
		view, err := env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv"}, "APPROVED")
		require.NoError(t, err)
		assert.Equal(t, airlock.VoteApproved, view.Request.File("a.csv").Vote("checker1").Status)

		stored := env.Request(t, r.ID)
		v := stored.File("a.csv").Vote("checker1")
		require.NotNil(t, v)
		assert.Equal(t, airlock.VoteApproved, v.Status)
		assert.Equal(t, stored.ReviewTurn, v.ReviewTurn)
		assert.Equal(t, airlock.DecisionIncomplete, airlock.Decide(stored.File("a.csv"), stored.SubmittedReviewers(), env.Svc.Policy()))
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestFileApprove, "checker1", "a.csv",
			map[string]string{"group": testenv.DefaultGroup, "review_turn": "1"})
		assertChanged(t, env, r.ID, airlock.StatusSubmitted)
		assert.Empty(t, env.Notes.All(), "votes are not notified")
	})

	t.Run("changing a vote, and resetting it (§12.54, §12.55)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("a.csv"))
		_, err := env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv"}, "RESET")
		testenv.AssertCode(t, err, airlock.CodeNotFound)

		_, err = env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv"}, "APPROVED")
		require.NoError(t, err)
		_, err = env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv"}, "CHANGES_REQUESTED")
		require.NoError(t, err)
		assert.Equal(t, airlock.VoteChangesRequested, env.Request(t, r.ID).File("a.csv").Vote("checker1").Status)
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestFileRequestChanges, "checker1", "a.csv",
			map[string]string{"group": testenv.DefaultGroup})

		reset(env)
		_, err = env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv"}, "RESET")
		require.NoError(t, err)
		assert.Nil(t, env.Request(t, r.ID).File("a.csv").Vote("checker1"))
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestFileResetReview, "checker1", "a.csv",
			map[string]string{"group": testenv.DefaultGroup})
		assertChanged(t, env, r.ID, airlock.StatusSubmitted)

		// After submitting, a vote can change but not be reset.
		testenv.Review(t, env, testenv.Checker1(), r.ID, nil)
		_, err = env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv"}, "RESET")
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		_, err = env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "on reflection", "")
		require.NoError(t, err)
		_, err = env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv"}, "CHANGES_REQUESTED")
		require.NoError(t, err)
		assert.Equal(t, airlock.VoteChangesRequested, env.Request(t, r.ID).File("a.csv").Vote("checker1").Status)
	})

	t.Run("denials record no vote (§12.52)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		pending := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusPending, testenv.File("p.csv"))
		own := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusSubmitted, testenv.File("o.csv"))
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
			testenv.File("a.csv"), testenv.File("s.txt", testenv.Supporting()))
		reset(env)
		cases := []struct {
			name string
			u    airlock.User
			id   string
			path string
			vote string
			code airlock.Code
		}{
			{"pending request", testenv.Checker1(), pending.ID, "p.csv", "APPROVED", airlock.CodeInvalidState},
			{"own request as a checker", testenv.CheckerResearcher(), own.ID, "o.csv", "APPROVED", airlock.CodePermissionDenied},
			{"non-checker", testenv.Collaborator(), r.ID, "a.csv", "APPROVED", airlock.CodePermissionDenied},
			{"file not on the request", testenv.Checker1(), r.ID, "nope.csv", "APPROVED", airlock.CodeNotFound},
			{"supporting file", testenv.Checker1(), r.ID, "s.txt", "CHANGES_REQUESTED", airlock.CodeInvalid},
			{"unknown vote", testenv.Checker1(), r.ID, "a.csv", "MAYBE", airlock.CodeInvalid},
			{"UNDECIDED is never cast by a person", testenv.Checker1(), r.ID, "a.csv", "UNDECIDED", airlock.CodeInvalid},
			{"no access", testenv.Outsider(), r.ID, "a.csv", "APPROVED", airlock.CodeNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := env.Svc.Vote(ctx, tc.u, tc.id, []string{tc.path}, tc.vote)
				testenv.AssertCode(t, err, tc.code)
			})
		}
		for _, id := range []string{pending.ID, own.ID, r.ID} {
			for _, f := range env.Request(t, id).AllFiles() {
				assert.Empty(t, f.Reviews)
			}
		}
		assertNothingPublished(t, env)
	})

	t.Run("several files: all or none", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
			testenv.File("a.csv"), testenv.File("b.csv"), testenv.File("s.txt", testenv.Supporting()))
		_, err := env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv", "s.txt"}, "CHANGES_REQUESTED")
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Nil(t, env.Request(t, r.ID).File("a.csv").Vote("checker1"))
		_, err = env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"a.csv", "b.csv"}, "CHANGES_REQUESTED")
		require.NoError(t, err)
		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.VoteChangesRequested, stored.File("a.csv").Vote("checker1").Status)
		assert.Equal(t, airlock.VoteChangesRequested, stored.File("b.csv").Vote("checker1").Status)
	})
}

func TestAirlock_SubmitReview(t *testing.T) {
	t.Run("first, second and third reviews (§12.59)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("a.csv"))

		testenv.Vote(t, env, testenv.Checker1(), r.ID, nil)
		reset(env)
		view, err := env.Svc.SubmitReview(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusPartiallyReviewed, view.Request.Status)
		stored := env.Request(t, r.ID)
		assert.Equal(t, []string{"checker1"}, stored.SubmittedReviewers())
		assert.Equal(t, testenv.Start, stored.SubmittedReviews["checker1"])
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestReview, "checker1", "", map[string]string{"review_turn": "1"})
		assert.Equal(t, []string{"request_partially_reviewed"}, noteTypes(env))
		assertChanged(t, env, r.ID, airlock.StatusPartiallyReviewed)

		testenv.Vote(t, env, testenv.Checker2(), r.ID, nil)
		reset(env)
		view, err = env.Svc.SubmitReview(ctx, testenv.Checker2(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusReviewed, view.Request.Status)
		assert.Equal(t, []string{"request_reviewed"}, noteTypes(env))
		assertChanged(t, env, r.ID, airlock.StatusReviewed)

		testenv.Vote(t, env, testenv.Checker3(), r.ID, nil)
		reset(env)
		view, err = env.Svc.SubmitReview(ctx, testenv.Checker3(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusReviewed, view.Request.Status)
		stored = env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusReviewed, stored.Status)
		assert.Equal(t, []string{"checker1", "checker2", "checker3"}, stored.SubmittedReviewers())
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestReview, "checker3", "",
			map[string]string{"status_unchanged": "true"})
		assert.Empty(t, env.Notes.All(), "no status change, no notification")
		assertChanged(t, env, r.ID, airlock.StatusReviewed)
	})

	t.Run("errors in order (§12.58)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
			testenv.File("a.csv"), testenv.File("b.csv"))
		c := testenv.Checker1()
		_, err := env.Svc.Vote(ctx, c, r.ID, []string{"a.csv"}, "CHANGES_REQUESTED")
		require.NoError(t, err)
		_, err = env.Svc.SubmitReview(ctx, c, r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Equal(t, "You must review all files to submit your review", airlock.ErrorMessage(err))
		_, err = env.Svc.Vote(ctx, c, r.ID, []string{"b.csv"}, "APPROVED")
		require.NoError(t, err)
		_, err = env.Svc.SubmitReview(ctx, c, r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "You must add a comment")
		_, err = env.Svc.AddComment(ctx, c, r.ID, testenv.DefaultGroup, "why", "")
		require.NoError(t, err)
		_, err = env.Svc.SubmitReview(ctx, c, r.ID)
		require.NoError(t, err)
		mark := env.AuditMark(t, r.ID)
		reset(env)
		_, err = env.Svc.SubmitReview(ctx, c, r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "already submitted")
		assert.Empty(t, env.AuditSince(t, r.ID, mark))
		assertNothingPublished(t, env)
	})

	t.Run("decisions from submitted reviews only (§12.56, §12.57)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed,
			testenv.File("aa.csv", testenv.Approved()),
			testenv.File("cc.csv", testenv.ChangesRequested()),
			testenv.File("ac.csv", testenv.Conflicted()))
		p := env.Svc.Policy()
		dec := func(r *airlock.ReleaseRequest, path string) airlock.Decision {
			return airlock.Decide(r.File(path), r.SubmittedReviewers(), p)
		}
		assert.Equal(t, airlock.DecisionApproved, dec(r, "aa.csv"))
		assert.Equal(t, airlock.DecisionChangesRequested, dec(r, "cc.csv"))
		assert.Equal(t, airlock.DecisionConflicted, dec(r, "ac.csv"))

		// A third checker's approval counts only once they submit.
		testenv.Vote(t, env, testenv.Checker3(), r.ID, map[string]airlock.Vote{"cc.csv": airlock.VoteChangesRequested})
		assert.Equal(t, airlock.DecisionConflicted, dec(env.Request(t, r.ID), "ac.csv"))
		_, err := env.Svc.AddComment(ctx, testenv.Checker3(), r.ID, testenv.DefaultGroup, "agree on cc", "")
		require.NoError(t, err)
		_, err = env.Svc.SubmitReview(ctx, testenv.Checker3(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.DecisionApproved, dec(env.Request(t, r.ID), "ac.csv"))

		one := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusPartiallyReviewed, testenv.File("x.csv"))
		assert.Equal(t, airlock.DecisionIncomplete, dec(one, "x.csv"))
	})

	t.Run("concurrent reviews are applied one after the other (§12.60)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("a.csv"))
		checkers := []airlock.User{testenv.Checker1(), testenv.Checker2(), testenv.Checker3()}
		for _, c := range checkers {
			testenv.Vote(t, env, c, r.ID, nil)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(checkers))
		for i, c := range checkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = env.Svc.SubmitReview(ctx, c, r.ID)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusReviewed, stored.Status)
		assert.Len(t, stored.SubmittedReviews, 3)
		var reviews int
		for _, ev := range env.RequestAudit(t, r.ID) {
			if ev.Type == airlock.AuditRequestReview {
				reviews++
			}
		}
		assert.Equal(t, 3, reviews)
		assert.Equal(t, []string{"request_submitted", "request_partially_reviewed", "request_reviewed"}, noteTypes(env))
	})

	t.Run("denials (§12.61)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		w := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusWithdrawn)
		_, err := env.Svc.SubmitReview(ctx, testenv.Checker1(), w.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Equal(t, "This request has been withdrawn: its review is over", airlock.ErrorMessage(err))
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
		_, err = env.Svc.SubmitReview(ctx, testenv.Collaborator(), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		assert.Equal(t, "You do not have permission to review this request", airlock.ErrorMessage(err))
	})
}

func TestAirlock_Return(t *testing.T) {
	t.Run("a reviewed request needs public comments where changes were requested (§12.69)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed,
			testenv.File("a.csv", testenv.ChangesRequested()))
		reset(env)
		_, err := env.Svc.Return(ctx, testenv.Checker1(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Equal(t, airlock.StatusReviewed, env.Request(t, r.ID).Status)
		assertNothingPublished(t, env)

		_, err = env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "please fix", airlock.VisibilityPublic)
		require.NoError(t, err)
		reset(env)
		view, err := env.Svc.Return(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusReturned, view.Request.Status)
		stored := env.Request(t, r.ID)
		assert.Equal(t, 2, stored.ReviewTurn)
		assert.Equal(t, []string{"checker1", "checker2"}, stored.TurnReviewers)
		assert.Empty(t, stored.SubmittedReviews)
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestReturn, "checker1", "", map[string]string{"review_turn": "1"})
		assert.Equal(t, []string{"request_returned"}, noteTypes(env))
		assertChanged(t, env, r.ID, airlock.StatusReturned)
		// The votes are kept (§3.4: votes persist across turns).
		assert.Equal(t, airlock.VoteChangesRequested, stored.File("a.csv").Vote("checker1").Status)
	})

	t.Run("the author cannot return their own request; a non-checker cannot return", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusReviewed)
		_, err := env.Svc.Return(ctx, testenv.CheckerResearcher(), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		_, err = env.Svc.Return(ctx, testenv.Researcher(), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		p := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		_, err = env.Svc.Return(ctx, testenv.Checker1(), p.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
	})

	t.Run("early return reverts the turn (§12.70, §12.72)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
			testenv.File("a.csv"), testenv.File("b.csv", testenv.InGroup("other")))
		c1, c2 := testenv.Checker1(), testenv.Checker2()
		// checker1 reviews and submits; checker2 votes and comments without submitting.
		testenv.Vote(t, env, c1, r.ID, map[string]airlock.Vote{"b.csv": airlock.VoteChangesRequested})
		_, err := env.Svc.AddComment(ctx, c1, r.ID, "other", "c1 private", airlock.VisibilityPrivate)
		require.NoError(t, err)
		_, err = env.Svc.SubmitReview(ctx, c1, r.ID)
		require.NoError(t, err)
		_, err = env.Svc.Vote(ctx, c2, r.ID, []string{"a.csv"}, "APPROVED")
		require.NoError(t, err)
		_, err = env.Svc.AddComment(ctx, c2, r.ID, testenv.DefaultGroup, "c2 public", airlock.VisibilityPublic)
		require.NoError(t, err)
		reset(env)

		view, err := env.Svc.Return(ctx, c2, r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusReturned, view.Request.Status)

		stored := env.Request(t, r.ID)
		assert.Equal(t, 2, stored.ReviewTurn)
		assert.Equal(t, []string{"checker1"}, stored.TurnReviewers)
		a, b := stored.File("a.csv"), stored.File("b.csv")
		assert.Equal(t, airlock.VoteUndecided, a.Vote("checker1").Status, "the submitted reviewer's votes become UNDECIDED")
		assert.Equal(t, airlock.VoteUndecided, b.Vote("checker1").Status)
		assert.Nil(t, a.Vote("checker2"), "the other reviewer's votes are removed")
		for _, g := range stored.Groups {
			assert.Empty(t, g.Comments, "the turn's comments are deleted")
		}
		// Each comment is deleted as its author would delete it: same group, text and (for
		// a private comment) PRIVATE visibility in the event's extras.
		deleted := map[string]map[string]string{}
		for _, ev := range env.RequestAudit(t, r.ID) {
			if ev.Type == airlock.AuditRequestCommentDelete {
				deleted[ev.User] = ev.Extra
			}
		}
		require.Len(t, deleted, 2)
		assert.Equal(t, "other", deleted["checker1"]["group"])
		assert.Equal(t, "c1 private", deleted["checker1"]["comment"])
		assert.Equal(t, "PRIVATE", deleted["checker1"]["visibility"])
		assert.Equal(t, testenv.DefaultGroup, deleted["checker2"]["group"])
		assert.Equal(t, "c2 public", deleted["checker2"]["comment"])
		assert.NotContains(t, deleted["checker2"], "visibility")

		// Every audit event of turn 1 is hidden except what the return itself wrote.
		var visible []airlock.AuditType
		for _, ev := range env.RequestAudit(t, r.ID) {
			if ev.Turn() == 1 && !ev.Hidden {
				visible = append(visible, ev.Type)
			}
		}
		assert.Equal(t, []airlock.AuditType{airlock.AuditRequestEarlyReturn, airlock.AuditRequestReturn}, visible)
		for _, u := range []airlock.User{testenv.Researcher(), c1, c2, testenv.Checker3()} {
			evs, err := env.Svc.Activity(ctx, u, r.ID, "")
			require.NoError(t, err)
			var turn1 []airlock.AuditType
			for _, ev := range evs {
				if ev.Turn() == 1 {
					turn1 = append(turn1, ev.Type)
				}
			}
			assert.Equal(t, []airlock.AuditType{airlock.AuditRequestReturn, airlock.AuditRequestEarlyReturn}, turn1,
				"%s sees only the return of turn 1 (newest first)", u.Username)
		}
		assert.Equal(t, []string{"request_returned"}, noteTypes(env))
		assertChanged(t, env, r.ID, airlock.StatusReturned)

		// No public comments are needed to resubmit after an early return (§12.72).
		assert.Empty(t, airlock.GroupsMissingPublicComment(stored, env.Svc.Policy()))
		_, err = env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		require.NoError(t, err)
	})

	t.Run("early return from SUBMITTED removes the unsubmitted votes", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("a.csv"))
		testenv.Vote(t, env, testenv.Checker1(), r.ID, nil)
		_, err := env.Svc.Return(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err)
		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusReturned, stored.Status)
		assert.Empty(t, stored.File("a.csv").Reviews)
		assert.Empty(t, stored.TurnReviewers)
	})

	t.Run("early return after a resubmission keeps earlier turns (§12.71)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("a.csv"), testenv.File("b.csv", testenv.InGroup("other"), testenv.ChangesRequested()))
		before := 0
		for _, g := range r.Groups {
			before += len(g.Comments)
		}
		_, err := env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, "other", "done", airlock.VisibilityPublic)
		require.NoError(t, err)
		_, err = env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		require.NoError(t, err)
		// Turn 3: checker1 re-votes b and comments, then returns early.
		_, err = env.Svc.Vote(ctx, testenv.Checker1(), r.ID, []string{"b.csv"}, "APPROVED")
		require.NoError(t, err)
		_, err = env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, "other", "turn 3 note", "")
		require.NoError(t, err)
		_, err = env.Svc.Return(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err)

		stored := env.Request(t, r.ID)
		after := 0
		for _, g := range stored.Groups {
			after += len(g.Comments)
			for _, c := range g.Comments {
				assert.Less(t, c.ReviewTurn, 3)
			}
		}
		assert.Equal(t, before+1, after, "comments of turns 1 and 2 stay, turn 3's go")
		a, b := stored.File("a.csv"), stored.File("b.csv")
		assert.Equal(t, airlock.VoteApproved, a.Vote("checker1").Status, "carried-over approvals stay")
		assert.Equal(t, 1, a.Vote("checker1").ReviewTurn)
		assert.Nil(t, b.Vote("checker1"), "a vote re-cast in the aborted turn is deleted, not restored")
		assert.Equal(t, airlock.VoteUndecided, b.Vote("checker2").Status)
	})
}

func TestAirlock_Reject(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed,
		testenv.File("a.csv", testenv.ChangesRequested()))
	reset(env)

	_, err := env.Svc.Reject(ctx, testenv.Researcher(), r.ID)
	testenv.AssertCode(t, err, airlock.CodePermissionDenied)
	_, err = env.Svc.Reject(ctx, testenv.Collaborator(), r.ID)
	testenv.AssertCode(t, err, airlock.CodePermissionDenied)
	assertNothingPublished(t, env)

	view, err := env.Svc.Reject(ctx, testenv.Checker2(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusRejected, view.Request.Status)
	stored := env.Request(t, r.ID)
	assert.Equal(t, airlock.StatusRejected, stored.Status)
	assert.Equal(t, 1, stored.ReviewTurn, "no new turn")
	assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestReject, "checker2", "", nil)
	assert.Equal(t, []string{"request_rejected"}, noteTypes(env))
	assertChanged(t, env, r.ID, airlock.StatusRejected)

	_, err = env.Svc.Reject(ctx, testenv.Checker1(), r.ID)
	testenv.AssertCode(t, err, airlock.CodeInvalidState)
	p := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusPartiallyReviewed)
	_, err = env.Svc.Reject(ctx, testenv.Checker2(), p.ID)
	testenv.AssertCode(t, err, airlock.CodeInvalidState)
}
