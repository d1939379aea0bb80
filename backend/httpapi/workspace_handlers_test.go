package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/render"
)

const scriptHTML = `<html><body><script>alert("x")</script><p>report</p></body></html>`

func TestContent_ViewingHeaders(t *testing.T) {
	h := newAPI(t)
	ws := testenv.Workspace
	h.env.WriteFile(t, ws, "output/report.html", scriptHTML)
	h.env.WriteFile(t, ws, "output/table.csv", "a,b\n1,2\n")
	h.env.WriteFile(t, ws, "output/fig.svg", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)
	c := h.login(t, "researcher")

	for _, tc := range []struct{ path, ctype string }{
		{"output/report.html", "text/html; charset=utf-8"},
		{"output/table.csv", "text/csv; charset=utf-8"},
		{"output/fig.svg", "image/svg+xml"},
	} {
		r := c.do("GET", "/api/v1/workspaces/"+ws+"/content/"+tc.path, nil, nil)
		r.want(t, 200, "")
		assert.Equal(t, tc.ctype, r.header.Get("Content-Type"), tc.path)
		assert.True(t, strings.HasPrefix(r.header.Get("Content-Disposition"), "inline"), tc.path)
		assert.Contains(t, r.header.Get("Content-Disposition"), `filename=`, tc.path)
		assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
		csp := r.header.Get("Content-Security-Policy")
		assert.True(t, strings.HasPrefix(csp, "sandbox"), "CSP %q", csp)
		assert.NotContains(t, csp, "allow-scripts")
		hash, _ := h.env.Output(ws, tc.path)
		assert.Equal(t, strconv.Quote(hash.ContentHash), r.header.Get("ETag"))
	}
	// The body is byte-identical.
	r := c.do("GET", "/api/v1/workspaces/"+ws+"/content/output/report.html", nil, nil)
	assert.Equal(t, scriptHTML, string(r.body))

	t.Run("a matching ETag answers 304", func(t *testing.T) {
		etag := r.header.Get("ETag")
		r := c.do("GET", "/api/v1/workspaces/"+ws+"/content/output/report.html", nil, http.Header{"If-None-Match": {etag}})
		assert.Equal(t, http.StatusNotModified, r.status)
		assert.Empty(t, r.body)
	})
	t.Run("plaintext shows any file as text", func(t *testing.T) {
		r := c.do("GET", "/api/v1/workspaces/"+ws+"/content/output/report.html?plaintext=1", nil, nil)
		assert.Equal(t, render.PlainText, r.header.Get("Content-Type"))
	})
	t.Run("workspace files are never downloads", func(t *testing.T) {
		r := c.do("GET", "/api/v1/workspaces/"+ws+"/content/output/table.csv?download=1", nil, nil)
		r.want(t, 200, "")
		assert.True(t, strings.HasPrefix(r.header.Get("Content-Disposition"), "inline"))
	})
	t.Run("every view is audited", func(t *testing.T) {
		n := 0
		for _, ev := range h.env.Audit(t, airlock.AuditFilter{Workspace: ws, User: "researcher"}) {
			if ev.Type == airlock.AuditWorkspaceFileView && ev.Path == "output/report.html" {
				n++
			}
		}
		assert.Equal(t, 4, n, "two views, the 304 revalidation and the plaintext view: each opened the file")
	})
}

func TestRequestContent_DownloadsAndViews(t *testing.T) {
	h := newAPI(t)
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/a.csv", testenv.Content("x,y\n1,2\n")))
	researcher, checker := h.login(t, "researcher"), h.login(t, "checker1")
	base := "/api/v1/requests/" + r.ID + "/content/output/a.csv"

	resp := researcher.do("GET", base, nil, nil)
	resp.want(t, 200, "")
	assert.Equal(t, "x,y\n1,2\n", string(resp.body))
	assert.True(t, strings.HasPrefix(resp.header.Get("Content-Disposition"), "inline"))
	assert.Equal(t, strconv.Quote(testenv.SHA256("x,y\n1,2\n")), resp.header.Get("ETag"))
	assert.True(t, strings.HasPrefix(resp.header.Get("Content-Security-Policy"), "sandbox"))

	researcher.do("GET", base+"?download=1", nil, nil).want(t, http.StatusForbidden, airlock.CodePermissionDenied)
	resp = checker.do("GET", base+"?download=1", nil, nil)
	resp.want(t, 200, "")
	assert.Equal(t, `attachment; filename=a.csv`, resp.header.Get("Content-Disposition"))

	var types []airlock.AuditType
	for _, ev := range h.env.RequestAudit(t, r.ID) {
		if ev.Type == airlock.AuditRequestFileView || ev.Type == airlock.AuditRequestFileDownload {
			types = append(types, ev.Type)
		}
	}
	assert.Equal(t, []airlock.AuditType{airlock.AuditRequestFileView, airlock.AuditRequestFileDownload}, types,
		"the refused download left no trace")
}

