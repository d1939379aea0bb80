package service_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/workspace"
)

// shownTo is what one viewer is shown of a request: comment texts and their own votes.
func shownTo(t *testing.T, svc *service.Airlock, u airlock.User, id string) (comments []string, votes map[string]string) {
	t.Helper()
	v, err := svc.GetRequest(testenv.Ctx(), u, id)
	require.NoError(t, err)
	out := contract.FromRequestView(v)
	votes = map[string]string{}
	for _, g := range out.Groups {
		for _, c := range g.Comments {
			comments = append(comments, c.Author+": "+c.Text)
		}
		for _, f := range g.Files {
			if f.MyVote != nil {
				votes[f.Path] = string(*f.MyVote)
			}
			assert.NotEqual(t, airlock.DecisionApproved, f.Decision, "%s sees a decision before both reviews are in", u.Username)
		}
	}
	return comments, votes
}

// TestRequestViewCacheKeepsBlinding: views are built from one cached aggregate, yet each
// viewer sees only what the visibility rules let them — whoever viewed first, and however
// often the views alternate. Checker1's private comment and votes stay hidden from Checker2
// and the author until the reviews are in.
func TestRequestViewCacheKeepsBlinding(t *testing.T) {
	env := testenv.NewEnv(t)
	ctx := testenv.Ctx()
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/a.csv"), testenv.File("output/b.csv"))
	c1, c2, author := testenv.Checker1(), testenv.Checker2(), testenv.Researcher()
	_, err := env.Svc.Vote(ctx, c1, r.ID, []string{"output/a.csv"}, string(airlock.VoteApproved))
	require.NoError(t, err)
	_, err = env.Svc.AddComment(ctx, c1, r.ID, testenv.DefaultGroup, "checker one's private note", airlock.VisibilityPrivate)
	require.NoError(t, err)

	for round := range 3 {
		// Alternate who views first, so each is served from an entry another viewer filled.
		order := []airlock.User{c2, c1, author}
		if round%2 == 1 {
			order = []airlock.User{c1, author, c2}
		}
		for _, u := range order {
			comments, votes := shownTo(t, env.Svc, u, r.ID)
			switch u.Username {
			case c1.Username:
				assert.Equal(t, []string{"checker1: checker one's private note"}, comments, "round %d", round)
				assert.Equal(t, map[string]string{"output/a.csv": "APPROVED"}, votes, "round %d", round)
			default:
				assert.Empty(t, comments, "round %d: %s sees checker1's private comment", round, u.Username)
				assert.Empty(t, votes, "round %d: %s sees a vote", round, u.Username)
			}
		}
	}

	// Checker2 votes: the next views show it to Checker2 only.
	_, err = env.Svc.Vote(ctx, c2, r.ID, []string{"output/b.csv"}, string(airlock.VoteChangesRequested))
	require.NoError(t, err)
	_, votes := shownTo(t, env.Svc, c2, r.ID)
	assert.Equal(t, map[string]string{"output/b.csv": "CHANGES_REQUESTED"}, votes)
	_, votes = shownTo(t, env.Svc, c1, r.ID)
	assert.Equal(t, map[string]string{"output/a.csv": "APPROVED"}, votes)

	// Many viewers at once, while votes change the request: each still sees only their own
	// (run under -race, this also checks that the shared entry is only read).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				u := []airlock.User{c1, c2, author}[(i+j)%3]
				v, err := env.Svc.GetRequest(ctx, u, r.ID)
				if !assert.NoError(t, err) {
					return
				}
				for _, g := range contract.FromRequestView(v).Groups {
					for _, c := range g.Comments {
						assert.Equal(t, c1.Username, u.Username, "%s sees %q", u.Username, c.Text)
					}
				}
			}
		}()
	}
	for range 5 {
		_, err = env.Svc.Vote(ctx, c2, r.ID, []string{"output/a.csv"}, string(airlock.VoteApproved))
		require.NoError(t, err)
	}
	wg.Wait()

	// A user who may not view the workspace gets not_found, even with the request cached.
	_, err = env.Svc.GetRequest(ctx, testenv.Outsider(), r.ID)
	testenv.AssertCode(t, err, airlock.CodeNotFound)
}

