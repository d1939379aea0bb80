package testenv

import "github.com/trelab/airlock/backend/airlock"

// Project is the project of the fixtures' workspaces.
var Project = airlock.Project{Name: "Project 1", Ongoing: true, Orgs: []string{"Org 1"}}

func grant() airlock.WorkspaceGrant { return airlock.WorkspaceGrant{Project: Project} }

func roleOn(ws ...string) map[string]airlock.WorkspaceGrant {
	m := map[string]airlock.WorkspaceGrant{}
	for _, w := range ws {
		m[w] = grant()
	}
	return m
}

// Researcher holds a role on Workspace: the usual author.
func Researcher() airlock.User {
	return airlock.User{Username: "researcher", Fullname: "Rita Researcher", Workspaces: roleOn(Workspace)}
}

// Collaborator holds a role on Workspace too.
func Collaborator() airlock.User {
	return airlock.User{Username: "collaborator", Fullname: "Carl Collaborator", Workspaces: roleOn(Workspace)}
}

// Checker1 is an output checker without a role.
func Checker1() airlock.User {
	return airlock.User{Username: "checker1", Fullname: "Olga Checker", OutputChecker: true}
}

// Checker2 is a second output checker without a role.
func Checker2() airlock.User {
	return airlock.User{Username: "checker2", Fullname: "Oscar Checker", OutputChecker: true}
}

// Checker3 is a third output checker (tie-breaker).
func Checker3() airlock.User {
	return airlock.User{Username: "checker3", Fullname: "Otto Checker", OutputChecker: true}
}

// CheckerResearcher is an output checker who also holds a role on Workspace.
func CheckerResearcher() airlock.User {
	return airlock.User{Username: "checker-researcher", Fullname: "Cora Both", OutputChecker: true,
		Workspaces: roleOn(Workspace)}
}

// Copilot copilots Workspace (views it, holds no role).
func Copilot() airlock.User {
	return airlock.User{Username: "copilot", Fullname: "Cole Copilot", CopilotedWorkspaces: roleOn(Workspace)}
}

// Readonly has read-only access to every workspace.
func Readonly() airlock.User {
	return airlock.User{Username: "readonly", Fullname: "Rhea Readonly", ReadonlyAccess: true}
}

// Outsider holds a role on OtherWorkspace only.
func Outsider() airlock.User {
	return airlock.User{Username: "outsider", Fullname: "Otis Outsider", Workspaces: roleOn(OtherWorkspace)}
}

// Archived returns u with its role on ws marked archived.
func Archived(u airlock.User, ws string) airlock.User {
	u.Workspaces = cloneGrants(u.Workspaces)
	g := u.Workspaces[ws]
	g.Archived = true
	u.Workspaces[ws] = g
	return u
}

// Inactive returns u with the project of ws no longer ongoing.
func Inactive(u airlock.User, ws string) airlock.User {
	u.Workspaces = cloneGrants(u.Workspaces)
	g := u.Workspaces[ws]
	g.Project.Ongoing = false
	u.Workspaces[ws] = g
	return u
}

// WithoutRole returns u with its role on ws removed (lost access).
func WithoutRole(u airlock.User, ws string) airlock.User {
	u.Workspaces = cloneGrants(u.Workspaces)
	delete(u.Workspaces, ws)
	return u
}

func cloneGrants(m map[string]airlock.WorkspaceGrant) map[string]airlock.WorkspaceGrant {
	out := make(map[string]airlock.WorkspaceGrant, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
