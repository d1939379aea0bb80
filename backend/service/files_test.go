package service_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// newPending returns an empty PENDING request of the researcher.
func newPending(t *testing.T, env *testenv.Env) string {
	t.Helper()
	view, _, err := env.Svc.GetOrCreateRequest(ctx, testenv.Researcher(), testenv.Workspace)
	require.NoError(t, err)
	reset(env)
	return view.Request.ID
}

func TestAirlock_AddFiles(t *testing.T) {
	t.Run("default add: group default, OUTPUT, manifest data copied, audited (§12.30, §12.34)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "output/notes.txt", "hello\n")
		id := newPending(t, env)
		view, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/notes.txt"}})
		require.NoError(t, err)
		f := view.Request.File("output/notes.txt")
		require.NotNil(t, f)
		assert.Equal(t, airlock.DefaultGroup, f.Group)
		assert.Equal(t, airlock.FileTypeOutput, f.FileType)
		assert.Equal(t, airlock.WorkspaceUnderReview, view.WorkspaceStatus["output/notes.txt"])

		stored := env.Request(t, id).File("output/notes.txt")
		require.NotNil(t, stored)
		out, _ := env.Output(testenv.Workspace, "output/notes.txt")
		assert.Equal(t, testenv.SHA256("hello\n"), stored.FileID)
		assert.Equal(t, int64(6), stored.Size)
		assert.Equal(t, out.Commit, stored.Commit)
		assert.Equal(t, out.JobID, stored.JobID)
		assert.Equal(t, out.Repo, stored.Repo)
		assert.Equal(t, testenv.Start, stored.Timestamp)
		assert.Nil(t, stored.RowCount)
		assert.Nil(t, stored.ColCount)
		assert.Equal(t, []string{testenv.SHA256("hello\n")}, env.Blobs(t, testenv.Workspace, id))

		ev := lastAudit(t, env, id, 1)[0]
		assertAudit(t, ev, airlock.AuditRequestFileAdd, "researcher", "output/notes.txt",
			map[string]string{"group": "default", "filetype": "OUTPUT", "review_turn": "0"})
		assertChanged(t, env, id, airlock.StatusPending)
		assert.Empty(t, env.Notes.All())
	})

	t.Run("several files into a named group, with types", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "a.csv", "a\n")
		env.WriteFile(t, testenv.Workspace, "b.md", "b\n")
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "tables", []service.FileSpec{
			{Path: "a.csv"}, {Path: "b.md", FileType: airlock.FileTypeSupporting}})
		require.NoError(t, err)
		r := env.Request(t, id)
		require.NotNil(t, r.Group("tables"))
		assert.Equal(t, airlock.FileTypeOutput, r.File("a.csv").FileType)
		assert.Equal(t, airlock.FileTypeSupporting, r.File("b.md").FileType)
		evs := lastAudit(t, env, id, 2)
		assertAudit(t, evs[0], airlock.AuditRequestFileAdd, "researcher", "a.csv", map[string]string{"group": "tables", "filetype": "OUTPUT"})
		assertAudit(t, evs[1], airlock.AuditRequestFileAdd, "researcher", "b.md", map[string]string{"group": "tables", "filetype": "SUPPORTING"})
		assertChanged(t, env, id, airlock.StatusPending)
	})

	t.Run("all or nothing: a disallowed type adds nothing and copies nothing (§12.28, docs/decisions.md §7)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "output/good.csv", "1\n")
		env.WriteFile(t, testenv.Workspace, "output/file.foo", "2\n")
		id := newPending(t, env)
		mark := env.AuditMark(t, id)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
			{Path: "output/good.csv"}, {Path: "output/file.foo"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Contains(t, airlock.ErrorMessage(err), ".foo")
		assert.Empty(t, env.Request(t, id).AllFiles())
		assert.Empty(t, env.Blobs(t, testenv.Workspace, id))
		assert.Empty(t, env.AuditSince(t, id, mark))
		assertNothingPublished(t, env)
	})

	t.Run("a copy failing the manifest hash fails the call; the copies already made are left to the recovery sweep (§12.33, docs/decisions.md §7)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "output/good.csv", "1\n")
		env.WriteFile(t, testenv.Workspace, "output/changed.csv", "as in manifest\n")
		env.WriteRaw(t, testenv.Workspace, "output/changed.csv", "changed behind the manifest's back\n")
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
			{Path: "output/good.csv"}, {Path: "output/changed.csv"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Empty(t, env.Request(t, id).AllFiles())
		assertNothingPublished(t, env)
		// The good file's copy stays (another add may have found it meanwhile) until the
		// sweep finds it unreferenced and older than the grace.
		assert.Equal(t, []string{testenv.SHA256("1\n")}, env.Blobs(t, testenv.Workspace, id))
		rep, err := env.Svc.SweepFiles(ctx, time.Now().Add(-time.Hour))
		require.NoError(t, err)
		assert.Empty(t, rep.Removed, "younger than the grace")
		assert.Equal(t, []string{testenv.SHA256("1\n")}, env.Blobs(t, testenv.Workspace, id))
		rep, err = env.Svc.SweepFiles(ctx, time.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, []string{testenv.Workspace + "/" + id + "/" + testenv.SHA256("1\n")}, rep.Removed)
		assert.Empty(t, env.Blobs(t, testenv.Workspace, id), "past the grace: swept")
	})

	t.Run("a failed call keeps copies that other files of the request use", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "output/one.csv", "same\n")
		env.WriteFile(t, testenv.Workspace, "output/two.csv", "same\n")
		env.WriteFile(t, testenv.Workspace, "output/bad.csv", "x\n")
		env.WriteRaw(t, testenv.Workspace, "output/bad.csv", "y\n")
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/one.csv"}})
		require.NoError(t, err)
		_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
			{Path: "output/two.csv"}, {Path: "output/bad.csv"}})
		require.Error(t, err)
		assert.Equal(t, []string{testenv.SHA256("same\n")}, env.Blobs(t, testenv.Workspace, id))
		rc, _, err := env.Svc.OpenRequestFile(ctx, testenv.Researcher(), id, "output/one.csv", false)
		require.NoError(t, err)
		rc.Close()
	})

	t.Run("the same path twice in one call is invalid", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "a.csv", "a\n")
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "a.csv"}, {Path: "a.csv"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", nil)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
	})

	t.Run("adding a path already on the request fails, in any group (§12.32)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("a.csv"))
		for _, g := range []string{testenv.DefaultGroup, "other"} {
			for _, ft := range []airlock.FileType{airlock.FileTypeOutput, airlock.FileTypeSupporting} {
				_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), r.ID, g, []service.FileSpec{{Path: "a.csv", FileType: ft}})
				// Already on the request: a conflict (docs/api.md), naming the group it is in.
				testenv.AssertCode(t, err, airlock.CodeConflict)
				assert.Contains(t, airlock.ErrorMessage(err), "has already been added to request (in file group '"+testenv.DefaultGroup+"')")
			}
		}
		stored := env.Request(t, r.ID)
		assert.Len(t, stored.AllFiles(), 1)
		assert.Equal(t, testenv.DefaultGroup, stored.File("a.csv").Group)
	})

	t.Run("a group name differing only in case from an existing group is refused (§12.46)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "b.csv", "b\n")
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("a.csv"))
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), r.ID, "GROUP", []service.FileSpec{{Path: "b.csv"}})
		testenv.AssertCode(t, err, airlock.CodeConflict)
		_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), r.ID, "a/b", []service.FileSpec{{Path: "b.csv"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Nil(t, env.Request(t, r.ID).File("b.csv"), "nothing added")
	})

	t.Run("a path that is not a valid workspace file is not_found (docs/api.md)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteRaw(t, testenv.Workspace, "output/unlisted.csv", "not in the manifest\n")
		env.WriteFile(t, testenv.Workspace, "output/a.csv", "a\n")
		secret := filepath.Join(env.Dir, "secret.csv")
		require.NoError(t, os.WriteFile(secret, []byte("s\n"), 0o600))
		require.NoError(t, os.Symlink(secret, filepath.Join(env.Root, testenv.Workspace, "output", "link.csv")))
		id := newPending(t, env)
		before := len(env.RequestAudit(t, id))
		// A file on disk the manifest does not list is not a workspace file either, but
		// there is something to say about it: refused as invalid with the reason
		// (TestAirlock_AddFiles_ManifestOutputsOnly).
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/unlisted.csv"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		for _, p := range []string{"output/missing.csv", "../escape.csv",
			"output/../../" + testenv.OtherWorkspace + "/x.csv", "output/a.csv\x00", secret, "/output/a.csv",
			"output//a.csv", "output/./a.csv", "output/link.csv", "output", "output/missing.sh"} {
			_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: p}})
			testenv.AssertCode(t, err, airlock.CodeNotFound)
			// All or nothing: a good file beside it is not added either.
			_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/a.csv"}, {Path: p}})
			testenv.AssertCode(t, err, airlock.CodeNotFound)
		}
		assert.Empty(t, env.Request(t, id).AllFiles())
		assert.Len(t, env.RequestAudit(t, id), before, "nothing audited")
		assert.Empty(t, env.Blobs(t, testenv.Workspace, id))
		// A file that exists with a disallowed type stays invalid; a bad file type too.
		env.WriteFile(t, testenv.Workspace, "output/script.sh", "echo\n")
		_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/script.sh"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/missing.csv", FileType: "BOGUS"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		// Denials about the request come before the path: another user, a submitted request.
		_, err = env.Svc.AddFiles(ctx, testenv.Collaborator(), id, "", []service.FileSpec{{Path: "output/missing.csv"}})
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		sub := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusSubmitted)
		_, err = env.Svc.AddFiles(ctx, testenv.CheckerResearcher(), sub.ID, "", []service.FileSpec{{Path: "output/missing.csv"}})
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
	})

	t.Run("only the author may add (§12.26, §12.27)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "a.csv", "a\n")
		id := newPending(t, env)
		spec := []service.FileSpec{{Path: "a.csv"}}
		for _, tc := range []struct {
			u    airlock.User
			code airlock.Code
		}{
			{testenv.CheckerResearcher(), airlock.CodePermissionDenied},
			{testenv.Collaborator(), airlock.CodePermissionDenied},
			{testenv.Checker1(), airlock.CodePermissionDenied},
			{testenv.Archived(testenv.Researcher(), testenv.Workspace), airlock.CodePermissionDenied},
			{testenv.Inactive(testenv.Researcher(), testenv.Workspace), airlock.CodePermissionDenied},
			{testenv.WithoutRole(testenv.Researcher(), testenv.Workspace), airlock.CodeNotFound},
		} {
			_, err := env.Svc.AddFiles(ctx, tc.u, id, "", spec)
			testenv.AssertCode(t, err, tc.code)
		}
		assert.Empty(t, env.Request(t, id).AllFiles())
		assertNothingPublished(t, env)
	})

	for _, st := range []airlock.Status{airlock.StatusSubmitted, airlock.StatusPartiallyReviewed,
		airlock.StatusReviewed, airlock.StatusApproved, airlock.StatusRejected, airlock.StatusReleased,
		airlock.StatusWithdrawn} {
		t.Run("not in "+string(st)+" (§12.29)", func(t *testing.T) {
			env := testenv.NewEnv(t)
			r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), st)
			env.WriteFile(t, testenv.Workspace, "new.csv", "n\n")
			_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), r.ID, "", []service.FileSpec{{Path: "new.csv"}})
			testenv.AssertCode(t, err, airlock.CodeInvalidState)
			assert.Nil(t, env.Request(t, r.ID).File("new.csv"))
		})
	}

	t.Run("allowed in RETURNED", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned)
		env.WriteFile(t, testenv.Workspace, "new.csv", "n\n")
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), r.ID, "new", []service.FileSpec{{Path: "new.csv"}})
		require.NoError(t, err)
		ev := lastAudit(t, env, r.ID, 1)[0]
		assertAudit(t, ev, airlock.AuditRequestFileAdd, "researcher", "new.csv", map[string]string{"review_turn": "2"})
	})

	t.Run("released outputs only as supporting; released supporting files as outputs (§12.31)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusApproved,
			testenv.File("out.csv"), testenv.File("sup.txt", testenv.Supporting()))
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "out.csv"}})
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Contains(t, airlock.ErrorMessage(err), "Released files cannot be added as output files")
		_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
			{Path: "out.csv", FileType: airlock.FileTypeSupporting}, {Path: "sup.txt"}})
		require.NoError(t, err)
		r := env.Request(t, id)
		assert.Equal(t, airlock.FileTypeSupporting, r.File("out.csv").FileType)
		assert.Equal(t, airlock.FileTypeOutput, r.File("sup.txt").FileType)
	})

	t.Run("re-adding a withdrawn file replaces it (§12.14, §4.4.4)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("a.csv", testenv.ChangesRequested()))
		_, err := env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		require.NoError(t, err)
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceWithdrawn, d.Status)
		mark := env.AuditMark(t, r.ID)
		reset(env)

		view, err := env.Svc.AddFiles(ctx, testenv.Researcher(), r.ID, "again", []service.FileSpec{{Path: "a.csv"}})
		require.NoError(t, err)
		f := view.Request.File("a.csv")
		assert.Equal(t, airlock.FileTypeOutput, f.FileType)
		assert.Equal(t, "again", f.Group)
		assert.Empty(t, f.Reviews)
		assert.Equal(t, airlock.WorkspaceUnderReview, view.WorkspaceStatus["a.csv"])
		assert.Equal(t, []airlock.AuditType{
			airlock.AuditRequestFileResetReview, airlock.AuditRequestFileResetReview,
			airlock.AuditRequestFileWithdraw, airlock.AuditRequestFileUpdate,
		}, testenv.AuditTypes(env.AuditSince(t, r.ID, mark)))
		evs := env.AuditSince(t, r.ID, mark)
		assertAudit(t, evs[0], airlock.AuditRequestFileResetReview, "researcher", "a.csv",
			map[string]string{"reviewer": "checker1", "group": testenv.DefaultGroup, "filetype": "WITHDRAWN"})
		assertAudit(t, evs[3], airlock.AuditRequestFileUpdate, "researcher", "a.csv",
			map[string]string{"group": "again", "filetype": "OUTPUT"})
		assertChanged(t, env, r.ID, airlock.StatusReturned)
	})
}