func TestWorkspaceViews(t *testing.T) {
	h := newAPI(t)
	ws := testenv.Workspace
	h.env.WriteFile(t, ws, "output/b.csv", "a\n1\n")
	h.env.WriteFile(t, ws, "output/a/deep.txt", "x")
	h.env.WriteFile(t, ws, "output/old.csv", "a\n1\n")
	o, _ := h.env.Output(ws, "output/old.csv")
	o.OutOfDateAction = true
	h.env.SetOutput(t, ws, "output/old.csv", o)
	c := h.login(t, "copilot")

	t.Run("the workspace has a manifest hash", func(t *testing.T) {
		var s contract.WorkspaceSummary
		c.do("GET", "/api/v1/workspaces/"+ws, nil, nil).decode(t, &s)
		assert.Equal(t, "COPILOT", s.Access)
		assert.False(t, s.CanCreateRequest)
		assert.NotEmpty(t, s.ManifestHash)
	})
	t.Run("the root lists metadata first, then folders", func(t *testing.T) {
		var tree contract.Tree
		c.do("GET", "/api/v1/workspaces/"+ws+"/tree", nil, nil).decode(t, &tree)
		var names []string
		for _, e := range tree.Entries {
			names = append(names, e.Name+":"+string(e.Kind))
		}
		assert.Equal(t, []string{"metadata:dir", "output:dir"}, names)
		assert.Empty(t, tree.Entries[0].Status, "no status for folders")
		assert.Nil(t, tree.Entries[0].ModifiedAt)
	})
	t.Run("a folder level: folders first, out-of-date outputs only when asked", func(t *testing.T) {
		var tree contract.Tree
		c.do("GET", "/api/v1/workspaces/"+ws+"/tree/output", nil, nil).decode(t, &tree)
		var names []string
		for _, e := range tree.Entries {
			names = append(names, e.Name)
		}
		assert.Equal(t, []string{"a", "b.csv"}, names)
		c.do("GET", "/api/v1/workspaces/"+ws+"/tree/output?outOfDate=true", nil, nil).decode(t, &tree)
		names = nil
		for _, e := range tree.Entries {
			names = append(names, e.Name+fmt.Sprint(e.OutOfDate))
		}
		assert.Equal(t, []string{"afalse", "b.csvfalse", "old.csvtrue"}, names)
		assert.NotNil(t, tree.Entries[1].ModifiedAt)
		assert.Equal(t, int64(4), tree.Entries[1].Size)
	})
}

