package service_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

func TestAirlock_AddComment(t *testing.T) {
	t.Run("the author comments publicly: stored, audited, published, not notified (§12.99)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		reset(env)
		c, err := env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, testenv.DefaultGroup, "see *table 2*", airlock.VisibilityPublic)
		require.NoError(t, err)
		assert.NotEmpty(t, c.ID)
		assert.Equal(t, "researcher", c.Author)
		assert.Equal(t, airlock.VisibilityPublic, c.Visibility)
		assert.Equal(t, 0, c.ReviewTurn)
		stored, g := env.Request(t, r.ID).Comment(c.ID)
		require.NotNil(t, stored)
		assert.Equal(t, testenv.DefaultGroup, g.Name)
		assert.Equal(t, "see *table 2*", stored.Text)
		assert.Equal(t, testenv.Start, stored.CreatedAt)
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestComment, "researcher", "", map[string]string{
			"group": testenv.DefaultGroup, "comment": "see *table 2*", "visibility": "PUBLIC", "review_turn": "0"})
		assertChanged(t, env, r.ID, airlock.StatusPending)
		assert.Empty(t, env.Notes.All())
	})

	t.Run("who may comment with which visibility (§12.85, docs/decisions.md §2, §3)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		pending := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		sub := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusSubmitted, testenv.File("s.csv"))
		app := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusApproved, testenv.File("x.csv"))
		g := testenv.DefaultGroup
		cases := []struct {
			name string
			u    airlock.User
			id   string
			v    airlock.Visibility
			code airlock.Code // "" = allowed
		}{
			{"author private", testenv.Researcher(), pending.ID, airlock.VisibilityPrivate, airlock.CodeInvalid},
			{"collaborator public", testenv.Collaborator(), pending.ID, airlock.VisibilityPublic, ""},
			{"checker collaborator public", testenv.CheckerResearcher(), pending.ID, airlock.VisibilityPublic, ""},
			{"checker collaborator private while with the author", testenv.CheckerResearcher(), pending.ID, airlock.VisibilityPrivate, airlock.CodeInvalid},
			{"checker without role on pending", testenv.Checker1(), pending.ID, airlock.VisibilityPublic, airlock.CodePermissionDenied},
			{"copilot", testenv.Copilot(), pending.ID, airlock.VisibilityPublic, airlock.CodePermissionDenied},
			{"read-only", testenv.Readonly(), sub.ID, airlock.VisibilityPublic, airlock.CodePermissionDenied},
			{"no access", testenv.Outsider(), pending.ID, airlock.VisibilityPublic, airlock.CodeNotFound},
			{"checker private under review", testenv.Checker1(), sub.ID, airlock.VisibilityPrivate, ""},
			{"checker public under review", testenv.Checker2(), sub.ID, airlock.VisibilityPublic, ""},
			{"author under review", testenv.Collaborator(), sub.ID, airlock.VisibilityPublic, airlock.CodePermissionDenied},
			{"nobody once approved", testenv.Checker1(), app.ID, airlock.VisibilityPublic, airlock.CodeInvalidState},
			{"bad visibility", testenv.Checker1(), sub.ID, "SECRET", airlock.CodeInvalid},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				mark := env.AuditMark(t, tc.id)
				c, err := env.Svc.AddComment(ctx, tc.u, tc.id, g, "text by "+tc.u.Username, tc.v)
				if tc.code == "" {
					require.NoError(t, err)
					assert.Equal(t, tc.v, c.Visibility)
					assert.Len(t, env.AuditSince(t, tc.id, mark), 1)
					return
				}
				testenv.AssertCode(t, err, tc.code)
				assert.Empty(t, env.AuditSince(t, tc.id, mark))
			})
		}
	})

	t.Run("default visibility: PRIVATE for a reviewing checker, PUBLIC otherwise", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
		c, err := env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "hmm", "")
		require.NoError(t, err)
		assert.Equal(t, airlock.VisibilityPrivate, c.Visibility)
		assert.Equal(t, "PRIVATE", lastAudit(t, env, r.ID, 1)[0].Extra["visibility"])
		p := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusPending)
		c, err = env.Svc.AddComment(ctx, testenv.Collaborator(), p.ID, testenv.DefaultGroup, "hi", "")
		require.NoError(t, err)
		assert.Equal(t, airlock.VisibilityPublic, c.Visibility)
	})

	t.Run("empty text, unknown group", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		_, err := env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, testenv.DefaultGroup, "  \n", airlock.VisibilityPublic)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		_, err = env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, "nope", "x", airlock.VisibilityPublic)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, "", "x", airlock.VisibilityPublic)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
	})
}

