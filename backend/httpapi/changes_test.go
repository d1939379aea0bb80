package httpapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// GET /requests/{id}/changes/{path}: what changed since the review, over HTTP, and the
// request file's reviewedSha256 and "changes" action that lead to it.
func TestRequestChanges(t *testing.T) {
	h := newAPI(t)
	ws := testenv.Workspace
	v1 := "age,count\n0-19,12\n20-39,15\n"
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusReturned,
		testenv.File("output/t.csv", testenv.Content(v1), testenv.ChangesRequested()),
		testenv.File("output/notes.md", testenv.Content("# Notes\nfirst\n"), testenv.ChangesRequested()))
	researcher, checker := h.login(t, "researcher"), h.login(t, "checker1")
	path := "/api/v1/requests/" + r.ID + "/changes/output/t.csv"

	resp := checker.do("GET", path, nil, nil)
	resp.want(t, 409, airlock.CodeInvalidState)
	f := fileIn(checker.request(r.ID), "output/t.csv")
	assert.Nil(t, f.ReviewedSHA256)
	assert.False(t, f.Actions["changes"].Allowed)
	assert.NotEmpty(t, f.Actions["changes"].Reason)

	var big strings.Builder
	big.WriteString("age,count\n0-19,12\n20-39,9\n")
	for i := range 1000 {
		big.WriteString("x" + strings.Repeat("y", i%7) + ",1\n")
	}
	h.env.WriteFile(t, ws, "output/t.csv", big.String())
	h.env.WriteFile(t, ws, "output/notes.md", "# Notes\nsecond\n")
	researcher.do("POST", "/api/v1/requests/"+r.ID+"/files/update", map[string]any{"paths": []string{"output/t.csv", "output/notes.md"}}, nil).want(t, 200, "")

	f = fileIn(checker.request(r.ID), "output/t.csv")
	require.NotNil(t, f.ReviewedSHA256)
	assert.Equal(t, testenv.SHA256(v1), *f.ReviewedSHA256)
	assert.True(t, f.Actions["changes"].Allowed)

	resp = checker.do("GET", path, nil, nil)
	resp.want(t, 200, "")
	var ch contract.FileChanges
	resp.decode(t, &ch)
	assert.Equal(t, contract.DiffCSV, ch.Kind)
	assert.Equal(t, contract.FileVersion{SHA256: testenv.SHA256(v1), Size: int64(len(v1))}, ch.Reviewed)
	assert.Equal(t, int64(big.Len()), ch.Current.Size)
	require.NotNil(t, ch.Table)
	assert.Equal(t, 1, ch.Table.RowsChanged)
	assert.Equal(t, 1000, ch.Table.RowsAdded)
	assert.True(t, ch.Table.Truncated, "bounded: the first 500 changes are listed")
	assert.Len(t, ch.Table.Changes, 500)
	assert.Equal(t, contract.RowChange{Kind: "changed", ReviewedRow: 2, CurrentRow: 2,
		Reviewed: []string{"20-39", "15"}, Current: []string{"20-39", "9"}, Cells: []int{1}}, ch.Table.Changes[0])
	// The JSON names, as docs/api.md gives them.
	raw := string(resp.body)
	for _, k := range []string{`"reviewedColumns"`, `"rowsAdded"`, `"cellsChanged"`, `"reviewedRow"`, `"currentRow"`, `"truncated"`} {
		assert.Contains(t, raw, k)
	}

	resp = researcher.do("GET", "/api/v1/requests/"+r.ID+"/changes/output/notes.md", nil, nil)
	resp.want(t, 200, "")
	resp.decode(t, &ch)
	assert.Equal(t, contract.DiffText, ch.Kind)
	require.NotNil(t, ch.Text)
	assert.Equal(t, 1, ch.Text.LinesAdded)
	assert.Contains(t, ch.Text.Hunks[0].Lines, contract.TextLine{Kind: "added", CurrentLine: 2, Text: "second"})

	h.login(t, "outsider").do("GET", path, nil, nil).want(t, 404, airlock.CodeNotFound)
	checker.do("GET", "/api/v1/requests/"+r.ID+"/changes/output/none.csv", nil, nil).want(t, 404, airlock.CodeNotFound)
}

func fileIn(r contract.Request, p string) contract.File {
	for _, g := range r.Groups {
		for _, f := range g.Files {
			if f.Path == p {
				return f
			}
		}
	}
	return contract.File{}
}
