package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/acro"
	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

const acroTable = ",female,male\nnorth,12,40\nsouth,3,38\n"

// acroResults is a results.json as ACRO 0.4 writes it, naming admissions_0.csv (fail, with
// an exception request) and a custom output (review, with comments).
const acroResults = `{
    "version": "0.4.12",
    "results": {
        "admissions": {
            "uid": "admissions", "status": "fail", "type": "table",
            "properties": {"method": "crosstab"},
            "files": [{"name": "admissions_0.csv", "sdc": {
                "summary": {"suppressed": false, "negative": 0, "missing": 0, "threshold": 1, "p-ratio": 0, "nk-rule": 0, "all-values-are-same": 0},
                "cells": {"negative": [], "missing": [], "threshold": [[1, 0]], "p-ratio": [], "nk-rule": [], "all-values-are-same": []}}}],
            "outcome": {"female": {"north": "ok", "south": "threshold; "}, "male": {"north": "ok", "south": "ok"}},
            "command": "acro.crosstab(df.region, df.sex)",
            "summary": "fail; threshold: 1 cells may need suppressing; ",
            "timestamp": "2024-05-02T10:14:07.101112",
            "comments": ["Regions as coded by the trust"],
            "exception": "The small cell is a structural zero"
        },
        "output_1": {
            "uid": "output_1", "status": "review", "type": "custom", "properties": {},
            "files": [{"name": "notes.txt", "sdc": {}}],
            "outcome": {}, "command": "custom", "summary": "review",
            "timestamp": "2024-05-02T10:15:00.000000", "comments": ["drawn by hand"], "exception": ""
        }
    }
}`

// writeACRO writes an ACRO output folder at dir of the workspace as ACRO's finalise does:
// the outputs and results.json, then checksums/<name>.txt of every file of the folder.
// Every file is an output of the manifest, as job-runner would list it.
func writeACRO(t *testing.T, env *testenv.Env, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		env.WriteFile(t, testenv.Workspace, dir+"/"+name, content)
	}
	for name, content := range files {
		env.WriteFile(t, testenv.Workspace, dir+"/checksums/"+name+".txt", testenv.SHA256(content))
	}
}

func TestWorkspaceFileACRO(t *testing.T) {
	env := testenv.NewEnv(t)
	writeACRO(t, env, "output/acro", map[string]string{
		"results.json": acroResults, "admissions_0.csv": acroTable, "notes.txt": "a note\n",
	})
	env.WriteFile(t, testenv.Workspace, "output/acro/unrelated.csv", "a\n1\n")
	u := testenv.Checker1()

	v, err := env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/acro/admissions_0.csv")
	require.NoError(t, err)
	require.NotNil(t, v)
	assert.Equal(t, "output/acro/results.json", v.ResultsPath)
	assert.Equal(t, service.ACROFromWorkspace, v.Source)
	assert.Equal(t, "0.4.12", v.Version)
	assert.Equal(t, acro.StatusFail, v.Output.Status)
	assert.Equal(t, "The small cell is a structural zero", v.Output.Exception)
	assert.Equal(t, []string{"Regions as coded by the trust"}, v.Output.Comments)
	assert.Equal(t, []acro.Cell{{Check: "threshold", Row: 1, Column: 0}}, v.File.SDC.Cells)
	assert.Equal(t, acro.ChecksumMatch, v.Checksum.State, v.Checksum.Message)
	assert.Equal(t, "output/acro/checksums/admissions_0.csv.txt", v.ChecksumPath)
	assert.Equal(t, testenv.SHA256(acroTable), v.Checksum.Actual)
	assert.Equal(t, acro.ChecksumMatch, v.ResultsChecksum.State)

	v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/acro/notes.txt")
	require.NoError(t, err)
	assert.Equal(t, acro.StatusReview, v.Output.Status)
	assert.Equal(t, []string{"drawn by hand"}, v.Output.Comments)

	for _, p := range []string{"output/acro/unrelated.csv", "output/acro/results.json", "output/acro/checksums/notes.txt.txt"} {
		v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, p)
		require.NoError(t, err)
		assert.Nil(t, v, "%s: no ACRO record", p)
	}

	// The file changed after ACRO checked it: loud, with both hashes.
	env.WriteFile(t, testenv.Workspace, "output/acro/admissions_0.csv", ",female,male\nnorth,12,40\nsouth,5,38\n")
	v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/acro/admissions_0.csv")
	require.NoError(t, err)
	assert.Equal(t, acro.ChecksumMismatch, v.Checksum.State)
	assert.Equal(t, testenv.SHA256(acroTable), v.Checksum.Expected)
	assert.Contains(t, v.Checksum.Message, "changed after ACRO checked it")
	assert.Equal(t, acro.ChecksumMatch, v.ResultsChecksum.State)

	// The bytes are hashed, not the manifest's word for them: a file rewritten behind the
	// manifest's back is still found out.
	env.WriteFile(t, testenv.Workspace, "output/acro/notes.txt", "a note\n")
	env.WriteRaw(t, testenv.Workspace, "output/acro/notes.txt", "a changed note\n")
	v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/acro/notes.txt")
	require.NoError(t, err)
	assert.Equal(t, acro.ChecksumMismatch, v.Checksum.State)

	// results.json edited after ACRO wrote it (a fail made a pass): its own checksum says so.
	env.WriteFile(t, testenv.Workspace, "output/acro/results.json", strings.Replace(acroResults, `"status": "fail"`, `"status": "pass"`, 1))
	v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/acro/admissions_0.csv")
	require.NoError(t, err)
	assert.Equal(t, acro.StatusPass, v.Output.Status)
	assert.Equal(t, acro.ChecksumMismatch, v.ResultsChecksum.State)
	assert.Contains(t, v.ResultsChecksum.Message, "cannot be trusted")

	// No checksum file: said, not taken for a match.
	require.NoError(t, os.Remove(filepath.Join(env.Root, testenv.Workspace, "output/acro/checksums/admissions_0.csv.txt")))
	env.RemoveOutput(t, testenv.Workspace, "output/acro/checksums/admissions_0.csv.txt")
	v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/acro/admissions_0.csv")
	require.NoError(t, err)
	assert.Equal(t, acro.ChecksumMissing, v.Checksum.State)

	// Who may not view the workspace learns nothing; an unknown path is not found.
	_, err = env.Svc.WorkspaceFileACRO(ctx, testenv.Outsider(), testenv.Workspace, "output/acro/admissions_0.csv")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/acro/nope.csv")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
}

