package service_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// manifestFixture writes, in the researcher's workspace (a job-runner workspace), what
// job-runner leaves beside its outputs: a job log in metadata/, the notice it writes in
// place of an output it excluded (the manifest keeps the output's entry, excluded: true,
// with its message), and a file on disk that no manifest entry declares; plus one output.
func manifestFixture(t *testing.T, env *testenv.Env) {
	t.Helper()
	ws := testenv.Workspace
	env.WriteFile(t, ws, "output/table.csv", "a,b\n1,2\n")
	env.WriteRaw(t, ws, "metadata/generate.log", "job log\n")
	big := env.OutputOf(20<<20, testenv.SHA256("the excluded table"))
	big.Excluded = true
	msg := "File size of 20.0Mb is larger that limit of 16.0Mb."
	big.Message = &msg
	env.SetOutput(t, ws, "output/big.csv", big)
	env.WriteRaw(t, ws, "output/big.csv.txt", "The file output/big.csv was excluded: it is larger than 16Mb.\n")
	env.WriteRaw(t, ws, "output/stray.csv", "left over from an old run\n")
}

func TestAirlock_AddFiles_ManifestOutputsOnly(t *testing.T) {
	cases := []struct{ name, path, reason string }{
		{"job log", "metadata/generate.log",
			"No entry for metadata/generate.log in the workspace's manifest.json: job logs and other metadata files are not outputs and cannot be added to a request"},
		{"exclusion notice", "output/big.csv.txt",
			"No entry for output/big.csv.txt in the workspace's manifest.json: it is job-runner's notice that the output output/big.csv was excluded, not an output, and cannot be added to a request"},
		{"stray file on disk", "output/stray.csv",
			"No entry for output/stray.csv in the workspace's manifest.json: only outputs the manifest lists can be added to a request"},
	}
	for _, c := range cases {
		for _, ft := range []airlock.FileType{airlock.FileTypeOutput, airlock.FileTypeSupporting} {
			t.Run(c.name+" as "+string(ft), func(t *testing.T) {
				env := testenv.NewEnv(t)
				manifestFixture(t, env)
				id := newPending(t, env)
				all := len(env.Audit(t, airlock.AuditFilter{}))
				_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: c.path, FileType: ft}})
				testenv.AssertCode(t, err, airlock.CodeInvalid)
				assert.Equal(t, c.reason, airlock.ErrorMessage(err))

				// Nothing changed: no file, no group, no copy, no audit row, no event.
				r := env.Request(t, id)
				assert.Empty(t, r.AllFiles())
				assert.Empty(t, r.Groups)
				assert.Empty(t, env.Blobs(t, testenv.Workspace, id))
				assert.Len(t, env.Audit(t, airlock.AuditFilter{}), all, "no audit row")
				assertNothingPublished(t, env)

				// Alongside a manifest output the whole call is refused.
				_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
					{Path: "output/table.csv"}, {Path: c.path, FileType: ft}})
				testenv.AssertCode(t, err, airlock.CodeInvalid)
				assert.Empty(t, env.Request(t, id).AllFiles())
				assert.Empty(t, env.Blobs(t, testenv.Workspace, id))

				// The file detail says so too, for both types, before anyone tries.
				if c.path != "output/stray.csv" { // not a visible file: it has no detail
					d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, c.path)
					require.NoError(t, err)
					for _, k := range []airlock.ActionKey{airlock.ActionAdd, airlock.ActionAddOutput, airlock.ActionAddSupporting} {
						assert.Equal(t, airlock.ActionState{Shown: true, Reason: c.reason}, d.Actions[k], k)
					}
				}
			})
		}
	}

	t.Run("a manifest output is still accepted, as OUTPUT and as SUPPORTING", func(t *testing.T) {
		env := testenv.NewEnv(t)
		manifestFixture(t, env)
		env.WriteFile(t, testenv.Workspace, "output/notes.txt", "notes\n")
		id := newPending(t, env)
		view, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
			{Path: "output/table.csv"}, {Path: "output/notes.txt", FileType: airlock.FileTypeSupporting}})
		require.NoError(t, err)
		assert.Equal(t, airlock.FileTypeOutput, view.Request.File("output/table.csv").FileType)
		assert.Equal(t, airlock.FileTypeSupporting, view.Request.File("output/notes.txt").FileType)
		assert.ElementsMatch(t, []string{testenv.SHA256("a,b\n1,2\n"), testenv.SHA256("notes\n")}, env.Blobs(t, testenv.Workspace, id))
	})

	t.Run("a missing path is still not found", func(t *testing.T) {
		env := testenv.NewEnv(t)
		manifestFixture(t, env)
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/nothing.csv"}})
		testenv.AssertCode(t, err, airlock.CodeNotFound)
	})

	t.Run("a stray file is refused only once the request may be edited", func(t *testing.T) {
		env := testenv.NewEnv(t)
		manifestFixture(t, env)
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Collaborator(), id, "", []service.FileSpec{{Path: "output/stray.csv"}})
		require.Error(t, err)
		assert.NotEqual(t, airlock.CodeInvalid, airlock.ErrorCode(err), "a denial about the request comes first: %v", err)
	})

	t.Run("a plain folder keeps its job logs and every file addable", func(t *testing.T) {
		env := testenv.NewEnv(t)
		manifestFixture(t, env)
		require.NoError(t, os.Remove(filepath.Join(env.Root, testenv.Workspace, "metadata", "manifest.json")))
		id := newPending(t, env)
		view, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
			{Path: "metadata/generate.log"}, {Path: "output/stray.csv", FileType: airlock.FileTypeSupporting}, {Path: "output/big.csv.txt"}})
		require.NoError(t, err)
		assert.Len(t, view.Request.AllFiles(), 3)
	})
}

