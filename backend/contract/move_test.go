package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// fileOf is the file at path in a request view.
func fileOf(t *testing.T, r Request, path string) File {
	t.Helper()
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if f.Path == path {
				return f
			}
		}
	}
	t.Fatalf("no file %s in the view", path)
	return File{}
}

// The per-file "move" action: whether the file may go to another group, as the service
// decides when it is moved (ChangeFileProperties with a group), in a few statuses.
func TestFileActions_Move(t *testing.T) {
	ctx := testenv.Ctx()
	author, checker := testenv.Researcher(), testenv.Checker1()
	files := []testenv.FileDef{testenv.File("output/a.csv"), testenv.File("output/notes.txt", testenv.Supporting())}

	// move answers what moving does: allowed exactly when the service moves the file.
	// (each case has its own backend: a workspace holds one active request per author)
	agrees := func(t *testing.T, env *testenv.Env, u airlock.User, id, path string, want airlock.ActionState) {
		t.Helper()
		got := fileOf(t, view(t, env, u, id), path).Actions["move"]
		assert.Equal(t, want, got)
		_, err := env.Svc.ChangeFileProperties(ctx, u, id, []string{path}, "moved", "")
		if want.Allowed {
			require.NoError(t, err)
			return
		}
		require.Error(t, err)
		assert.Equal(t, want.Reason, airlock.ErrorMessage(err))
	}

	t.Run("pending: the author may move output and supporting files; a checker may not", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, author, airlock.StatusPending, files...)
		got := view(t, env, checker, r.ID)
		assert.False(t, fileOf(t, got, "output/a.csv").Actions["move"].Allowed)
		assert.NotEmpty(t, fileOf(t, got, "output/a.csv").Actions["move"].Reason)
		agrees(t, env, author, r.ID, "output/a.csv", airlock.ActionState{Shown: true, Allowed: true})
		agrees(t, env, author, r.ID, "output/notes.txt", airlock.ActionState{Shown: true, Allowed: true})
		// moved files may move again (back, or on)
		assert.True(t, fileOf(t, view(t, env, author, r.ID), "output/a.csv").Actions["move"].Allowed)
	})
	t.Run("submitted: nobody may move files while under review", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, author, airlock.StatusSubmitted, files...)
		agrees(t, env, author, r.ID, "output/a.csv", airlock.ActionState{Shown: true, Reason: "This request is being reviewed: it can be changed again only if the output checkers return it"})
		agrees(t, env, checker, r.ID, "output/a.csv", fileOf(t, view(t, env, checker, r.ID), "output/a.csv").Actions["move"])
		assert.False(t, fileOf(t, view(t, env, checker, r.ID), "output/a.csv").Actions["move"].Allowed)
	})
	t.Run("returned: the author may move files again, but not withdrawn ones", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, author, airlock.StatusReturned,
			testenv.File("output/a.csv", testenv.ChangesRequested()), testenv.File("output/b.csv"))
		_, err := env.Svc.WithdrawFiles(ctx, author, r.ID, []string{"output/b.csv"})
		require.NoError(t, err)
		got := view(t, env, author, r.ID)
		assert.Equal(t, airlock.FileTypeWithdrawn, fileOf(t, got, "output/b.csv").FileType)
		agrees(t, env, author, r.ID, "output/b.csv", airlock.ActionState{Shown: true, Reason: "Cannot change file group or type for a withdrawn file"})
		agrees(t, env, author, r.ID, "output/a.csv", airlock.ActionState{Shown: true, Allowed: true})
	})
	t.Run("approved and released: closed to changes", func(t *testing.T) {
		for _, st := range []airlock.Status{airlock.StatusApproved, airlock.StatusReleased} {
			env := testenv.NewEnv(t)
			r := testenv.CreateRequestAtStatus(t, env, author, st, files...)
			got := fileOf(t, view(t, env, author, r.ID), "output/a.csv").Actions["move"]
			assert.False(t, got.Allowed, st)
			assert.NotEmpty(t, got.Reason, st)
		}
	})
}
