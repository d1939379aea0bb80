package service_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
)

// returnedWith makes a RETURNED request whose files both checkers requested changes on.
func returnedWith(t *testing.T, env *testenv.Env, files map[string]string) *airlock.ReleaseRequest {
	t.Helper()
	var defs []testenv.FileDef
	for p, c := range files {
		defs = append(defs, testenv.File(p, testenv.Content(c), testenv.ChangesRequested()))
	}
	return testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned, defs...)
}

// changesOf reads what changed in relpath for u, as the API does.
func changesOf(t *testing.T, env *testenv.Env, u airlock.User, id, relpath string) render.Diff {
	t.Helper()
	old, cur, f, err := env.Svc.OpenRequestFileChanges(ctx, u, id, relpath)
	require.NoError(t, err)
	defer old.Close()
	defer cur.Close()
	size, err := old.Seek(0, io.SeekEnd)
	require.NoError(t, err)
	d, err := render.DiffFiles(relpath, old, cur, render.Version{SHA256: f.ReviewedFileID, Size: size},
		render.Version{SHA256: f.FileID, Size: f.Size}, render.DefaultDiffLimits)
	require.NoError(t, err)
	return d
}

func TestAirlock_WhatChangedSinceTheReview(t *testing.T) {
	csvV1 := "group,count\nA,12\nB,15\nC,40\n"
	csvV2 := "group,count\nA,12\nB,10\nC,40\nD,9\n"
	csvV3 := "group,count\nA,12\nB,10\nD,9\n"
	txtV1 := "Methods\nWe counted admissions.\nSmall numbers suppressed.\n"
	txtV2 := "Methods\nWe counted admissions by age.\nSmall numbers suppressed.\n"
	pngV1, pngV2 := "\x89PNG\r\n\x1a\nv1", "\x89PNG\r\n\x1a\nversion 2"

	env := testenv.NewEnv(t)
	r := returnedWith(t, env, map[string]string{"output/t.csv": csvV1, "output/notes.txt": txtV1, "output/fig.png": pngV1})
	author, checker := testenv.Researcher(), testenv.Checker1()

	// Reviewed but not changed: nothing to compare, for anyone.
	_, _, _, err := env.Svc.OpenRequestFileChanges(ctx, checker, r.ID, "output/t.csv")
	testenv.AssertCode(t, err, airlock.CodeInvalidState)

	env.WriteFile(t, testenv.Workspace, "output/t.csv", csvV2)
	env.WriteFile(t, testenv.Workspace, "output/notes.txt", txtV2)
	env.WriteFile(t, testenv.Workspace, "output/fig.png", pngV2)
	_, err = env.Svc.UpdateFiles(ctx, author, r.ID, []string{"output/t.csv", "output/notes.txt", "output/fig.png"})
	require.NoError(t, err)
	stored := env.Request(t, r.ID).File("output/t.csv")
	assert.Equal(t, testenv.SHA256(csvV1), stored.ReviewedFileID, "the reviewed content is kept")
	assert.Equal(t, testenv.SHA256(csvV2), stored.FileID)

	// Updated once more before anyone looked again: still compared with what was reviewed.
	env.WriteFile(t, testenv.Workspace, "output/t.csv", csvV3)
	_, err = env.Svc.UpdateFiles(ctx, author, r.ID, []string{"output/t.csv"})
	require.NoError(t, err)
	assert.Equal(t, testenv.SHA256(csvV1), env.Request(t, r.ID).File("output/t.csv").ReviewedFileID)

	mark := env.AuditMark(t, r.ID)
	d := changesOf(t, env, checker, r.ID, "output/t.csv")
	assert.Equal(t, render.DiffCSV, d.Kind)
	assert.Equal(t, render.Version{SHA256: testenv.SHA256(csvV1), Size: int64(len(csvV1))}, d.Old)
	assert.Equal(t, render.Version{SHA256: testenv.SHA256(csvV3), Size: int64(len(csvV3))}, d.New)
	tb := d.Table
	assert.Equal(t, 1, tb.RowsChanged, "B's count")
	assert.Equal(t, 1, tb.CellsChanged)
	assert.Equal(t, 1, tb.RowsRemoved, "C gone")
	assert.Equal(t, 1, tb.RowsAdded, "D new (it keeps no cell of C: not a change of C)")
	assert.Equal(t, render.RowChange{Kind: render.ChangeChanged, OldRow: 2, NewRow: 2,
		Old: []string{"B", "15"}, New: []string{"B", "10"}, Cells: []int{1}}, tb.Changes[0])
	evs := env.AuditSince(t, r.ID, mark)
	require.Len(t, evs, 1)
	assert.Equal(t, airlock.AuditRequestFileView, evs[0].Type)
	assert.Equal(t, "changes", evs[0].Extra["view"])
	assert.Equal(t, "checker1", evs[0].User)

	// Text: a line diff.
	d = changesOf(t, env, author, r.ID, "output/notes.txt")
	require.Equal(t, render.DiffText, d.Kind)
	assert.Equal(t, 1, d.Text.LinesAdded)
	assert.Equal(t, 1, d.Text.LinesRemoved)
	require.Len(t, d.Text.Hunks, 1)
	assert.Contains(t, d.Text.Hunks[0].Lines, render.DiffLine{Kind: render.ChangeRemoved, OldLine: 2, Text: "We counted admissions."})
	assert.Contains(t, d.Text.Hunks[0].Lines, render.DiffLine{Kind: render.ChangeAdded, NewLine: 2, Text: "We counted admissions by age."})

	// Anything else: sizes and hashes.
	d = changesOf(t, env, checker, r.ID, "output/fig.png")
	assert.Equal(t, render.Diff{Kind: render.DiffBinary,
		Old: render.Version{SHA256: testenv.SHA256(pngV1), Size: int64(len(pngV1))},
		New: render.Version{SHA256: testenv.SHA256(pngV2), Size: int64(len(pngV2))}}, d)

	// The same access rule as viewing the file: an outsider does not find it.
	_, _, _, err = env.Svc.OpenRequestFileChanges(ctx, testenv.Outsider(), r.ID, "output/t.csv")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, _, _, err = env.Svc.OpenRequestFileChanges(ctx, checker, r.ID, "output/nope.csv")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
}

