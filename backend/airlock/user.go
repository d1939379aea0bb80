package airlock

// Project is the project a workspace belongs to, as job-server describes it.
type Project struct {
	Name    string   `json:"name"`
	Ongoing bool     `json:"ongoing"`
	Orgs    []string `json:"orgs"`
}

// WorkspaceGrant is what a user record says about one workspace the user holds a role on
// (or copilots).
type WorkspaceGrant struct {
	Project  Project `json:"project"`
	Archived bool    `json:"archived"`
}

// User is a cached job-server user record. Airlock has no user management of its own.
type User struct {
	Username            string                    `json:"username"`
	Fullname            string                    `json:"fullname"`
	OutputChecker       bool                      `json:"outputChecker"`
	ReadonlyAccess      bool                      `json:"readonlyAccess"`
	Workspaces          map[string]WorkspaceGrant `json:"workspaces"`
	CopilotedWorkspaces map[string]WorkspaceGrant `json:"copilotedWorkspaces"`
	// Automated is set on a user that an operator's automation acts as (regular release
	// requests): every audit event it causes is marked automated_action (§3.6, §10.1). It is never
	// stored or sent.
	Automated bool `json:"-"`
}

// AsAutomated is u acting through the operator's automation, not through a session.
func (u User) AsAutomated() User {
	u.Automated = true
	return u
}

// SystemUsername is the name of the ephemeral system user (uploader, operator commands).
const SystemUsername = "system"

// SystemUser returns the non-persisted user the background uploader and operator commands
// act as. It is never the author of anything.
func SystemUser() User {
	return User{Username: SystemUsername, Fullname: "System", OutputChecker: true}
}

// IsSystem reports whether u is the system user.
func (u User) IsSystem() bool { return u.Username == SystemUsername }

// DisplayName is the full name, falling back to the username.
func (u User) DisplayName() string {
	if u.Fullname != "" {
		return u.Fullname
	}
	return u.Username
}