// TestRequestViewSeesChangesOfAnotherServer: a second service on the same database (a
// second server, or an operator's command) changes a request; the first service's next view
// shows the change, because the counters its cache is keyed by live in the database.
func TestRequestViewSeesChangesOfAnotherServer(t *testing.T) {
	env := testenv.NewEnv(t)
	ctx := testenv.Ctx()
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("output/a.csv"))
	c1 := testenv.Checker1()
	comments, _ := shownTo(t, env.Svc, c1, r.ID) // cached now
	require.Empty(t, comments)

	other := env.OpenStore(t)
	svc2 := service.New(service.Config{Store: other, Workspaces: env.Workspaces, Files: env.Files, Clock: env.Clock.Now})
	_, err := svc2.AddComment(ctx, c1, r.ID, testenv.DefaultGroup, "written elsewhere", airlock.VisibilityPublic)
	require.NoError(t, err)
	_, err = svc2.Vote(ctx, c1, r.ID, []string{"output/a.csv"}, string(airlock.VoteChangesRequested))
	require.NoError(t, err)

	comments, votes := shownTo(t, env.Svc, c1, r.ID)
	assert.Equal(t, []string{"checker1: written elsewhere"}, comments)
	assert.Equal(t, map[string]string{"output/a.csv": "CHANGES_REQUESTED"}, votes)

	// A release through the other server shows too: the request approved, its file
	// released, and the workspace status (which follows the releases counter) RELEASED.
	_, err = svc2.Vote(ctx, c1, r.ID, []string{"output/a.csv"}, string(airlock.VoteApproved))
	require.NoError(t, err)
	for _, c := range []airlock.User{c1, testenv.Checker2()} {
		if c.Username != c1.Username {
			_, err = svc2.Vote(ctx, c, r.ID, []string{"output/a.csv"}, string(airlock.VoteApproved))
			require.NoError(t, err)
		}
		_, err = svc2.SubmitReview(ctx, c, r.ID)
		require.NoError(t, err)
	}
	_, err = svc2.Release(ctx, c1, r.ID)
	require.NoError(t, err)
	v, err := env.Svc.GetRequest(ctx, c1, r.ID)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusApproved, v.Request.Status)
	assert.NotNil(t, v.Request.File("output/a.csv").ReleasedAt)
	assert.Equal(t, airlock.WorkspaceReleased, v.WorkspaceStatus["output/a.csv"])
}

// TestRequestViewFollowsTheWorkspace: the workspace status in a view follows the files on
// disk, with and without a watcher (with one, the cached status is kept for one generation
// of the workspace: the change's event ends it). Without one the status is right on the
// very next view: "settled" runs with the workspace clock an hour ahead, so its stat cache
// keeps the files of the first view and must see the change by a stat.
func TestRequestViewFollowsTheWorkspace(t *testing.T) {
	for _, mode := range []string{"unwatched", "settled", "watched"} {
		t.Run(mode, func(t *testing.T) {
			var opts []testenv.Option
			if mode == "settled" {
				opts = append(opts, testenv.WithWorkspaceClock(func() time.Time { return time.Now().Add(time.Hour) }))
			}
			env := testenv.NewEnv(t, opts...)
			ctx := testenv.Ctx()
			r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("output/a.csv"), testenv.File("output/b.csv"))
			if mode == "watched" {
				w := workspace.NewWatcher(env.Workspaces, nil)
				errc := make(chan error, 1)
				go func() { errc <- w.Run(t.Context()) }()
				<-w.Ready()
				t.Cleanup(func() {
					_ = w.Close()
					require.NoError(t, <-errc)
				})
			}
			c1 := testenv.Checker1()
			for range 2 { // the second view is the cached one
				v, err := env.Svc.GetRequest(ctx, c1, r.ID)
				require.NoError(t, err)
				require.Equal(t, airlock.WorkspaceUnderReview, v.WorkspaceStatus["output/a.csv"])
			}

			env.WriteFile(t, testenv.Workspace, "output/a.csv", "new content\n")
			if mode != "watched" {
				v, err := env.Svc.GetRequest(ctx, c1, r.ID)
				require.NoError(t, err)
				assert.Equal(t, airlock.WorkspaceUpdated, v.WorkspaceStatus["output/a.csv"], "the next view shows the file changed")
				assert.Equal(t, airlock.WorkspaceUnderReview, v.WorkspaceStatus["output/b.csv"])

				// The output made a link out of the workspace: no longer a valid file.
				outside := filepath.Join(t.TempDir(), "b.csv")
				require.NoError(t, os.WriteFile(outside, []byte("b"), 0o644))
				b := filepath.Join(env.Root, testenv.Workspace, "output", "b.csv")
				require.NoError(t, os.Remove(b))
				require.NoError(t, os.Symlink(outside, b))
				v, err = env.Svc.GetRequest(ctx, c1, r.ID)
				require.NoError(t, err)
				assert.Equal(t, airlock.WorkspaceInvalid, v.WorkspaceStatus["output/b.csv"], "a link out of the workspace is not the file")
				return
			}
			require.Eventually(t, func() bool {
				v, err := env.Svc.GetRequest(ctx, c1, r.ID)
				return err == nil && v.WorkspaceStatus["output/a.csv"] == airlock.WorkspaceUpdated
			}, 10*time.Second, 10*time.Millisecond, "the view never showed the file updated")
		})
	}
}