func TestAirlock_WhatChanged_MovesAndFirstAdds(t *testing.T) {
	env := testenv.NewEnv(t)
	author := testenv.Researcher()
	r := returnedWith(t, env, map[string]string{"output/t.csv": "a\n1\n"})

	// A move resets the votes; the content they were cast on is kept, so a later update is
	// still compared with it.
	_, err := env.Svc.ChangeFileProperties(ctx, author, r.ID, []string{"output/t.csv"}, "elsewhere", "")
	require.NoError(t, err)
	f := env.Request(t, r.ID).File("output/t.csv")
	assert.Empty(t, f.Reviews)
	assert.Equal(t, f.FileID, f.ReviewedFileID)
	_, _, _, err = env.Svc.OpenRequestFileChanges(ctx, author, r.ID, "output/t.csv")
	testenv.AssertCode(t, err, airlock.CodeInvalidState)
	env.WriteFile(t, testenv.Workspace, "output/t.csv", "a\n2\n")
	_, err = env.Svc.UpdateFiles(ctx, author, r.ID, []string{"output/t.csv"})
	require.NoError(t, err)
	d := changesOf(t, env, author, r.ID, "output/t.csv")
	assert.Equal(t, 1, d.Table.RowsRemoved, "a one-column row that changed keeps no cell")
	assert.Equal(t, 1, d.Table.RowsAdded)

	// A file that was never reviewed has nothing to compare with, even once updated.
	env.WriteFile(t, testenv.Workspace, "output/new.csv", "x\n1\n")
	_, err = env.Svc.AddFiles(ctx, author, r.ID, "elsewhere", []service.FileSpec{{Path: "output/new.csv"}})
	require.NoError(t, err)
	env.WriteFile(t, testenv.Workspace, "output/new.csv", "x\n2\n")
	_, err = env.Svc.UpdateFiles(ctx, author, r.ID, []string{"output/new.csv"})
	require.NoError(t, err)
	_, _, _, err = env.Svc.OpenRequestFileChanges(ctx, author, r.ID, "output/new.csv")
	testenv.AssertCode(t, err, airlock.CodeInvalidState)
	assert.Empty(t, env.Request(t, r.ID).File("output/new.csv").ReviewedFileID)
}