func TestTableSummaryAndLogViews(t *testing.T) {
	h := newAPI(t)
	ws := testenv.Workspace
	var b strings.Builder
	b.WriteString("id,name,count\n")
	for i := 0; i < 2500; i++ {
		fmt.Fprintf(&b, "%d,Name %d,%d\n", i, i%10, (i*37)%500)
	}
	h.env.WriteFile(t, ws, "output/big.csv", b.String())
	h.env.WriteFile(t, ws, "output/bad.csv", "a,b\n1,\"2\n")
	var log strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&log, "step %04d done\n", i)
	}
	log.WriteString(render.LogSummaryMarker + "\nstatus: ok\n")
	h.env.WriteFile(t, ws, "metadata/job.log", log.String())
	c := h.login(t, "checker1")

	var tbl render.Table
	c.do("GET", "/api/v1/workspaces/"+ws+"/table/output/big.csv?offset=1000&limit=3", nil, nil).decode(t, &tbl)
	assert.Equal(t, []string{"id", "name", "count"}, tbl.Columns)
	assert.Equal(t, [][]string{{"1000", "Name 0", "0"}, {"1001", "Name 1", "37"}, {"1002", "Name 2", "74"}}, tbl.Rows)
	assert.Equal(t, 2500, tbl.TotalRows)
	assert.True(t, tbl.TotalRowsExact)

	// Every term must be in some cell: "name 7" matches rows with a 7 anywhere.
	want, top := 0, -1
	for i := 0; i < 2500; i++ {
		cells := []string{strconv.Itoa(i), fmt.Sprintf("Name %d", i%10), strconv.Itoa((i * 37) % 500)}
		if strings.Contains(strings.Join(cells, "|"), "7") {
			want++
			top = max(top, (i*37)%500)
		}
	}
	c.do("GET", "/api/v1/workspaces/"+ws+"/table/output/big.csv?q=NAME+7&sort=2&desc=1&limit=2", nil, nil).decode(t, &tbl)
	assert.Equal(t, want, tbl.MatchedRows)
	assert.Equal(t, strconv.Itoa(top), tbl.Rows[0][2], "the largest count among the matches first")

	r := c.do("GET", "/api/v1/workspaces/"+ws+"/table/output/bad.csv", nil, nil)
	r.want(t, 400, airlock.CodeInvalid)
	assert.Contains(t, r.errorMessage(), "line 2")

	var sum render.Summary
	c.do("GET", "/api/v1/workspaces/"+ws+"/summary/output/big.csv", nil, nil).decode(t, &sum)
	assert.Equal(t, 2500, sum.Rows)
	require.Len(t, sum.Columns, 3)
	assert.Equal(t, "integer", sum.Columns[2].Type)
	var rules []string
	for _, w := range sum.Warnings {
		rules = append(rules, w.Rule+"/"+w.Severity)
	}
	assert.Contains(t, rules, "row-count/WARN")
	assert.Contains(t, rules, "small-count/BLOCK")

	var l render.Log
	c.do("GET", "/api/v1/workspaces/"+ws+"/log/metadata/job.log", nil, nil).decode(t, &l)
	assert.True(t, l.Truncated)
	assert.True(t, strings.HasPrefix(l.Text, "step "))
	assert.True(t, strings.HasSuffix(l.Text, "step 0999 done\n"))
	assert.LessOrEqual(t, len(l.Text), render.MaxLogBytes)
	assert.Equal(t, render.LogSummaryMarker+"\nstatus: ok\n", l.Summary)
}

// TestTableScrollingAuditsOneView: opening a CSV file (its first page in file order) is one
// view; scrolling ten pages, sorting, searching and the summary add no audit rows. The same
// holds for a request's stored copy. The content route is an open of its own.
func TestTableScrollingAuditsOneView(t *testing.T) {
	h := newAPI(t)
	ws := testenv.Workspace
	var b strings.Builder
	b.WriteString("id,count\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "%d,%d\n", i, (i*37)%500)
	}
	h.env.WriteFile(t, ws, "output/big.csv", b.String())
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/req.csv", testenv.Content(b.String())))
	c := h.login(t, "checker1")
	views := func(typ airlock.AuditType, path string) int {
		n := 0
		for _, ev := range h.env.Audit(t, airlock.AuditFilter{Workspace: ws, User: "checker1"}) {
			if ev.Type == typ && ev.Path == path {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		base, path string
		typ        airlock.AuditType
		audited    string
	}{
		{"/api/v1/workspaces/" + ws, "output/big.csv", airlock.AuditWorkspaceFileView, "output/big.csv"},
		{"/api/v1/requests/" + r.ID, "output/req.csv", airlock.AuditRequestFileView, testenv.DefaultGroup + "/output/req.csv"},
	} {
		var tbl render.Table
		for page := range 10 {
			c.do("GET", fmt.Sprintf("%s/table/%s?offset=%d&limit=100", tc.base, tc.path, page*100), nil, nil).decode(t, &tbl)
			require.Len(t, tbl.Rows, 100)
			assert.Equal(t, strconv.Itoa(page*100), tbl.Rows[0][0])
		}
		c.do("GET", tc.base+"/summary/"+tc.path, nil, nil).want(t, 200, "")
		c.do("GET", tc.base+"/table/"+tc.path+"?sort=1&desc=1", nil, nil).want(t, 200, "")
		c.do("GET", tc.base+"/table/"+tc.path+"?q=37", nil, nil).want(t, 200, "")
		// The first page, the summary, the sorted and the searched first pages are opens; the
		// nine later pages are not.
		assert.Equal(t, 4, views(tc.typ, tc.audited), "%s: ten pages, a summary, a sort and a search", tc.base)
		// Opening it again (the first page, or the content) is another view.
		c.do("GET", tc.base+"/table/"+tc.path+"?limit=100", nil, nil).want(t, 200, "")
		c.do("GET", tc.base+"/content/"+tc.path, nil, nil).want(t, 200, "")
		assert.Equal(t, 6, views(tc.typ, tc.audited), tc.base)
	}
}
