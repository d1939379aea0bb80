package service_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

func TestFileView_Opens(t *testing.T) {
	for _, tc := range []struct {
		v     service.FileView
		opens bool
	}{
		{service.FileView{Kind: service.ViewContent}, true},
		{service.FileView{Kind: service.ViewLog}, true},
		{service.FileView{Kind: service.ViewTable, Sort: -1}, true},
		{service.FileView{Kind: service.ViewTable, Sort: -1, Search: "  "}, true},
		{service.FileView{Kind: service.ViewTable, Offset: 200, Sort: -1}, false},
		{service.FileView{Kind: service.ViewTable, Offset: 100, Sort: 2, Search: "x"}, false},
		{service.FileView{Kind: service.ViewTable, Sort: 0}, true},
		{service.FileView{Kind: service.ViewTable, Sort: -1, Search: "x"}, true},
		{service.FileView{Kind: service.ViewSummary}, true},
		{service.FileView{Kind: "something new"}, true},
	} {
		assert.Equal(t, tc.opens, tc.v.Opens(), "%+v", tc.v)
	}
}

// TestAirlock_ReadFile: scrolling a table (ten pages) writes one view row; a sorted or
// searched first page and a summary are opens of their own (no way of reading a file escapes
// the audit); for workspace files and request copies alike. The reads that write no row
// still check who may read.
func TestAirlock_ReadFile(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("out/a.csv"))
	env.WriteFile(t, testenv.Workspace, "out/b.csv", "a,b\n1,2\n")
	reset(env)
	u := testenv.Checker1()
	scroll := []service.FileView{{Kind: service.ViewSummary}}
	for page := range 10 {
		scroll = append(scroll, service.FileView{Kind: service.ViewTable, Offset: page * 100, Sort: -1})
	}
	scroll = append(scroll, service.FileView{Kind: service.ViewTable, Sort: 1},
		service.FileView{Kind: service.ViewTable, Sort: -1, Search: "1"})
	count := func(typ airlock.AuditType) int {
		n := 0
		for _, ev := range env.Audit(t, airlock.AuditFilter{Workspace: testenv.Workspace}) {
			if ev.Type == typ && ev.User == u.Username {
				n++
			}
		}
		return n
	}
	read := func(rc io.ReadSeekCloser) string {
		defer rc.Close()
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		return string(b)
	}

	for _, v := range scroll {
		rc, _, err := env.Svc.ReadWorkspaceFile(ctx, u, testenv.Workspace, "out/b.csv", v)
		require.NoError(t, err, "%+v", v)
		assert.Equal(t, "a,b\n1,2\n", read(rc))
	}
	// summary + first page + sorted first page + searched first page; the nine later pages none.
	assert.Equal(t, 4, count(airlock.AuditWorkspaceFileView), "one row per open, none per later page")
	rc, _, err := env.Svc.OpenWorkspaceFile(ctx, u, testenv.Workspace, "out/b.csv")
	require.NoError(t, err)
	rc.Close()
	assert.Equal(t, 5, count(airlock.AuditWorkspaceFileView), "the content is an open")

	for _, v := range scroll {
		rc, f, err := env.Svc.ReadRequestFile(ctx, u, r.ID, "out/a.csv", v)
		require.NoError(t, err, "%+v", v)
		assert.Equal(t, "out/a.csv", f.RelPath)
		assert.NotEmpty(t, read(rc))
	}
	assert.Equal(t, 4, count(airlock.AuditRequestFileView), "one row per open, none per later page")
	assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestFileView, u.Username,
		testenv.DefaultGroup+"/out/a.csv", map[string]string{"group": testenv.DefaultGroup, "review_turn": "1"})
	assertNothingPublished(t, env)

	// Unaudited reads are still refused to those who may not read.
	derived := service.FileView{Kind: service.ViewTable, Offset: 100, Sort: -1}
	_, _, err = env.Svc.ReadWorkspaceFile(ctx, testenv.Outsider(), testenv.Workspace, "out/b.csv", derived)
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, _, err = env.Svc.ReadWorkspaceFile(ctx, u, testenv.Workspace, "../b.csv", derived)
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, _, err = env.Svc.ReadRequestFile(ctx, testenv.Outsider(), r.ID, "out/a.csv", derived)
	testenv.AssertCode(t, err, airlock.CodeNotFound)
	_, _, err = env.Svc.ReadRequestFile(ctx, u, r.ID, "out/nope.csv", derived)
	testenv.AssertCode(t, err, airlock.CodeNotFound)
}