// TestCachedViewEqualsAFreshRead: after every kind of change — votes, comments added in
// either group, a comment published, one deleted, a vote reset, a review, a return — the
// view's aggregate (built from what the cache kept plus what changed) is exactly what the
// store reads afresh.
func TestCachedViewEqualsAFreshRead(t *testing.T) {
	env := testenv.NewEnv(t)
	ctx := testenv.Ctx()
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/a.csv"), testenv.File("output/b.csv", testenv.InGroup("other")))
	c1, c2 := testenv.Checker1(), testenv.Checker2()
	check := func(step string) {
		t.Helper()
		v, err := env.Svc.GetRequest(ctx, c1, r.ID)
		require.NoError(t, err, step)
		assert.Equal(t, env.Request(t, r.ID), v.Request.Clone(), step)
	}
	var commentID string
	steps := []struct {
		name string
		fn   func() error
	}{
		{"vote", func() error {
			_, err := env.Svc.Vote(ctx, c1, r.ID, []string{"output/a.csv"}, string(airlock.VoteApproved))
			return err
		}},
		{"comment", func() error {
			c, err := env.Svc.AddComment(ctx, c1, r.ID, testenv.DefaultGroup, "first", airlock.VisibilityPrivate)
			if err == nil {
				commentID = c.ID
			}
			return err
		}},
		{"comment in the other group", func() error {
			_, err := env.Svc.AddComment(ctx, c2, r.ID, "other", "second", airlock.VisibilityPrivate)
			return err
		}},
		{"two comments", func() error {
			if _, err := env.Svc.AddComment(ctx, c1, r.ID, "other", "third", airlock.VisibilityPublic); err != nil {
				return err
			}
			_, err := env.Svc.AddComment(ctx, c2, r.ID, testenv.DefaultGroup, "fourth", airlock.VisibilityPrivate)
			return err
		}},
		{"vote changed", func() error {
			_, err := env.Svc.Vote(ctx, c1, r.ID, []string{"output/a.csv"}, string(airlock.VoteChangesRequested))
			return err
		}},
		{"comment published", func() error {
			_, err := env.Svc.PublishComment(ctx, c1, r.ID, commentID)
			return err
		}},
		{"comment after an edit", func() error {
			_, err := env.Svc.AddComment(ctx, c1, r.ID, testenv.DefaultGroup, "fifth", airlock.VisibilityPrivate)
			return err
		}},
		{"comment deleted", func() error {
			_, err := env.Svc.DeleteComment(ctx, c1, r.ID, commentID)
			return err
		}},
		{"vote reset", func() error {
			_, err := env.Svc.Vote(ctx, c1, r.ID, []string{"output/a.csv"}, service.VoteReset)
			return err
		}},
		{"reviews", func() error {
			for _, c := range []airlock.User{c1, c2} {
				if _, err := env.Svc.Vote(ctx, c, r.ID, []string{"output/a.csv", "output/b.csv"}, string(airlock.VoteApproved)); err != nil {
					return err
				}
				if _, err := env.Svc.SubmitReview(ctx, c, r.ID); err != nil {
					return err
				}
			}
			return nil
		}},
		{"returned", func() error {
			_, err := env.Svc.Return(ctx, c1, r.ID)
			return err
		}},
	}
	check("start")
	for _, st := range steps {
		require.NoError(t, st.fn(), st.name)
		check(st.name)
	}
}
