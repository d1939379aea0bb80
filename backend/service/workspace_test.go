package service_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

func TestAirlock_ListWorkspaces(t *testing.T) {
	env := testenv.NewEnv(t)
	// A broken manifest hides a workspace from every listing (§12.2).
	env.AddWorkspace(t, "broken")
	require.NoError(t, os.WriteFile(filepath.Join(env.Root, "broken", "metadata", "manifest.json"), []byte("{nope"), 0o644))
	// A plain file in the root is not a workspace (§12.3).
	require.NoError(t, os.WriteFile(filepath.Join(env.Root, "README"), []byte("x"), 0o644))

	names := func(sums []service.WorkspaceSummary) []string {
		var out []string
		for _, s := range sums {
			out = append(out, s.Name)
		}
		return out
	}
	list := func(t *testing.T, u airlock.User) []service.WorkspaceSummary {
		t.Helper()
		sums, err := env.Svc.ListWorkspaces(ctx, u)
		require.NoError(t, err)
		return sums
	}

	t.Run("role workspaces whose folders exist (§12.1)", func(t *testing.T) {
		u := testenv.Researcher()
		u.Workspaces["missing"] = u.Workspaces[testenv.Workspace]
		sums := list(t, u)
		assert.Equal(t, []string{testenv.Workspace}, names(sums))
		assert.Equal(t, service.WorkspaceSummary{
			Name: testenv.Workspace, Project: testenv.Project, Archived: false, Active: true,
			Access: airlock.AccessRole, CanCreateRequest: true,
			CreateRequest: airlock.ActionState{Shown: true, Allowed: true},
		}, sums[0])
	})
	t.Run("checkers and read-only users see every workspace folder (§12.16)", func(t *testing.T) {
		sums := list(t, testenv.Checker1())
		assert.Equal(t, []string{testenv.OtherWorkspace, testenv.Workspace}, names(sums))
		assert.Equal(t, airlock.AccessChecker, sums[0].Access)
		assert.Equal(t, "Unknown project", sums[0].Project.Name)
		assert.True(t, sums[0].Active)
		assert.False(t, sums[0].Archived)
		assert.False(t, sums[0].CanCreateRequest)
		assert.Equal(t, []string{}, sums[0].Project.Orgs)
		ro := list(t, testenv.Readonly())
		assert.Equal(t, []string{testenv.OtherWorkspace, testenv.Workspace}, names(ro))
		assert.Equal(t, airlock.AccessReadonly, ro[0].Access)
		both := list(t, testenv.CheckerResearcher())
		assert.Equal(t, airlock.AccessRole, both[1].Access)
		assert.True(t, both[1].CanCreateRequest)
	})
	t.Run("copilots and outsiders", func(t *testing.T) {
		sums := list(t, testenv.Copilot())
		assert.Equal(t, []string{testenv.Workspace}, names(sums))
		assert.Equal(t, airlock.AccessCopilot, sums[0].Access)
		assert.False(t, sums[0].CanCreateRequest)
		assert.Equal(t, airlock.StateOf(airlock.CheckCanCreateRequest(testenv.Copilot(), testenv.Workspace)), sums[0].CreateRequest)
		assert.NotEmpty(t, sums[0].CreateRequest.Reason, "a copilot is told why not")
		assert.Equal(t, []string{testenv.OtherWorkspace}, names(list(t, testenv.Outsider())))
		assert.Empty(t, list(t, airlock.User{Username: "nobody"}))
	})
	t.Run("archived and inactive", func(t *testing.T) {
		s := list(t, testenv.Archived(testenv.Researcher(), testenv.Workspace))[0]
		assert.True(t, s.Archived)
		assert.False(t, s.Active)
		assert.False(t, s.CanCreateRequest)
		assert.Equal(t, airlock.ActionState{Shown: true, Reason: "The workspace " + testenv.Workspace + " has been archived"}, s.CreateRequest)
		s = list(t, testenv.Inactive(testenv.Researcher(), testenv.Workspace))[0]
		assert.False(t, s.Archived)
		assert.False(t, s.Active)
		assert.False(t, s.CreateRequest.Allowed)
		assert.Contains(t, s.CreateRequest.Reason, "project that is not ongoing")
	})
	t.Run("the current request", func(t *testing.T) {
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
		s := list(t, testenv.Researcher())[0]
		require.NotNil(t, s.CurrentRequestID)
		assert.Equal(t, r.ID, *s.CurrentRequestID)
		assert.Nil(t, list(t, testenv.Collaborator())[0].CurrentRequestID)
	})
}

