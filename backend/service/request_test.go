package service_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

func TestAirlock_GetOrCreateRequest(t *testing.T) {
	t.Run("creates a pending request with project and organisations, audited and published", func(t *testing.T) {
		env := testenv.NewEnv(t)
		view, created, err := env.Svc.GetOrCreateRequest(ctx, testenv.Researcher(), testenv.Workspace)
		require.NoError(t, err)
		assert.True(t, created)
		r := view.Request
		assert.Equal(t, airlock.StatusPending, r.Status)
		assert.Equal(t, "researcher", r.Author)
		assert.Equal(t, 0, r.ReviewTurn)
		assert.Len(t, r.ID, 26, "a ULID")
		assert.Equal(t, "researcher", view.Viewer.Username)

		stored := env.Request(t, r.ID)
		assert.Equal(t, "Project 1", stored.Project)
		assert.Equal(t, []string{"Org 1"}, stored.Organisations)
		assert.Equal(t, testenv.Start, stored.CreatedAt)

		evs := env.RequestAudit(t, r.ID)
		require.Len(t, evs, 1)
		assertAudit(t, evs[0], airlock.AuditRequestCreate, "researcher", "", map[string]string{"review_turn": "0"})
		assert.Equal(t, testenv.Workspace, evs[0].Workspace)
		assertChanged(t, env, r.ID, airlock.StatusPending)
		assert.Empty(t, env.Notes.All(), "creating is not a status change job-server hears of")
	})

	t.Run("returns the current request instead of creating another (one per user and workspace)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		first, _, err := env.Svc.GetOrCreateRequest(ctx, testenv.Researcher(), testenv.Workspace)
		require.NoError(t, err)
		reset(env)
		again, created, err := env.Svc.GetOrCreateRequest(ctx, testenv.Researcher(), testenv.Workspace)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, first.Request.ID, again.Request.ID)
		assert.Len(t, env.Requests(t, airlock.RequestFilter{Workspace: testenv.Workspace}), 1)
		assertNothingPublished(t, env)

		// A collaborator gets a request of their own.
		other, created, err := env.Svc.GetOrCreateRequest(ctx, testenv.Collaborator(), testenv.Workspace)
		require.NoError(t, err)
		assert.True(t, created)
		assert.NotEqual(t, first.Request.ID, other.Request.ID)
	})

	t.Run("an existing request under review is returned; an approved one is not current (§12.23)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		sub := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
		view, created, err := env.Svc.GetOrCreateRequest(ctx, testenv.Researcher(), testenv.Workspace)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, sub.ID, view.Request.ID)

		env2 := testenv.NewEnv(t)
		app := testenv.CreateRequestAtStatus(t, env2, testenv.Researcher(), airlock.StatusApproved)
		view, created, err = env2.Svc.GetOrCreateRequest(ctx, testenv.Researcher(), testenv.Workspace)
		require.NoError(t, err)
		assert.True(t, created, "an APPROVED request is not current, so a new one can be started")
		assert.NotEqual(t, app.ID, view.Request.ID)
	})

	denied := []struct {
		name string
		user airlock.User
		code airlock.Code
	}{
		{"output checker without a role (§12.20)", testenv.Checker1(), airlock.CodePermissionDenied},
		{"copilot", testenv.Copilot(), airlock.CodePermissionDenied},
		{"read-only user", testenv.Readonly(), airlock.CodePermissionDenied},
		{"archived workspace (§12.27)", testenv.Archived(testenv.Researcher(), testenv.Workspace), airlock.CodePermissionDenied},
		{"inactive project (§12.27)", testenv.Inactive(testenv.Researcher(), testenv.Workspace), airlock.CodePermissionDenied},
		{"user without access (§12.21)", testenv.Outsider(), airlock.CodeNotFound},
	}
	for _, tc := range denied {
		t.Run("denied: "+tc.name, func(t *testing.T) {
			env := testenv.NewEnv(t)
			_, _, err := env.Svc.GetOrCreateRequest(ctx, tc.user, testenv.Workspace)
			testenv.AssertCode(t, err, tc.code)
			assert.Empty(t, env.Requests(t, airlock.RequestFilter{}))
			assert.Empty(t, env.Audit(t, airlock.AuditFilter{}))
			assertNothingPublished(t, env)
		})
	}

	t.Run("unknown workspace is not_found", func(t *testing.T) {
		env := testenv.NewEnv(t)
		u := testenv.Researcher()
		u.Workspaces["gone"] = u.Workspaces[testenv.Workspace]
		_, _, err := env.Svc.GetOrCreateRequest(ctx, u, "gone")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})

	t.Run("a user who lost access cannot get their existing request (§12.21)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		_, _, err := env.Svc.GetOrCreateRequest(ctx, testenv.WithoutRole(testenv.Researcher(), testenv.Workspace), testenv.Workspace)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
}