// The tree says which files cannot be added and why, with the same reasons.
func TestAirlock_ListTree_ManifestReasons(t *testing.T) {
	env := testenv.NewEnv(t)
	manifestFixture(t, env)
	u := testenv.Researcher()
	byPath := func(dir string) map[string]service.TreeItem {
		items, err := env.Svc.ListTree(ctx, u, testenv.Workspace, dir, true)
		require.NoError(t, err)
		out := map[string]service.TreeItem{}
		for _, it := range items {
			out[it.Path] = it
		}
		return out
	}
	out, meta := byPath("output"), byPath("metadata")
	assert.NotContains(t, out, "output/stray.csv", "not in the manifest: not in the tree")
	assert.Equal(t, airlock.ActionState{Shown: true, Allowed: true}, out["output/table.csv"].Actions[airlock.ActionAdd])
	assert.Equal(t, airlock.ActionState{Shown: true, Allowed: true}, out["output/table.csv"].Actions[airlock.ActionAddSupporting])
	for _, it := range []service.TreeItem{out["output/big.csv.txt"], meta["metadata/generate.log"], meta["metadata/manifest.json"]} {
		d, err := env.Svc.GetWorkspaceFile(ctx, u, testenv.Workspace, it.Path)
		require.NoError(t, err)
		assert.False(t, it.Actions[airlock.ActionAdd].Allowed, it.Path)
		assert.Contains(t, it.Actions[airlock.ActionAdd].Reason, "No entry for "+it.Path+" in the workspace's manifest.json", it.Path)
		assert.Equal(t, d.Actions, it.Actions, "tree and detail agree: %s", it.Path)
	}
	// Once the researcher has a request, "update" joins in, file by file.
	id := newPending(t, env)
	_, err := env.Svc.AddFiles(ctx, u, id, "", []service.FileSpec{{Path: "output/table.csv"}})
	require.NoError(t, err)
	env.WriteFile(t, testenv.Workspace, "output/table.csv", "a,b\n1,3\n")
	out = byPath("output")
	assert.Equal(t, airlock.ActionState{Shown: true, Allowed: true}, out["output/table.csv"].Actions[airlock.ActionUpdate])
	assert.False(t, out["output/big.csv.txt"].Actions[airlock.ActionUpdate].Allowed)
	d, err := env.Svc.GetWorkspaceFile(ctx, u, testenv.Workspace, "output/table.csv")
	require.NoError(t, err)
	assert.Equal(t, d.Actions, out["output/table.csv"].Actions)
}