func TestAirlock_GetWorkspace(t *testing.T) {
	env := testenv.NewEnv(t)
	ws, err := env.Svc.GetWorkspace(ctx, testenv.Researcher(), testenv.Workspace)
	require.NoError(t, err)
	assert.Equal(t, testenv.Workspace, ws.Name)
	assert.NotEmpty(t, ws.ManifestHash)
	env.WriteFile(t, testenv.Workspace, "out.csv", "1\n")
	again, err := env.Svc.GetWorkspace(ctx, testenv.Researcher(), testenv.Workspace)
	require.NoError(t, err)
	assert.NotEqual(t, ws.ManifestHash, again.ManifestHash, "the hash changes with the outputs")

	_, err = env.Svc.GetWorkspace(ctx, testenv.Outsider(), testenv.Workspace)
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, err = env.Svc.GetWorkspace(ctx, testenv.Checker1(), "no-such-workspace")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
}

func TestAirlock_ListTree(t *testing.T) {
	env := testenv.NewEnv(t)
	ws := testenv.Workspace
	status := func(t *testing.T, u airlock.User, dir, name string) airlock.WorkspaceFileStatus {
		t.Helper()
		items, err := env.Svc.ListTree(ctx, u, ws, dir, true)
		require.NoError(t, err)
		for _, it := range items {
			if it.Name == name {
				return it.Status
			}
		}
		return airlock.WorkspaceInvalid
	}
	r := testenv.Researcher()

	t.Run("status progression (§12.10, §12.11, §12.13)", func(t *testing.T) {
		env.WriteFile(t, ws, "out/other.csv", "o\n")
		assert.Equal(t, airlock.WorkspaceInvalid, status(t, r, "out", "file.csv"), "absent")
		env.WriteFile(t, ws, "out/file.csv", "v1\n")
		assert.Equal(t, airlock.WorkspaceUnreleased, status(t, r, "out", "file.csv"))
		view, _, err := env.Svc.GetOrCreateRequest(ctx, r, ws)
		require.NoError(t, err)
		testenv.AddFiles(t, env, r, view.Request.ID, testenv.File("out/other.csv", testenv.Content("o\n")))
		assert.Equal(t, airlock.WorkspaceUnreleased, status(t, r, "out", "file.csv"), "request exists, file not on it")
		_, err = env.Svc.AddFiles(ctx, r, view.Request.ID, "", []service.FileSpec{{Path: "out/file.csv"}})
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUnderReview, status(t, r, "out", "file.csv"))
		assert.Equal(t, airlock.WorkspaceUnreleased, status(t, testenv.Collaborator(), "out", "file.csv"),
			"statuses are per user: another user's request does not count")
		require.NoError(t, os.Remove(filepath.Join(env.Root, ws, "out", "file.csv")))
		assert.Equal(t, airlock.WorkspaceUnderReview, status(t, r, "out", "file.csv"), "the manifest alone decides")
		env.WriteFile(t, ws, "out/file.csv", "v2\n")
		assert.Equal(t, airlock.WorkspaceUpdated, status(t, r, "out", "file.csv"))
	})

	t.Run("entries: directories, files, allowed types, out-of-date outputs (§12.6)", func(t *testing.T) {
		env.WriteFile(t, ws, "out/sub/deep.csv", "d\n")
		env.WriteFile(t, ws, "out/binary.foo", "b\n")
		env.WriteFile(t, ws, "out/stale.csv", "s\n")
		o, _ := env.Output(ws, "out/stale.csv")
		o.OutOfDateAction = true
		env.SetOutput(t, ws, "out/stale.csv", o)

		items, err := env.Svc.ListTree(ctx, testenv.Copilot(), ws, "out", false)
		require.NoError(t, err)
		var got []string
		for _, it := range items {
			got = append(got, it.Name)
			switch it.Name {
			case "sub":
				assert.True(t, it.Dir)
				assert.Empty(t, it.Status)
			case "binary.foo":
				assert.False(t, it.AllowedType)
				assert.Equal(t, airlock.WorkspaceUnreleased, it.Status)
			case "file.csv":
				assert.True(t, it.AllowedType)
				assert.Equal(t, int64(3), it.File.Size)
			}
		}
		assert.Equal(t, []string{"sub", "binary.foo", "file.csv", "other.csv"}, got)
		items, err = env.Svc.ListTree(ctx, testenv.Copilot(), ws, "out", true)
		require.NoError(t, err)
		assert.Len(t, items, 5)
		root, err := env.Svc.ListTree(ctx, testenv.Copilot(), ws, "", false)
		require.NoError(t, err)
		require.NotEmpty(t, root)
		assert.Equal(t, "metadata", root[0].Name)
	})

	t.Run("access", func(t *testing.T) {
		_, err := env.Svc.ListTree(ctx, testenv.Outsider(), ws, "", false)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.ListTree(ctx, testenv.Checker1(), ws, "../..", false)
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
}

func TestAirlock_GetWorkspaceFile(t *testing.T) {
	env := testenv.NewEnv(t)
	ws := testenv.Workspace
	env.WriteFile(t, ws, "out/a.csv", "a\n")
	env.WriteFile(t, ws, "out/x.foo", "x\n")

	t.Run("no request yet: adding creates one", func(t *testing.T) {
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), ws, "out/a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUnreleased, d.Status)
		assert.Equal(t, testenv.SHA256("a\n"), d.File.ContentHash)
		assert.True(t, d.AllowedType)
		assert.Nil(t, d.Request)
		assert.Equal(t, airlock.ActionState{Shown: true, Allowed: true}, d.Actions["add"])
		assert.True(t, d.Actions["addSupporting"].Allowed)
		assert.False(t, d.Actions["update"].Allowed)
		assert.NotEmpty(t, d.Actions["update"].Reason)
	})
	t.Run("users who cannot author are told why", func(t *testing.T) {
		for _, u := range []airlock.User{testenv.Checker1(), testenv.Copilot(), testenv.Archived(testenv.Researcher(), ws)} {
			d, err := env.Svc.GetWorkspaceFile(ctx, u, ws, "out/a.csv")
			require.NoError(t, err)
			assert.False(t, d.Actions["add"].Allowed, u.Username)
			assert.NotEmpty(t, d.Actions["add"].Reason, u.Username)
		}
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), ws, "out/x.foo")
		require.NoError(t, err)
		assert.False(t, d.AllowedType)
		assert.False(t, d.Actions["add"].Allowed)
		assert.Contains(t, d.Actions["add"].Reason, ".foo")
	})
	t.Run("on the current request; under review", func(t *testing.T) {
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending,
			testenv.File("out/a.csv", testenv.Content("a\n"), testenv.InGroup("g")))
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), ws, "out/a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUnderReview, d.Status)
		assert.Equal(t, &service.FileOnRequest{ID: r.ID, Group: "g", FileType: airlock.FileTypeOutput}, d.Request)
		assert.False(t, d.Actions["add"].Allowed)
		assert.False(t, d.Actions["update"].Allowed)
		env.WriteFile(t, ws, "out/a.csv", "a2\n")
		d, err = env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), ws, "out/a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUpdated, d.Status)
		assert.True(t, d.Actions["update"].Allowed)

		_, err = env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		require.NoError(t, err)
		env.WriteFile(t, ws, "out/b.csv", "b\n")
		d, err = env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), ws, "out/b.csv")
		require.NoError(t, err)
		assert.False(t, d.Actions["add"].Allowed)
		assert.Contains(t, d.Actions["add"].Reason, "being reviewed")
	})
	t.Run("a released file can be added only as supporting", func(t *testing.T) {
		env := testenv.NewEnv(t)
		testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusApproved, testenv.File("out/r.csv"))
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), ws, "out/r.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceReleased, d.Status)
		assert.True(t, d.Actions["add"].Allowed)
		assert.Contains(t, d.Actions["add"].Reason, "Released files cannot be added as output files")
		assert.False(t, d.Actions["addOutput"].Allowed)
		assert.True(t, d.Actions["addSupporting"].Allowed)
	})
	t.Run("not found", func(t *testing.T) {
		_, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), ws, "out/missing.csv")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
		_, err = env.Svc.GetWorkspaceFile(ctx, testenv.Outsider(), ws, "out/a.csv")
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})
}

