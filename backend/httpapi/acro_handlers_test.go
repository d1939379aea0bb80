package httpapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// acroFolder is an ACRO 0.4 output folder: a failing table with an exception request, and a
// custom output whose name starts with a space (ACRO keeps such names as given).
const acroFolderResults = `{"version": "0.4.12", "results": {
  "output_0": {"uid": "output_0", "status": "fail", "type": "table", "properties": {},
    "files": [{"name": "output_0_0.csv", "sdc": {"summary": {"suppressed": false, "threshold": 1, "p-ratio": 0},
      "cells": {"threshold": [[0, 1]], "p-ratio": []}}}],
    "outcome": {"b": {"0": "threshold; "}}, "command": "acro.crosstab(x, y)",
    "summary": "fail; threshold: 1 cells may need suppressing; ", "timestamp": "2024-05-02T10:14:07",
    "comments": ["x by y"], "exception": "a structural zero"},
  "output_1": {"uid": "output_1", "status": "review", "type": "custom", "properties": {},
    "files": [{"name": " km.png", "sdc": {}}], "outcome": {}, "command": "custom", "summary": "review",
    "timestamp": "2024-05-02T10:15:00", "comments": [], "exception": ""}}}`

func writeACROFolder(t *testing.T, env *testenv.Env, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		env.WriteFile(t, testenv.Workspace, dir+"/"+name, content)
		env.WriteFile(t, testenv.Workspace, dir+"/checksums/"+name+".txt", testenv.SHA256(content))
	}
}

func TestACRORoutes(t *testing.T) {
	h := newAPI(t)
	ws := testenv.Workspace
	table := ",a,b\n0,12,3\n"
	writeACROFolder(t, h.env, "output/acro", map[string]string{"results.json": acroFolderResults, "output_0_0.csv": table, " km.png": "PNG"})
	h.env.WriteFile(t, ws, "output/other.csv", "a\n1\n")
	c := h.login(t, "checker1")
	before := len(h.env.Audit(t, airlock.AuditFilter{Workspace: ws}))

	get := func(url string) map[string]any {
		t.Helper()
		r := c.do("GET", url, nil, nil)
		r.want(t, 200, "")
		var out map[string]any
		r.decode(t, &out)
		require.Contains(t, out, "acro")
		if out["acro"] == nil {
			return nil
		}
		return out["acro"].(map[string]any)
	}

	a := get("/api/v1/workspaces/" + ws + "/acro/output/acro/output_0_0.csv")
	require.NotNil(t, a)
	assert.Equal(t, "fail", a["status"])
	assert.Equal(t, "output/acro/results.json", a["resultsPath"])
	assert.Equal(t, "workspace", a["source"])
	assert.Equal(t, "0.4.12", a["version"])
	assert.Equal(t, "a structural zero", a["exception"])
	assert.Equal(t, []any{"x by y"}, a["comments"])
	assert.Equal(t, false, a["suppressed"])
	assert.Equal(t, []any{map[string]any{"check": "threshold", "row": float64(0), "column": float64(1)}}, a["cells"])
	assert.Equal(t, []any{map[string]any{"name": "threshold", "value": "1", "flagged": true}, map[string]any{"name": "p-ratio", "value": "0", "flagged": false}}, a["checks"])
	assert.Equal(t, []any{map[string]any{"row": "0", "column": "b", "outcome": "threshold"}}, a["outcomeCells"])
	sum := a["checksum"].(map[string]any)
	assert.Equal(t, "MATCH", sum["state"])
	assert.Equal(t, "output/acro/checksums/output_0_0.csv.txt", sum["path"])
	assert.Equal(t, "MATCH", a["resultsChecksum"].(map[string]any)["state"])

	// A name with a leading space, percent-encoded in the URL as any path segment.
	a = get("/api/v1/workspaces/" + ws + "/acro/output/acro/%20km.png")
	require.NotNil(t, a)
	assert.Equal(t, "review", a["status"])

	assert.Nil(t, get("/api/v1/workspaces/"+ws+"/acro/output/other.csv"), "no ACRO record: null")

	// Changed after ACRO checked it.
	h.env.WriteFile(t, ws, "output/acro/output_0_0.csv", ",a,b\n0,12,30\n")
	a = get("/api/v1/workspaces/" + ws + "/acro/output/acro/output_0_0.csv")
	assert.Equal(t, "MISMATCH", a["checksum"].(map[string]any)["state"])
	assert.Contains(t, a["checksum"].(map[string]any)["message"], "does not match")

	// A request file: the stored copy is verified (it is the table ACRO checked).
	h.env.WriteFile(t, ws, "output/acro/output_0_0.csv", table)
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/acro/output_0_0.csv", testenv.Content(table)))
	h.env.WriteFile(t, ws, "output/acro/output_0_0.csv", ",a,b\n0,12,30\n")
	a = get("/api/v1/requests/" + r.ID + "/acro/output/acro/output_0_0.csv")
	require.NotNil(t, a)
	assert.Equal(t, "MATCH", a["checksum"].(map[string]any)["state"])
	assert.Equal(t, "fail", a["status"])

	// Unknown paths, files not on the request and strangers are not found.
	c.do("GET", "/api/v1/workspaces/"+ws+"/acro/output/nope.csv", nil, nil).want(t, 404, airlock.CodeNotFound)
	c.do("GET", "/api/v1/requests/"+r.ID+"/acro/output/other.csv", nil, nil).want(t, 404, airlock.CodeNotFound)
	c.do("GET", "/api/v1/workspaces/"+ws+"/acro/../secret", nil, nil).want(t, 404, airlock.CodeNotFound)
	h.login(t, "outsider").do("GET", "/api/v1/requests/"+r.ID+"/acro/output/acro/output_0_0.csv", nil, nil).want(t, 404, airlock.CodeNotFound)

	// Reading ACRO's record writes no audit row of its own.
	n := 0
	evs := h.env.Audit(t, airlock.AuditFilter{Workspace: ws}) // newest first
	for _, ev := range evs[:len(evs)-before] {
		if ev.Type == airlock.AuditWorkspaceFileView || ev.Type == airlock.AuditRequestFileView {
			n++
		}
	}
	assert.Zero(t, n)
}