func TestAirlock_UpdateFiles(t *testing.T) {
	t.Run("on a returned request: votes reset, audit order, new copy, no notification (§12.36)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("a.csv", testenv.ChangesRequested()))
		env.WriteFile(t, testenv.Workspace, "a.csv", "new content\n")
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUpdated, d.Status, "§12.10: UPDATED after the workspace content changes")
		assert.True(t, d.Actions["update"].Allowed)
		mark := env.AuditMark(t, r.ID)
		reset(env)

		view, err := env.Svc.UpdateFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUnderReview, view.WorkspaceStatus["a.csv"])
		stored := env.Request(t, r.ID)
		f := stored.File("a.csv")
		assert.Equal(t, testenv.SHA256("new content\n"), f.FileID)
		assert.Equal(t, testenv.DefaultGroup, f.Group)
		assert.Equal(t, airlock.FileTypeOutput, f.FileType)
		assert.Empty(t, f.Reviews)
		assert.Equal(t, airlock.DecisionIncomplete, airlock.Decide(f, stored.TurnReviewers, env.Svc.Policy()))
		assert.ElementsMatch(t, []string{r.File("a.csv").FileID, f.FileID}, env.Blobs(t, testenv.Workspace, r.ID),
			"the old copy stays")
		evs := env.AuditSince(t, r.ID, mark)
		assert.Equal(t, []airlock.AuditType{
			airlock.AuditRequestFileResetReview, airlock.AuditRequestFileResetReview,
			airlock.AuditRequestFileWithdraw, airlock.AuditRequestFileUpdate,
		}, testenv.AuditTypes(evs))
		assertAudit(t, evs[1], airlock.AuditRequestFileResetReview, "researcher", "a.csv",
			map[string]string{"reviewer": "checker2", "filetype": "OUTPUT", "group": testenv.DefaultGroup})
		assertAudit(t, evs[2], airlock.AuditRequestFileWithdraw, "researcher", "a.csv",
			map[string]string{"filetype": "OUTPUT", "group": testenv.DefaultGroup})
		assertAudit(t, evs[3], airlock.AuditRequestFileUpdate, "researcher", "a.csv",
			map[string]string{"filetype": "OUTPUT", "group": testenv.DefaultGroup})
		assertChanged(t, env, r.ID, airlock.StatusReturned)
		assert.Empty(t, env.Notes.All())
	})

	t.Run("unchanged content: not updated (§12.35)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("a.csv"))
		_, err := env.Svc.UpdateFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "has not changed")
	})

	t.Run("no longer in the manifest (§12.35)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("a.csv"))
		env.RemoveOutput(t, testenv.Workspace, "a.csv")
		_, err := env.Svc.UpdateFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "no longer a valid output file")
	})

	t.Run("not under review, not by others", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("a.csv"))
		env.WriteFile(t, testenv.Workspace, "a.csv", "new\n")
		_, err := env.Svc.UpdateFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		_, err = env.Svc.UpdateFiles(ctx, testenv.Collaborator(), r.ID, []string{"a.csv"})
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		assert.Len(t, env.Blobs(t, testenv.Workspace, r.ID), 1, "nothing copied")
	})

	t.Run("a file not on the request", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		_, err := env.Svc.UpdateFiles(ctx, testenv.Researcher(), r.ID, []string{"nope.csv"})
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
}