func TestAirlock_DeleteComment(t *testing.T) {
	t.Run("authors delete their own comments while they may comment (§12.84)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		mine, err := env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, testenv.DefaultGroup, "mine", airlock.VisibilityPublic)
		require.NoError(t, err)
		theirs, err := env.Svc.AddComment(ctx, testenv.Collaborator(), r.ID, testenv.DefaultGroup, "theirs", airlock.VisibilityPublic)
		require.NoError(t, err)
		reset(env)

		_, err = env.Svc.DeleteComment(ctx, testenv.Researcher(), r.ID, theirs.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		_, err = env.Svc.DeleteComment(ctx, testenv.Collaborator(), r.ID, mine.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		_, err = env.Svc.DeleteComment(ctx, testenv.Researcher(), r.ID, "999999")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		assertNothingPublished(t, env)

		view, err := env.Svc.DeleteComment(ctx, testenv.Researcher(), r.ID, mine.ID)
		require.NoError(t, err)
		c, _ := view.Request.Comment(mine.ID)
		assert.Nil(t, c)
		c, _ = env.Request(t, r.ID).Comment(mine.ID)
		assert.Nil(t, c)
		ev := lastAudit(t, env, r.ID, 1)[0]
		assertAudit(t, ev, airlock.AuditRequestCommentDelete, "researcher", "",
			map[string]string{"group": testenv.DefaultGroup, "comment": "mine"})
		assert.NotContains(t, ev.Extra, "visibility")
		assertChanged(t, env, r.ID, airlock.StatusPending)
	})

	t.Run("a checker's private comment: deleted under review, the event stays private", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
		c, err := env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "secret", airlock.VisibilityPrivate)
		require.NoError(t, err)
		_, err = env.Svc.DeleteComment(ctx, testenv.Checker2(), r.ID, c.ID)
		testenv.AssertCode(t, err, airlock.CodeNotFound) // invisible to the other checker while blind
		_, err = env.Svc.DeleteComment(ctx, testenv.Checker1(), r.ID, c.ID)
		require.NoError(t, err)
		assert.Equal(t, "PRIVATE", lastAudit(t, env, r.ID, 1)[0].Extra["visibility"])
	})

	for _, st := range []airlock.Status{airlock.StatusApproved, airlock.StatusRejected, airlock.StatusWithdrawn} {
		t.Run("nobody once "+string(st), func(t *testing.T) {
			env := testenv.NewEnv(t)
			r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
			c, err := env.Svc.AddComment(ctx, testenv.Researcher(), r.ID, testenv.DefaultGroup, "early", airlock.VisibilityPublic)
			require.NoError(t, err)
			if st == airlock.StatusWithdrawn {
				_, err = env.Svc.WithdrawRequest(ctx, testenv.Researcher(), r.ID)
				require.NoError(t, err)
			} else {
				_, err = env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
				require.NoError(t, err)
				testenv.Review(t, env, testenv.Checker1(), r.ID, nil)
				testenv.Review(t, env, testenv.Checker2(), r.ID, nil)
				if st == airlock.StatusApproved {
					_, err = env.Svc.Release(ctx, testenv.Checker1(), r.ID)
				} else {
					_, err = env.Svc.Reject(ctx, testenv.Checker1(), r.ID)
				}
				require.NoError(t, err)
			}
			_, err = env.Svc.DeleteComment(ctx, testenv.Researcher(), r.ID, c.ID)
			testenv.AssertCode(t, err, airlock.CodeInvalidState)
			still, _ := env.Request(t, r.ID).Comment(c.ID)
			assert.NotNil(t, still)
		})
	}
}

