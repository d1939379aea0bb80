package service_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// seen summarises the activity u sees: "TYPE by user" for events of turn, newest first.
func seen(t *testing.T, env *testenv.Env, u airlock.User, id string, turn int) []string {
	t.Helper()
	evs, err := env.Svc.Activity(ctx, u, id, "")
	require.NoError(t, err)
	var out []string
	for _, ev := range evs {
		if ev.Turn() == turn {
			out = append(out, string(ev.Type)+" by "+ev.User)
		}
	}
	return out
}

func TestAirlock_Activity(t *testing.T) {
	env := testenv.NewEnv(t)
	author, c1, c2 := testenv.Researcher(), testenv.Checker1(), testenv.Checker2()
	r := testenv.CreateRequestAtStatus(t, env, author, airlock.StatusPending, testenv.File("a.csv"))
	_, err := env.Svc.AddComment(ctx, author, r.ID, testenv.DefaultGroup, "author note", airlock.VisibilityPublic)
	require.NoError(t, err)

	t.Run("collaborators see each other's work during the author's turn (docs/decisions.md §10)", func(t *testing.T) {
		assert.Contains(t, seen(t, env, testenv.Collaborator(), r.ID, 0), "REQUEST_COMMENT by researcher")
		assert.NotContains(t, seen(t, env, c1, r.ID, 0), "REQUEST_COMMENT by researcher")
	})

	_, err = env.Svc.Submit(ctx, author, r.ID)
	require.NoError(t, err)
	_, err = env.Svc.Vote(ctx, c1, r.ID, []string{"a.csv"}, "CHANGES_REQUESTED")
	require.NoError(t, err)
	_, err = env.Svc.AddComment(ctx, c1, r.ID, testenv.DefaultGroup, "c1 private", airlock.VisibilityPrivate)
	require.NoError(t, err)
	_, err = env.Svc.AddComment(ctx, c1, r.ID, testenv.DefaultGroup, "c1 public", airlock.VisibilityPublic)
	require.NoError(t, err)
	_, err = env.Svc.SubmitReview(ctx, c1, r.ID)
	require.NoError(t, err)
	_, err = env.Svc.Vote(ctx, c2, r.ID, []string{"a.csv"}, "APPROVED")
	require.NoError(t, err)
	rc, _, err := env.Svc.OpenRequestFile(ctx, c2, r.ID, "a.csv", false)
	require.NoError(t, err)
	rc.Close()

	t.Run("independent phase: each checker sees only their own; the author nothing (§12.76)", func(t *testing.T) {
		assert.Equal(t, []string{
			"REQUEST_REVIEW by checker1", "REQUEST_COMMENT by checker1", "REQUEST_COMMENT by checker1",
			"REQUEST_FILE_REQUEST_CHANGES by checker1",
		}, seen(t, env, c1, r.ID, 1))
		assert.Equal(t, []string{"REQUEST_FILE_APPROVE by checker2"}, seen(t, env, c2, r.ID, 1),
			"the file view is not activity")
		assert.Empty(t, seen(t, env, author, r.ID, 1))
		assert.Equal(t, []string{"REQUEST_SUBMIT by researcher", "REQUEST_COMMENT by researcher",
			"REQUEST_EDIT by researcher", "REQUEST_FILE_ADD by researcher", "REQUEST_CREATE by researcher"},
			seen(t, env, c2, r.ID, 0), "earlier turns are visible")
	})

	_, err = env.Svc.AddComment(ctx, c2, r.ID, testenv.DefaultGroup, "c2 agrees", airlock.VisibilityPublic)
	require.NoError(t, err)
	_, err = env.Svc.SubmitReview(ctx, c2, r.ID)
	require.NoError(t, err)

	t.Run("consolidating: checkers see the whole turn; the author still nothing (§12.77)", func(t *testing.T) {
		all := seen(t, env, c1, r.ID, 1)
		assert.Len(t, all, 7)
		assert.Equal(t, all, seen(t, env, c2, r.ID, 1))
		assert.Equal(t, all, seen(t, env, testenv.Checker3(), r.ID, 1))
		assert.Empty(t, seen(t, env, author, r.ID, 1))
		assert.Empty(t, seen(t, env, testenv.Collaborator(), r.ID, 1))
	})

	testenv.ReturnRequest(t, env, c1, r.ID)
	_, err = env.Svc.AddComment(ctx, author, r.ID, testenv.DefaultGroup, "fixed", airlock.VisibilityPublic)
	require.NoError(t, err)

	t.Run("author phase: the author sees the public past, no private comments (§12.78)", func(t *testing.T) {
		got := seen(t, env, author, r.ID, 1)
		assert.Contains(t, got, "REQUEST_FILE_REQUEST_CHANGES by checker1", "vote events are public")
		assert.Contains(t, got, "REQUEST_RETURN by checker1")
		assert.Equal(t, 2, countOf(got, "REQUEST_COMMENT by checker1")+countOf(got, "REQUEST_COMMENT by checker2"),
			"c1 public and c2 public, not c1's private one")
		for _, ev := range mustActivity(t, env, author, r.ID, "") {
			assert.NotEqual(t, "c1 private", ev.Extra["comment"])
		}
		assert.NotContains(t, seen(t, env, c1, r.ID, 2), "REQUEST_COMMENT by researcher",
			"checkers do not see the author's turn until it is resubmitted")
	})

	t.Run("group filter, read-only types, order", func(t *testing.T) {
		evs := mustActivity(t, env, c1, r.ID, testenv.DefaultGroup)
		require.NotEmpty(t, evs)
		for i, ev := range evs {
			assert.Equal(t, testenv.DefaultGroup, ev.Extra["group"])
			assert.NotContains(t, airlock.ReadOnlyAuditTypes, ev.Type)
			if i > 0 {
				assert.Less(t, ev.ID, evs[i-1].ID, "newest first")
			}
		}
		_, err := env.Svc.Activity(ctx, c1, r.ID, "nope")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.Activity(ctx, testenv.Outsider(), r.ID, "")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
}

func mustActivity(t *testing.T, env *testenv.Env, u airlock.User, id, group string) []airlock.AuditEvent {
	t.Helper()
	evs, err := env.Svc.Activity(ctx, u, id, group)
	require.NoError(t, err)
	return evs
}

func countOf(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func TestAirlock_Audit(t *testing.T) {
	env := testenv.NewEnv(t)
	a := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
	b := testenv.CreateRequestAtStatus(t, env, testenv.Outsider(), airlock.StatusPending, testenv.File("b.csv"))

	_, err := env.Svc.Audit(ctx, testenv.Researcher(), airlock.AuditFilter{})
	testenv.AssertCode(t, err, airlock.CodePermissionDenied)
	_, err = env.Svc.Audit(ctx, testenv.Readonly(), airlock.AuditFilter{})
	testenv.AssertCode(t, err, airlock.CodePermissionDenied)

	all, err := env.Svc.Audit(ctx, testenv.Checker1(), airlock.AuditFilter{})
	require.NoError(t, err)
	assert.Len(t, all, len(env.Audit(t, airlock.AuditFilter{})))
	assert.Greater(t, all[0].ID, all[len(all)-1].ID, "newest first")

	byReq, err := env.Svc.Audit(ctx, testenv.Checker1(), airlock.AuditFilter{Request: b.ID})
	require.NoError(t, err)
	require.NotEmpty(t, byReq)
	for _, ev := range byReq {
		assert.Equal(t, b.ID, ev.Request)
	}
	byUser, err := env.Svc.Audit(ctx, testenv.Checker1(), airlock.AuditFilter{User: "researcher", Limit: 2})
	require.NoError(t, err)
	require.Len(t, byUser, 2)
	assert.Equal(t, airlock.AuditRequestSubmit, byUser[0].Type)
	assert.Equal(t, a.ID, byUser[0].Request)
	byWS, err := env.Svc.Audit(ctx, testenv.Checker1(), airlock.AuditFilter{Workspace: testenv.OtherWorkspace})
	require.NoError(t, err)
	assert.Len(t, byWS, len(byReq))
}