func TestAirlock_GetRequest(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/a.csv"), testenv.File("output/b.txt", testenv.Supporting()))

	for _, u := range []airlock.User{testenv.Researcher(), testenv.Collaborator(), testenv.Checker1(),
		testenv.Copilot(), testenv.Readonly(), testenv.CheckerResearcher()} {
		t.Run(u.Username+" can view", func(t *testing.T) {
			view, err := env.Svc.GetRequest(ctx, u, r.ID)
			require.NoError(t, err)
			assert.Equal(t, r.ID, view.Request.ID)
			assert.Equal(t, u.Username, view.Viewer.Username)
			assert.Equal(t, airlock.DefaultPolicy(), view.Policy)
			assert.Equal(t, map[string]airlock.WorkspaceFileStatus{
				"output/a.csv": airlock.WorkspaceUnderReview,
				"output/b.txt": airlock.WorkspaceUnderReview,
			}, view.WorkspaceStatus)
		})
	}
	t.Run("a user without access gets not_found", func(t *testing.T) {
		_, err := env.Svc.GetRequest(ctx, testenv.Outsider(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
	t.Run("an unknown id is not_found", func(t *testing.T) {
		_, err := env.Svc.GetRequest(ctx, testenv.Checker1(), "01NOSUCHREQUEST0000000000")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
	t.Run("workspace status shows a changed workspace file as UPDATED", func(t *testing.T) {
		env.WriteFile(t, testenv.Workspace, "output/a.csv", "changed\n")
		view, err := env.Svc.GetRequest(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUpdated, view.WorkspaceStatus["output/a.csv"])
		env.RemoveOutput(t, testenv.Workspace, "output/b.txt")
		view, err = env.Svc.GetRequest(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceInvalid, view.WorkspaceStatus["output/b.txt"])
	})
}

func TestAirlock_ListRequests(t *testing.T) {
	env := testenv.NewEnv(t)
	pending := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusPending)
	reviewed := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed,
		testenv.File("output/a.csv"), testenv.File("output/b.csv"))
	own := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusSubmitted,
		testenv.File("output/c.csv"))
	other := testenv.CreateRequestAtStatus(t, env, testenv.Outsider(), airlock.StatusSubmitted,
		testenv.File("output/d.csv"))
	ids := func(sums []service.RequestSummary) []string {
		var out []string
		for _, s := range sums {
			out = append(out, s.ID)
		}
		return out
	}

	t.Run("all: what the user may view, in creation order", func(t *testing.T) {
		sums, err := env.Svc.ListRequests(ctx, testenv.Researcher(), service.RequestQuery{})
		require.NoError(t, err)
		assert.Equal(t, []string{pending.ID, reviewed.ID, own.ID}, ids(sums))
		sums, err = env.Svc.ListRequests(ctx, testenv.Checker1(), service.RequestQuery{})
		require.NoError(t, err)
		assert.Equal(t, []string{pending.ID, reviewed.ID, own.ID, other.ID}, ids(sums))
	})
	t.Run("by workspace and status", func(t *testing.T) {
		sums, err := env.Svc.ListRequests(ctx, testenv.Copilot(), service.RequestQuery{
			Workspace: testenv.Workspace, Statuses: []airlock.Status{airlock.StatusPending, airlock.StatusReviewed}})
		require.NoError(t, err)
		assert.Equal(t, []string{pending.ID, reviewed.ID}, ids(sums))
		_, err = env.Svc.ListRequests(ctx, testenv.Outsider(), service.RequestQuery{Workspace: testenv.Workspace})
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.ListRequests(ctx, testenv.Checker1(), service.RequestQuery{Statuses: []airlock.Status{"NOPE"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
	})
	t.Run("mine", func(t *testing.T) {
		sums, err := env.Svc.ListRequests(ctx, testenv.Researcher(), service.RequestQuery{Scope: service.ScopeMine})
		require.NoError(t, err)
		assert.Equal(t, []string{reviewed.ID}, ids(sums))
		assert.Nil(t, sums[0].MyReview, "an author does not review")
		assert.Equal(t, 2, sums[0].OutputFiles)
		assert.Equal(t, airlock.StatusReviewed, sums[0].Status)
	})
	t.Run("review: checkers only, never their own requests (§12.22)", func(t *testing.T) {
		_, err := env.Svc.ListRequests(ctx, testenv.Researcher(), service.RequestQuery{Scope: service.ScopeReview})
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		sums, err := env.Svc.ListRequests(ctx, testenv.CheckerResearcher(), service.RequestQuery{Scope: service.ScopeReview})
		require.NoError(t, err)
		assert.Equal(t, []string{reviewed.ID, other.ID}, ids(sums), "no PENDING request, not their own")
		sums, err = env.Svc.ListRequests(ctx, testenv.Checker1(), service.RequestQuery{Scope: service.ScopeReview})
		require.NoError(t, err)
		assert.Equal(t, []string{reviewed.ID, own.ID, other.ID}, ids(sums))
		require.NotNil(t, sums[0].MyReview)
		assert.Equal(t, service.MyReview{Voted: 2, Submitted: true}, *sums[0].MyReview)
		assert.Equal(t, service.MyReview{Voted: 0, Submitted: false}, *sums[1].MyReview)
	})
	t.Run("review progress counts votes before submitting (§12.65)", func(t *testing.T) {
		_, err := env.Svc.Vote(ctx, testenv.Checker3(), own.ID, []string{"output/c.csv"}, "APPROVED")
		require.NoError(t, err)
		sums, err := env.Svc.ListRequests(ctx, testenv.Checker3(), service.RequestQuery{Scope: service.ScopeReview,
			Statuses: []airlock.Status{airlock.StatusSubmitted}})
		require.NoError(t, err)
		require.Equal(t, []string{own.ID, other.ID}, ids(sums))
		assert.Equal(t, service.MyReview{Voted: 1, Submitted: false}, *sums[0].MyReview)
	})
	t.Run("unknown scope", func(t *testing.T) {
		_, err := env.Svc.ListRequests(ctx, testenv.Checker1(), service.RequestQuery{Scope: "everything"})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
	})
}

func TestAirlock_Submit(t *testing.T) {
	t.Run("author submits: status, turn, last submitted time, audit, notification, event (§12.49, §12.51)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		reset(env)
		view, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusSubmitted, view.Request.Status)
		assert.Equal(t, 1, view.Request.ReviewTurn)

		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusSubmitted, stored.Status)
		assert.Equal(t, 1, stored.ReviewTurn)
		assert.Empty(t, stored.TurnReviewers)
		ev := lastAudit(t, env, r.ID, 1)[0]
		assertAudit(t, ev, airlock.AuditRequestSubmit, "researcher", "", map[string]string{"review_turn": "0"})
		require.NotNil(t, stored.LastSubmittedAt)
		assert.Equal(t, ev.CreatedAt, *stored.LastSubmittedAt)
		assertChanged(t, env, r.ID, airlock.StatusSubmitted)
		assert.Equal(t, []airlock.Notification{{
			EventType: "request_submitted", Workspace: testenv.Workspace, Request: r.ID,
			RequestAuthor: "researcher", User: "researcher",
		}}, env.Notes.All())
	})

	t.Run("only supporting files: no output files (§12.47)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending,
			testenv.File("output/s.txt", testenv.Supporting()))
		reset(env)
		_, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "no output files")
		assert.Equal(t, airlock.StatusPending, env.Request(t, r.ID).Status)
		assertNothingPublished(t, env)
	})

	t.Run("incomplete group blocks until it is emptied (§12.48)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		testenv.AddFiles(t, env, testenv.Researcher(), r.ID, testenv.File("output/x.csv", testenv.InGroup("bare")))
		mark := env.AuditMark(t, r.ID)
		_, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "'bare'")
		assert.Empty(t, env.AuditSince(t, r.ID, mark))
		_, err = env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"output/x.csv"})
		require.NoError(t, err)
		view, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusSubmitted, view.Request.Status)
	})

	t.Run("non-authors cannot submit", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		reset(env)
		for _, u := range []airlock.User{testenv.Collaborator(), testenv.Checker1(), testenv.CheckerResearcher()} {
			_, err := env.Svc.Submit(ctx, u, r.ID)
			testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		}
		_, err := env.Svc.Submit(ctx, testenv.Outsider(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		assertNothingPublished(t, env)
	})

	t.Run("archived workspace blocks submitting (docs/decisions.md §5)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		_, err := env.Svc.Submit(ctx, testenv.Archived(testenv.Researcher(), testenv.Workspace), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		assert.Equal(t, airlock.StatusPending, env.Request(t, r.ID).Status)
	})

	t.Run("cannot submit twice", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
		_, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
	})
}

