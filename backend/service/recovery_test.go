package service_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// The sweep removes what no request file refers to (a file withdrawn from a PENDING request
// leaves its blob; a crash leaves temporary files and blobs of uncommitted adds) once older
// than the cut-off, and keeps every referenced blob and everything younger.
func TestAirlock_SweepFiles(t *testing.T) {
	env := testenv.NewEnv(t)
	env.WriteFiles(t, testenv.Workspace, map[string]string{"output/a.csv": "a\n1\n", "output/b.csv": "b\n2\n"})
	id := newPending(t, env)
	u := testenv.Researcher()
	_, err := env.Svc.AddFiles(ctx, u, id, "g", []service.FileSpec{{Path: "output/a.csv"}, {Path: "output/b.csv"}})
	require.NoError(t, err)
	_, err = env.Svc.WithdrawFiles(ctx, u, id, []string{"output/b.csv"})
	require.NoError(t, err)
	dir := filepath.Join(env.Dir, "requests", testenv.Workspace, id)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".tmp-99"), []byte("half"), 0o600))
	assert.ElementsMatch(t, []string{testenv.SHA256("a\n1\n"), testenv.SHA256("b\n2\n"), ".tmp-99"}, env.Blobs(t, testenv.Workspace, id))

	// Everything is younger than the cut-off: nothing goes.
	rep, err := env.Svc.SweepFiles(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Empty(t, rep.Removed)
	assert.Equal(t, 1, rep.Folders)

	rep, err = env.Svc.SweepFiles(ctx, time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		testenv.Workspace + "/" + id + "/" + testenv.SHA256("b\n2\n"),
		testenv.Workspace + "/" + id + "/.tmp-99",
	}, rep.Removed)
	assert.Equal(t, []string{testenv.SHA256("a\n1\n")}, env.Blobs(t, testenv.Workspace, id))
	assert.Empty(t, env.Request(t, id).File("output/b.csv"))
	require.NotNil(t, env.Request(t, id).File("output/a.csv"))
}

// Adds racing a sweep that removes every unreferenced file at once (no grace period at
// all): the sweep keeps out of a folder while an add is writing to it, so every file that
// was added still has its stored copy.
func TestAirlock_SweepFilesNeverRemovesTheCopyOfAnAddInProgress(t *testing.T) {
	env := testenv.NewEnv(t)
	const n = 40
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("output/f%02d.csv", i)] = fmt.Sprintf("n\n%d\n", i)
	}
	env.WriteFiles(t, testenv.Workspace, files)
	id := newPending(t, env)
	u := testenv.Researcher()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	sweeps := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := env.Svc.SweepFiles(ctx, time.Now().Add(time.Hour))
			assert.NoError(t, err)
			sweeps++
		}
	}()
	for i := range n {
		_, err := env.Svc.AddFiles(ctx, u, id, "g", []service.FileSpec{{Path: fmt.Sprintf("output/f%02d.csv", i)}})
		require.NoError(t, err)
	}
	close(stop)
	wg.Wait()
	require.Positive(t, sweeps)

	r := env.Request(t, id)
	for p, content := range files {
		f := r.File(p)
		require.NotNil(t, f, p)
		rc, err := env.Files.Open(testenv.Workspace, id, f.FileID)
		if assert.NoError(t, err, "%s lost its stored copy to the sweep (%d sweeps ran)", p, sweeps) {
			rc.Close()
		}
		assert.Equal(t, testenv.SHA256(content), f.FileID)
	}
	assert.Equal(t, airlock.StatusPending, r.Status)
}
