package service_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// sizeLimitEnv is an environment whose policy refuses files over limit bytes.
func sizeLimitEnv(t *testing.T, limit int64) *testenv.Env {
	p := airlock.DefaultPolicy()
	p.MaxFileSize = limit
	return testenv.NewEnv(t, testenv.WithPolicy(p))
}

// docs/decisions.md §7 and §8: a file over the configured size limit is refused before
// anything is copied; nothing is stored, written, audited or published.
func TestAirlock_FileSizeLimit(t *testing.T) {
	const limit = 64

	t.Run("adding a file over the limit: too_large, all or nothing", func(t *testing.T) {
		env := sizeLimitEnv(t, limit)
		env.WriteFile(t, testenv.Workspace, "output/small.csv", strings.Repeat("s", limit)) // exactly the limit
		env.WriteFile(t, testenv.Workspace, "output/big.csv", strings.Repeat("b", limit+36))
		id := newPending(t, env)
		mark := env.AuditMark(t, id)

		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{
			{Path: "output/small.csv"}, {Path: "output/big.csv"}})
		testenv.AssertCode(t, err, airlock.CodeTooLarge)
		assert.Equal(t, "File output/big.csv is 100 bytes, larger than the limit of 64 bytes for files on a request",
			airlock.ErrorMessage(err))
		assert.Empty(t, env.Request(t, id).AllFiles(), "nothing added")
		assert.Empty(t, env.Blobs(t, testenv.Workspace, id), "nothing copied, not even the file within the limit")
		assert.Empty(t, env.AuditSince(t, id, mark), "nothing audited")
		assertNothingPublished(t, env)

		// The file within the limit alone is fine.
		_, err = env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/small.csv"}})
		require.NoError(t, err)
		assert.NotNil(t, env.Request(t, id).File("output/small.csv"))
	})

	t.Run("the size is checked before copying: the workspace's size decides", func(t *testing.T) {
		// The manifest says the file is over the limit; its content is small. A check made
		// after copying would let it through.
		env := sizeLimitEnv(t, limit)
		env.WriteFile(t, testenv.Workspace, "output/said-big.csv", "tiny\n")
		o, _ := env.Output(testenv.Workspace, "output/said-big.csv")
		o.Size = 1 << 30
		env.SetOutput(t, testenv.Workspace, "output/said-big.csv", o)
		id := newPending(t, env)
		mark := env.AuditMark(t, id)

		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/said-big.csv"}})
		testenv.AssertCode(t, err, airlock.CodeTooLarge)
		assert.Contains(t, airlock.ErrorMessage(err), "is 1 GiB")
		assert.Empty(t, env.Blobs(t, testenv.Workspace, id))
		assert.Empty(t, env.AuditSince(t, id, mark))
		assertNothingPublished(t, env)
	})

	t.Run("a file larger than it said is never copied past the limit", func(t *testing.T) {
		// The manifest says the file is within the limit; its content is not.
		env := sizeLimitEnv(t, limit)
		env.WriteFile(t, testenv.Workspace, "output/grown.csv", "small\n")
		env.WriteRaw(t, testenv.Workspace, "output/grown.csv", strings.Repeat("g", 10*limit))
		id := newPending(t, env)
		mark := env.AuditMark(t, id)

		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/grown.csv"}})
		testenv.AssertCode(t, err, airlock.CodeTooLarge)
		assert.Equal(t, "File output/grown.csv is 640 bytes, larger than the limit of 64 bytes for files on a request",
			airlock.ErrorMessage(err))
		assert.Empty(t, env.Blobs(t, testenv.Workspace, id), "no copy and no temporary file left")
		assert.Empty(t, env.AuditSince(t, id, mark))
		assertNothingPublished(t, env)
	})

	t.Run("updating to content over the limit: too_large, the old copy and votes stay", func(t *testing.T) {
		env := sizeLimitEnv(t, limit)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("a.csv", testenv.ChangesRequested()))
		before := env.Request(t, r.ID).File("a.csv")
		require.Len(t, before.Reviews, 2)
		blobs := env.Blobs(t, testenv.Workspace, r.ID)
		env.WriteFile(t, testenv.Workspace, "a.csv", strings.Repeat("n", 2*limit))
		mark := env.AuditMark(t, r.ID)
		reset(env)

		_, err := env.Svc.UpdateFiles(ctx, testenv.Researcher(), r.ID, []string{"a.csv"})
		testenv.AssertCode(t, err, airlock.CodeTooLarge)
		assert.Equal(t, "File a.csv is 128 bytes, larger than the limit of 64 bytes for files on a request",
			airlock.ErrorMessage(err))
		after := env.Request(t, r.ID).File("a.csv")
		assert.Equal(t, before.FileID, after.FileID, "the stored copy is unchanged")
		assert.Len(t, after.Reviews, 2, "votes kept")
		assert.Equal(t, blobs, env.Blobs(t, testenv.Workspace, r.ID), "nothing copied")
		assert.Empty(t, env.AuditSince(t, r.ID, mark))
		assertNothingPublished(t, env)
	})

	t.Run("the file detail's actions say why", func(t *testing.T) {
		env := sizeLimitEnv(t, limit)
		testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("a.csv", testenv.ChangesRequested()))
		env.WriteFile(t, testenv.Workspace, "a.csv", strings.Repeat("n", 2*limit))
		env.WriteFile(t, testenv.Workspace, "output/big.csv", strings.Repeat("b", 3*limit))
		env.WriteFile(t, testenv.Workspace, "output/fine.csv", "ok\n")

		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUpdated, d.Status)
		assert.Equal(t, airlock.ActionState{Shown: true, Reason: "File a.csv is 128 bytes, larger than the limit of 64 bytes for files on a request"},
			d.Actions["update"])

		d, err = env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "output/big.csv")
		require.NoError(t, err)
		want := airlock.ActionState{Shown: true, Reason: "File output/big.csv is 192 bytes, larger than the limit of 64 bytes for files on a request"}
		assert.Equal(t, want, d.Actions["add"])
		assert.Equal(t, want, d.Actions["addOutput"])
		assert.Equal(t, want, d.Actions["addSupporting"])

		d, err = env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "output/fine.csv")
		require.NoError(t, err)
		assert.True(t, d.Actions["add"].Allowed)

		// A reason about the request comes first: someone else's view names no size.
		d, err = env.Svc.GetWorkspaceFile(ctx, testenv.Checker1(), testenv.Workspace, "output/big.csv")
		require.NoError(t, err)
		assert.False(t, d.Actions["add"].Allowed)
		assert.NotContains(t, d.Actions["add"].Reason, "limit")
	})

	t.Run("no limit by default", func(t *testing.T) {
		env := testenv.NewEnv(t)
		env.WriteFile(t, testenv.Workspace, "output/big.csv", strings.Repeat("b", 1<<20))
		id := newPending(t, env)
		_, err := env.Svc.AddFiles(ctx, testenv.Researcher(), id, "", []service.FileSpec{{Path: "output/big.csv"}})
		require.NoError(t, err)
	})
}