func TestAirlock_Resubmit(t *testing.T) {
	// §12.50: a returned request with a changes-requested group needs the author's public
	// comment; then approved votes stay, changes-requested ones become UNDECIDED.
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
		testenv.File("output/ok.csv", testenv.InGroup("good")),
		testenv.File("output/bad.csv", testenv.InGroup("bad"), testenv.ChangesRequested()))
	require.Equal(t, 2, r.ReviewTurn)
	reset(env)

	_, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
	testenv.AssertCode(t, err, airlock.CodeInvalidState)
	assert.Contains(t, airlock.ErrorMessage(err), "bad")
	assertNothingPublished(t, env)

	_, err = env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, "bad", "fixed by rounding", airlock.VisibilityPublic)
	require.NoError(t, err)
	reset(env)
	mark := env.AuditMark(t, r.ID)
	view, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusSubmitted, view.Request.Status)
	assert.Equal(t, 3, view.Request.ReviewTurn, "§12.51: returned 2 → resubmitted 3")

	stored := env.Request(t, r.ID)
	assert.Empty(t, stored.SubmittedReviews)
	ok, bad := stored.File("output/ok.csv"), stored.File("output/bad.csv")
	for _, c := range []string{"checker1", "checker2"} {
		assert.Equal(t, airlock.VoteApproved, ok.Vote(c).Status)
		assert.Equal(t, airlock.VoteUndecided, bad.Vote(c).Status)
		assert.Equal(t, 1, bad.Vote(c).ReviewTurn, "a vote keeps the turn it was cast in")
	}
	assert.False(t, airlock.CanSubmitReview(testenv.Checker1(), stored, airlock.DefaultPolicy()),
		"no reviewer has reviewed all files after resubmission")

	evs := env.AuditSince(t, r.ID, mark)
	require.Len(t, evs, 3)
	assertAudit(t, evs[0], airlock.AuditRequestFileUndecided, "researcher", "output/bad.csv",
		map[string]string{"reviewer": "checker1", "group": "bad", "review_turn": "2"})
	assertAudit(t, evs[1], airlock.AuditRequestFileUndecided, "researcher", "output/bad.csv",
		map[string]string{"reviewer": "checker2"})
	assertAudit(t, evs[2], airlock.AuditRequestSubmit, "researcher", "", map[string]string{"review_turn": "2"})
	assert.Equal(t, []string{"request_resubmitted"}, noteTypes(env))
	assertChanged(t, env, r.ID, airlock.StatusSubmitted)
}