func TestAirlock_OpenWorkspaceFile(t *testing.T) {
	env := testenv.NewEnv(t)
	env.WriteFile(t, testenv.Workspace, "out/a.csv", "a,b\n")
	rc, wf, err := env.Svc.OpenWorkspaceFile(ctx, testenv.Copilot(), testenv.Workspace, "out/a.csv")
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	assert.Equal(t, "a,b\n", string(b))
	assert.Equal(t, "out/a.csv", wf.Path)
	evs := env.Audit(t, airlock.AuditFilter{Workspace: testenv.Workspace})
	require.Len(t, evs, 1)
	assertAudit(t, evs[0], airlock.AuditWorkspaceFileView, "copilot", "out/a.csv", nil)
	assert.Equal(t, testenv.Workspace, evs[0].Workspace)
	assert.Empty(t, evs[0].Request)
	assert.NotContains(t, evs[0].Extra, "review_turn")
	assertNothingPublished(t, env)

	_, _, err = env.Svc.OpenWorkspaceFile(ctx, testenv.Outsider(), testenv.Workspace, "out/a.csv")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, _, err = env.Svc.OpenWorkspaceFile(ctx, testenv.Checker1(), testenv.Workspace, "out")
	testenv.AssertCode(t, err, airlock.CodeInvalid) // a directory (§6: 400)
	_, _, err = env.Svc.OpenWorkspaceFile(ctx, testenv.Checker1(), testenv.Workspace, "out/nope.csv")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	assert.Len(t, env.Audit(t, airlock.AuditFilter{}), 1, "failed views are not audited")
}
