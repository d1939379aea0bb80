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

// names lists the projects of a list with their workspaces, "project: ws1 ws2".
func names(a service.AllWorkspaces) []string {
	out := []string{}
	for _, p := range a.Projects {
		ws := []string{}
		for _, w := range p.Workspaces {
			ws = append(ws, w.Name+"/"+w.Access)
		}
		out = append(out, p.Name+" ["+strings.Join(p.Orgs, ",")+"]: "+strings.Join(ws, " "))
	}
	return out
}

func TestListAllWorkspaces(t *testing.T) {
	env := testenv.NewEnv(t)
	env.AddWorkspace(t, "zeta-study")
	env.AddWorkspace(t, "alpha-study")
	// the researcher's request records Workspace's project for viewers without a role
	testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
	// a later request with another project record on the same workspace wins
	other := testenv.Collaborator()
	g := other.Workspaces[testenv.Workspace]
	g.Project = airlock.Project{Name: "Project 2", Ongoing: true, Orgs: []string{"Org 2", "Org 3"}}
	other.Workspaces[testenv.Workspace] = g
	env.Clock.Advance(1)
	_, _, err := env.Svc.GetOrCreateRequest(testenv.Ctx(), other, testenv.Workspace)
	require.NoError(t, err)

	t.Run("checkers see every workspace, grouped by project, unknown projects last", func(t *testing.T) {
		got, err := env.Svc.ListAllWorkspaces(testenv.Ctx(), testenv.Checker1(), "")
		require.NoError(t, err)
		assert.Equal(t, []string{
			"Project 2 [Org 2,Org 3]: workspace/CHECKER",
			" []: alpha-study/CHECKER other-workspace/CHECKER zeta-study/CHECKER",
		}, names(got))
		assert.Equal(t, 4, got.Total)
		assert.Equal(t, 4, got.Matched)
	})
	t.Run("read-only users too, and their own record names a project first", func(t *testing.T) {
		ro := testenv.Readonly()
		ro.CopilotedWorkspaces = map[string]airlock.WorkspaceGrant{"zeta-study": {Project: airlock.Project{Name: "Zeta", Orgs: []string{"Org Z"}}}}
		got, err := env.Svc.ListAllWorkspaces(testenv.Ctx(), ro, "")
		require.NoError(t, err)
		assert.Equal(t, []string{
			"Project 2 [Org 2,Org 3]: workspace/READONLY",
			"Zeta [Org Z]: zeta-study/COPILOT",
			" []: alpha-study/READONLY other-workspace/READONLY",
		}, names(got))
	})
	t.Run("search: every word in the name, project or an organisation, ignoring case", func(t *testing.T) {
		for q, want := range map[string][]string{
			"STUDY":         {" []: alpha-study/CHECKER zeta-study/CHECKER"},
			"org 3":         {"Project 2 [Org 2,Org 3]: workspace/CHECKER"},
			"alpha study":   {" []: alpha-study/CHECKER"},
			"alpha project": {},
			"  ":            {"Project 2 [Org 2,Org 3]: workspace/CHECKER", " []: alpha-study/CHECKER other-workspace/CHECKER zeta-study/CHECKER"},
		} {
			got, err := env.Svc.ListAllWorkspaces(testenv.Ctx(), testenv.Checker1(), q)
			require.NoError(t, err)
			assert.Equal(t, want, names(got), q)
			assert.Equal(t, 4, got.Total, q)
		}
		_, err := env.Svc.ListAllWorkspaces(testenv.Ctx(), testenv.Checker1(), strings.Repeat("x", 201))
		testenv.AssertCode(t, err, airlock.CodeInvalid)
	})
	t.Run("nobody else", func(t *testing.T) {
		for _, u := range []airlock.User{testenv.Researcher(), testenv.Copilot(), testenv.Outsider()} {
			_, err := env.Svc.ListAllWorkspaces(testenv.Ctx(), u, "")
			testenv.AssertCode(t, err, airlock.CodePermissionDenied)
			assert.Contains(t, airlock.ErrorMessage(err), "Only output checkers and users with read-only access", u.Username)
		}
	})
}

func TestListRequests_ProjectOrgsAndOrgFilter(t *testing.T) {
	env := testenv.NewEnv(t)
	r1 := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
	o := testenv.Outsider()
	g := o.Workspaces[testenv.OtherWorkspace]
	g.Project = airlock.Project{Name: "Project 9", Ongoing: true, Orgs: []string{"Org 9"}}
	o.Workspaces[testenv.OtherWorkspace] = g
	r2 := testenv.CreateRequestAtStatus(t, env, o, airlock.StatusSubmitted)

	all, err := env.Svc.ListRequests(testenv.Ctx(), testenv.Checker1(), service.RequestQuery{Scope: service.ScopeReview})
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, "Project 1", all[0].Project)
	assert.Equal(t, []string{"Org 1"}, all[0].Orgs)
	assert.Equal(t, "Project 9", all[1].Project)
	assert.Equal(t, []string{"Org 9"}, all[1].Orgs)

	for org, want := range map[string][]string{"Org 1": {r1.ID}, "Org 9": {r2.ID}, "Org 5": {}, "org 1": {}} {
		got, err := env.Svc.ListRequests(testenv.Ctx(), testenv.Checker1(), service.RequestQuery{Scope: service.ScopeReview, Org: org})
		require.NoError(t, err)
		ids := []string{}
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		assert.Equal(t, want, ids, org)
	}
}