func TestAirlock_WithdrawRequest(t *testing.T) {
	for _, st := range []airlock.Status{airlock.StatusPending, airlock.StatusReturned} {
		t.Run("author withdraws from "+string(st), func(t *testing.T) {
			env := testenv.NewEnv(t)
			r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), st)
			reset(env)
			view, err := env.Svc.WithdrawRequest(ctx, testenv.Researcher(), r.ID)
			require.NoError(t, err)
			assert.Equal(t, airlock.StatusWithdrawn, view.Request.Status)
			stored := env.Request(t, r.ID)
			assert.Equal(t, airlock.StatusWithdrawn, stored.Status)
			assert.Equal(t, r.ReviewTurn, stored.ReviewTurn, "withdrawing starts no turn")
			assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestWithdraw, "researcher", "", nil)
			assert.Equal(t, []string{"request_withdrawn"}, noteTypes(env))
			assertChanged(t, env, r.ID, airlock.StatusWithdrawn)
			// A new request can now be started.
			_, created, err := env.Svc.GetOrCreateRequest(ctx, testenv.Researcher(), testenv.Workspace)
			require.NoError(t, err)
			assert.True(t, created)
		})
	}
	t.Run("even after the workspace is archived", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		_, err := env.Svc.WithdrawRequest(ctx, testenv.Archived(testenv.Researcher(), testenv.Workspace), r.ID)
		require.NoError(t, err)
	})
	t.Run("not by others, not under review", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		_, err := env.Svc.WithdrawRequest(ctx, testenv.Collaborator(), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		s := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusSubmitted)
		reset(env)
		_, err = env.Svc.WithdrawRequest(ctx, testenv.CheckerResearcher(), s.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Equal(t, airlock.StatusSubmitted, env.Request(t, s.ID).Status)
		assertNothingPublished(t, env)
	})
}