func TestAirlock_ChangeFileProperties(t *testing.T) {
	t.Run("moving a file resets its votes (§12.42)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned, testenv.File("a.csv"))
		mark := env.AuditMark(t, r.ID)
		reset(env)
		view, err := env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"a.csv"}, "moved", "")
		require.NoError(t, err)
		f := view.Request.File("a.csv")
		assert.Equal(t, "moved", f.Group)
		assert.Equal(t, airlock.FileTypeOutput, f.FileType)
		assert.Empty(t, env.Request(t, r.ID).File("a.csv").Reviews)
		evs := env.AuditSince(t, r.ID, mark)
		assert.Equal(t, []airlock.AuditType{airlock.AuditRequestFileResetReview, airlock.AuditRequestFileResetReview,
			airlock.AuditRequestFileUpdate}, testenv.AuditTypes(evs))
		assertAudit(t, evs[0], airlock.AuditRequestFileResetReview, "researcher", "a.csv",
			map[string]string{"group": testenv.DefaultGroup, "reviewer": "checker1"})
		assertAudit(t, evs[2], airlock.AuditRequestFileUpdate, "researcher", "a.csv",
			map[string]string{"group": "moved", "filetype": "OUTPUT"})
		assertChanged(t, env, r.ID, airlock.StatusReturned)
		assert.Empty(t, env.Notes.All())
	})

	t.Run("changing the type", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("a.csv"))
		_, err := env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"a.csv"}, "", airlock.FileTypeSupporting)
		require.NoError(t, err)
		f := env.Request(t, r.ID).File("a.csv")
		assert.Equal(t, airlock.FileTypeSupporting, f.FileType)
		assert.Equal(t, testenv.DefaultGroup, f.Group)
	})

	t.Run("a no-op is denied and keeps the votes (§12.42, §12.37)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned, testenv.File("a.csv"))
		_, err := env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"a.csv"}, testenv.DefaultGroup, airlock.FileTypeOutput)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Len(t, env.Request(t, r.ID).File("a.csv").Reviews, 2)
	})

	t.Run("withdrawn files and submitted requests (§12.43)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("a.csv"), testenv.File("b.csv"))
		_, err := env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		require.NoError(t, err)
		_, err = env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"a.csv"}, "x", "")
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "Cannot change file group or type for a withdrawn file")

		s := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusSubmitted, testenv.File("path/file1.txt"))
		_, err = env.Svc.ChangeFileProperties(ctx, testenv.CheckerResearcher(), s.ID, []string{"path/file1.txt"}, "x", "")
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Equal(t, "This request is being reviewed: it can be changed again only if the output checkers return it", airlock.ErrorMessage(err))
	})

	t.Run("a file gone from the manifest can still move; a released file cannot become an output (§12.44)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusApproved, testenv.File("rel.csv"))
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending,
			testenv.File("gone.csv"), testenv.File("rel.csv", testenv.Supporting()))
		env.RemoveOutput(t, testenv.Workspace, "gone.csv")
		_, err := env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"gone.csv"}, "elsewhere", "")
		require.NoError(t, err)
		_, err = env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"rel.csv"}, "elsewhere", "")
		require.NoError(t, err)
		_, err = env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"rel.csv"}, "", airlock.FileTypeOutput)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		stored := env.Request(t, r.ID)
		assert.Equal(t, "elsewhere", stored.File("gone.csv").Group)
		assert.Equal(t, airlock.FileTypeSupporting, stored.File("rel.csv").FileType)
	})

	t.Run("moving a content-updated file keeps the old content (§12.45)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("a.csv"))
		env.WriteFile(t, testenv.Workspace, "a.csv", "newer\n")
		view, err := env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"a.csv"}, "moved", "")
		require.NoError(t, err)
		assert.Equal(t, r.File("a.csv").FileID, view.Request.File("a.csv").FileID)
		assert.Equal(t, airlock.WorkspaceUpdated, view.WorkspaceStatus["a.csv"])
	})

	t.Run("all or nothing across paths", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("a.csv"))
		mark := env.AuditMark(t, r.ID)
		_, err := env.Svc.ChangeFileProperties(ctx, testenv.Researcher(), r.ID, []string{"a.csv", "nope.csv"}, "moved", "")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		assert.Equal(t, testenv.DefaultGroup, env.Request(t, r.ID).File("a.csv").Group)
		assert.Empty(t, env.AuditSince(t, r.ID, mark))
	})
}