func TestAirlock_PublishComment(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
	c, err := env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "becomes public", airlock.VisibilityPrivate)
	require.NoError(t, err)
	old, err := env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "stays private", airlock.VisibilityPrivate)
	require.NoError(t, err)
	pub, err := env.Svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "already public", airlock.VisibilityPublic)
	require.NoError(t, err)
	reset(env)

	t.Run("not someone else's (§12.83)", func(t *testing.T) {
		_, err := env.Svc.PublishComment(ctx, testenv.Researcher(), r.ID, c.ID)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.PublishComment(ctx, testenv.Checker2(), r.ID, c.ID)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.PublishComment(ctx, testenv.Checker1(), r.ID, pub.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assertNothingPublished(t, env)
	})
	t.Run("own private comment of this turn, under review", func(t *testing.T) {
		_, err := env.Svc.PublishComment(ctx, testenv.Checker1(), r.ID, c.ID)
		require.NoError(t, err)
		stored, _ := env.Request(t, r.ID).Comment(c.ID)
		assert.Equal(t, airlock.VisibilityPublic, stored.Visibility)
		ev := lastAudit(t, env, r.ID, 1)[0]
		assertAudit(t, ev, airlock.AuditRequestCommentVisibilityPub, "checker1", "",
			map[string]string{"group": testenv.DefaultGroup, "comment": "becomes public"})
		assertChanged(t, env, r.ID, airlock.StatusSubmitted)
	})
	t.Run("not after the turn ends", func(t *testing.T) {
		testenv.Review(t, env, testenv.Checker1(), r.ID, nil)
		testenv.Review(t, env, testenv.Checker2(), r.ID, nil)
		testenv.ReturnRequest(t, env, testenv.Checker1(), r.ID)
		_, err := env.Svc.PublishComment(ctx, testenv.Checker1(), r.ID, old.ID)
		require.Error(t, err)
		stored, _ := env.Request(t, r.ID).Comment(old.ID)
		assert.Equal(t, airlock.VisibilityPrivate, stored.Visibility)
	})
}

func TestAirlock_EditGroup(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
	reset(env)
	env.Clock.Advance(time.Minute)
	view, err := env.Svc.EditGroup(ctx, testenv.Researcher(), r.ID, testenv.DefaultGroup, "new context", "")
	require.NoError(t, err)
	assert.Equal(t, "new context", view.Request.Group(testenv.DefaultGroup).Context)
	g := env.Request(t, r.ID).Group(testenv.DefaultGroup)
	assert.Equal(t, "new context", g.Context)
	assert.Equal(t, "", g.Controls)
	assert.Equal(t, testenv.Start.Add(time.Minute), g.UpdatedAt)
	assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestEdit, "researcher", "",
		map[string]string{"group": testenv.DefaultGroup, "context": "new context", "controls": ""})
	assertChanged(t, env, r.ID, airlock.StatusPending)
	assert.Empty(t, env.Notes.All())

	_, err = env.Svc.EditGroup(ctx, testenv.Collaborator(), r.ID, testenv.DefaultGroup, "x", "y")
	testenv.AssertCode(t, err, airlock.CodePermissionDenied)
	_, err = env.Svc.EditGroup(ctx, testenv.Researcher(), r.ID, "nope", "x", "y")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, err = env.Svc.EditGroup(ctx, testenv.Archived(testenv.Researcher(), testenv.Workspace), r.ID, testenv.DefaultGroup, "x", "y")
	testenv.AssertCode(t, err, airlock.CodePermissionDenied)
	s := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusSubmitted)
	_, err = env.Svc.EditGroup(ctx, testenv.Collaborator(), s.ID, testenv.DefaultGroup, "x", "y")
	testenv.AssertCode(t, err, airlock.CodeInvalidState)
	assert.Equal(t, "Context of "+testenv.DefaultGroup, env.Request(t, s.ID).Group(testenv.DefaultGroup).Context)
}