func TestWorkspaceFileACRO_ancestorsAndOtherResults(t *testing.T) {
	env := testenv.NewEnv(t)
	u := testenv.Researcher()
	// ACRO's layout before 0.4 wrote no checksums; its results.json at output/ names a file in
	// a subfolder relative to itself.
	env.WriteFile(t, testenv.Workspace, "output/results.json", `{"output_0": {"uid": "output_0", "status": "pass", "type": "table",
		"command": "acro.crosstab(a, b)", "summary": "pass", "outcome": {}, "output": ["tables/t.csv"], "comments": []}}`)
	env.WriteFile(t, testenv.Workspace, "output/tables/t.csv", "a\n20\n")
	// Another tool's results.json on the way up is passed over.
	env.WriteFile(t, testenv.Workspace, "output/tables/results.json", `{"accuracy": 0.9}`)
	v, err := env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/tables/t.csv")
	require.NoError(t, err)
	require.NotNil(t, v)
	assert.Equal(t, "output/results.json", v.ResultsPath)
	assert.Equal(t, acro.LayoutLegacy, v.Layout)
	assert.Equal(t, acro.StatusPass, v.Output.Status)
	assert.Equal(t, acro.ChecksumMissing, v.Checksum.State)
	assert.Equal(t, acro.ChecksumMissing, v.ResultsChecksum.State)

	// A broken ACRO results file beside the file is reported, not skipped...
	env.WriteFile(t, testenv.Workspace, "output/tables/results.json", `{"version": "0.4.12", "results": {"o": `)
	v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "output/tables/t.csv")
	require.NoError(t, err)
	require.NotNil(t, v)
	assert.Equal(t, "output/tables/results.json", v.ResultsPath)
	assert.Contains(t, v.Error, "not valid JSON")
	assert.Nil(t, v.Output)
	// ...and one in an ancestor folder is not taken to describe every file below it.
	env.WriteFile(t, testenv.Workspace, "other/deep/x.csv", "a\n1\n")
	env.WriteFile(t, testenv.Workspace, "other/results.json", `{"version": "0.4.12", "results": [`)
	v, err = env.Svc.WorkspaceFileACRO(ctx, u, testenv.Workspace, "other/deep/x.csv")
	require.NoError(t, err)
	assert.Nil(t, v)
}

// TestRequestFileACRO: for a request file the stored copy is verified, and the request's own
// copy of results.json is preferred to the workspace's.
func TestRequestFileACRO(t *testing.T) {
	env := testenv.NewEnv(t)
	writeACRO(t, env, "output/acro", map[string]string{"results.json": acroResults, "admissions_0.csv": acroTable, "notes.txt": "a note\n"})
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/acro/admissions_0.csv", testenv.Content(acroTable)),
		testenv.File("output/acro/results.json", testenv.Content(acroResults), testenv.Supporting()))
	u := testenv.Checker1()

	v, err := env.Svc.RequestFileACRO(ctx, u, r.ID, "output/acro/admissions_0.csv")
	require.NoError(t, err)
	require.NotNil(t, v)
	assert.Equal(t, service.ACROFromRequest, v.Source)
	assert.Equal(t, acro.StatusFail, v.Output.Status)
	assert.Equal(t, acro.ChecksumMatch, v.Checksum.State)

	// The workspace moves on (a new table and a new results.json that calls it a pass): the
	// request's copies are what is reviewed, and they still agree with each other.
	changed := strings.Replace(acroResults, `"status": "fail"`, `"status": "pass"`, 1)
	writeACRO(t, env, "output/acro", map[string]string{"results.json": changed, "admissions_0.csv": ",female,male\nnorth,12,40\nsouth,0,38\n"})
	v, err = env.Svc.RequestFileACRO(ctx, u, r.ID, "output/acro/admissions_0.csv")
	require.NoError(t, err)
	assert.Equal(t, acro.StatusFail, v.Output.Status, "the request's results.json")
	// checksums/ is not on the request: the workspace's new checksum does not match the copy.
	assert.Equal(t, acro.ChecksumMismatch, v.Checksum.State)
	assert.Equal(t, testenv.SHA256(acroTable), v.Checksum.Actual, "the stored copy was hashed")

	// Without results.json on the request, the workspace's is read.
	r2 := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusSubmitted,
		testenv.File("output/acro/notes.txt", testenv.Content("a note\n")))
	v, err = env.Svc.RequestFileACRO(ctx, u, r2.ID, "output/acro/notes.txt")
	require.NoError(t, err)
	require.NotNil(t, v)
	assert.Equal(t, service.ACROFromWorkspace, v.Source)
	assert.Equal(t, acro.ChecksumMatch, v.Checksum.State)

	_, err = env.Svc.RequestFileACRO(ctx, u, r.ID, "output/acro/notes.txt")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, err = env.Svc.RequestFileACRO(ctx, testenv.Outsider(), r.ID, "output/acro/admissions_0.csv")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
}