func TestAirlock_WithdrawFiles(t *testing.T) {
	t.Run("from PENDING the file is removed, the group stays (§12.39)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending,
			testenv.File("a.csv"), testenv.File("b.csv"))
		reset(env)
		view, err := env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv", "b.csv"})
		require.NoError(t, err)
		assert.Empty(t, view.Request.AllFiles())
		stored := env.Request(t, r.ID)
		require.NotNil(t, stored.Group(testenv.DefaultGroup))
		assert.Empty(t, stored.Group(testenv.DefaultGroup).Files)
		evs := lastAudit(t, env, r.ID, 2)
		assertAudit(t, evs[0], airlock.AuditRequestFileWithdraw, "researcher", "a.csv", map[string]string{"group": testenv.DefaultGroup})
		assertAudit(t, evs[1], airlock.AuditRequestFileWithdraw, "researcher", "b.csv", nil)
		assertChanged(t, env, r.ID, airlock.StatusPending)
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUnreleased, d.Status)
	})

	t.Run("from RETURNED the file stays WITHDRAWN with its votes, even if gone from the manifest (§12.40)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("a.csv", testenv.ChangesRequested()), testenv.File("b.csv"))
		env.RemoveOutput(t, testenv.Workspace, "a.csv")
		_, err := env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		require.NoError(t, err)
		f := env.Request(t, r.ID).File("a.csv")
		assert.Equal(t, airlock.FileTypeWithdrawn, f.FileType)
		assert.Len(t, f.Reviews, 2)
		// §12.15: a withdrawn file gone from the manifest shows INVALID.
		view, err := env.Svc.GetRequest(ctx, testenv.Researcher(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceInvalid, view.WorkspaceStatus["a.csv"])
		// §12.74: withdrawing the changes-requested file still needs a comment to resubmit.
		_, err = env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
	})

	t.Run("denials (§12.41)", func(t *testing.T) {
		for _, st := range []airlock.Status{airlock.StatusSubmitted, airlock.StatusPartiallyReviewed,
			airlock.StatusReviewed, airlock.StatusApproved, airlock.StatusRejected, airlock.StatusReleased,
			airlock.StatusWithdrawn} {
			env := testenv.NewEnv(t)
			r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), st, testenv.File("f.csv"))
			_, err := env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"f.csv"})
			testenv.AssertCode(t, err, airlock.CodeInvalidState)
		}
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned, testenv.File("a.csv"), testenv.File("b.csv"))
		_, err := env.Svc.WithdrawFiles(ctx, testenv.Collaborator(), r.ID, []string{"a.csv"})
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		_, err = env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"bad/path.csv"})
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		require.NoError(t, err)
		_, err = env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"b.csv", "a.csv"})
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
		assert.Contains(t, airlock.ErrorMessage(err), "already been withdrawn")
		assert.Equal(t, airlock.FileTypeOutput, env.Request(t, r.ID).File("b.csv").FileType, "all or nothing")
	})
}

func TestAirlock_OpenRequestFile(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("out/a.csv", testenv.Content("a,b\n1,2\n")))
	pending := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusPending, testenv.File("out/p.csv"))
	env.WriteFile(t, testenv.Workspace, "out/a.csv", "changed later\n")
	reset(env)

	read := func(t *testing.T, u airlock.User, id, p string, download bool) (string, error) {
		rc, f, err := env.Svc.OpenRequestFile(ctx, u, id, p, download)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		assert.Equal(t, p, f.RelPath)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		return string(b), nil
	}

	t.Run("viewing serves the stored copy and is audited, publishing nothing", func(t *testing.T) {
		defer assertNothingPublished(t, env)
		for _, u := range []airlock.User{testenv.Researcher(), testenv.Copilot(), testenv.Checker1()} {
			body, err := read(t, u, r.ID, "out/a.csv", false)
			require.NoError(t, err)
			assert.Equal(t, "a,b\n1,2\n", body)
			ev := lastAudit(t, env, r.ID, 1)[0]
			assertAudit(t, ev, airlock.AuditRequestFileView, u.Username, testenv.DefaultGroup+"/out/a.csv",
				map[string]string{"group": testenv.DefaultGroup, "review_turn": "1"})
		}
	})
	t.Run("download: checkers who are not the author (§12.25, docs/decisions.md §6)", func(t *testing.T) {
		body, err := read(t, testenv.Checker1(), r.ID, "out/a.csv", true)
		require.NoError(t, err)
		assert.Equal(t, "a,b\n1,2\n", body)
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestFileDownload, "checker1",
			testenv.DefaultGroup+"/out/a.csv", map[string]string{"group": testenv.DefaultGroup})
		_, err = read(t, testenv.CheckerResearcher(), r.ID, "out/a.csv", true)
		require.NoError(t, err, "a checker with a role who is not the author")

		mark := env.AuditMark(t, r.ID)
		_, err = read(t, testenv.Researcher(), r.ID, "out/a.csv", true)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		_, err = read(t, testenv.Copilot(), r.ID, "out/a.csv", true)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		assert.Empty(t, env.AuditSince(t, r.ID, mark), "a denied download is not audited as one")

		own := testenv.CreateRequestAtStatus(t, env, testenv.CheckerResearcher(), airlock.StatusSubmitted, testenv.File("out/own.csv"))
		_, err = read(t, testenv.CheckerResearcher(), own.ID, "out/own.csv", true)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)

		_, err = read(t, testenv.Checker1(), pending.ID, "out/p.csv", true)
		testenv.AssertCode(t, err, airlock.CodeInvalidState)
	})
	t.Run("unknown files and users without access", func(t *testing.T) {
		_, err := read(t, testenv.Checker1(), r.ID, "out/none.csv", false)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = read(t, testenv.Outsider(), r.ID, "out/a.csv", false)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
}

// Two adds of the same content to one request at once: the first stores the copy, the
// second finds it in place and commits its reference, and then the first fails (here: the
// file is on the request already). The failed add must not take the copy away from the
// request that now refers to it — it removes nothing, the recovery sweep does (once the
// copy is old and unreferenced).
func TestAirlock_AddFiles_AFailedAddKeepsTheCopyAnotherAddFound(t *testing.T) {
	env := testenv.NewEnv(t)
	id := newPending(t, env)
	u := testenv.Researcher()
	happened := 0
	for round := 0; round < 10 && happened == 0; round++ {
		shared := fmt.Sprintf("output/shared%d.csv", round)
		big := fmt.Sprintf("output/big%d.csv", round)
		// A large second file keeps the first add copying (and counting warnings) while the
		// second add runs.
		env.WriteFiles(t, testenv.Workspace, map[string]string{
			shared: fmt.Sprintf("n\n%d\n", round),
			big:    fmt.Sprintf("n\n%d\n", round) + strings.Repeat("12345678\n", 1<<20),
		})
		sum := testenv.SHA256(fmt.Sprintf("n\n%d\n", round))

		first := make(chan error, 1)
		go func() {
			_, err := env.Svc.AddFiles(ctx, u, id, "first", []service.FileSpec{{Path: shared}, {Path: big}})
			first <- err
		}()
		require.Eventually(t, func() bool { return slices.Contains(env.Blobs(t, testenv.Workspace, id), sum) },
			10*time.Second, time.Millisecond, "the first add stores its copy")
		_, errSecond := env.Svc.AddFiles(ctx, u, id, "second", []service.FileSpec{{Path: shared}})
		errFirst := <-first
		if errSecond != nil || errFirst == nil {
			// The first add committed before the second: not the order under test; again.
			continue
		}
		happened++
		f := env.Request(t, id).File(shared)
		require.NotNil(t, f)
		assert.Equal(t, "second", f.Group)
		rc, _, err := env.Svc.OpenRequestFile(ctx, u, id, shared, false)
		if assert.NoError(t, err, "the failed add removed the copy the other add committed") {
			got, err := io.ReadAll(rc)
			rc.Close()
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("n\n%d\n", round), string(got))
		}
	}
	require.Positive(t, happened, "the second add never committed while the first was copying")
}
