package airlock

// Workspace access kinds, as the API's workspace summary reports them.
const (
	AccessRole     = "ROLE"
	AccessCopilot  = "COPILOT"
	AccessChecker  = "CHECKER"
	AccessReadonly = "READONLY"
)

// CanViewWorkspace: output checkers, read-only users, role holders and copilots (§1.2).
func CanViewWorkspace(u User, ws string) bool { return CheckCanViewWorkspace(u, ws) == nil }

// CheckCanViewWorkspace returns a not_found error when u may not view ws or its requests.
func CheckCanViewWorkspace(u User, ws string) error {
	if u.Username == "" {
		return Errorf(CodeNotFound, "You do not have permission to view %s or its requests", ws)
	}
	if u.OutputChecker || u.ReadonlyAccess {
		return nil
	}
	if _, ok := u.Workspaces[ws]; ok {
		return nil
	}
	if _, ok := u.CopilotedWorkspaces[ws]; ok {
		return nil
	}
	return Errorf(CodeNotFound, "You do not have permission to view %s or its requests", ws)
}

// HasRole reports whether u holds a role on ws (copilot, read-only and checker do not count).
func HasRole(u User, ws string) bool {
	_, ok := u.Workspaces[ws]
	return ok
}

// WorkspaceAccess returns what u's record says about ws and the kind of access u has:
// ROLE, COPILOT, CHECKER, READONLY, or "" when u may not view it. The grant is the role
// entry, else the copilot entry, else the zero grant (unknown project, not archived).
func WorkspaceAccess(u User, ws string) (grant WorkspaceGrant, access string) {
	if g, ok := u.Workspaces[ws]; ok {
		return g, AccessRole
	}
	if g, ok := u.CopilotedWorkspaces[ws]; ok {
		return g, AccessCopilot
	}
	unknown := WorkspaceGrant{Project: Project{Name: "Unknown project", Ongoing: true}}
	if u.OutputChecker {
		return unknown, AccessChecker
	}
	if u.ReadonlyAccess {
		return unknown, AccessReadonly
	}
	return WorkspaceGrant{}, ""
}

// WorkspaceIsActive reports whether ws, as u's record describes it, is not archived and its
// project is ongoing. Workspaces u's record says nothing about count as active (§2.5).
func WorkspaceIsActive(u User, ws string) bool { return checkWorkspaceActive(u, ws) == nil }

func checkWorkspaceActive(u User, ws string) error {
	g, ok := u.Workspaces[ws]
	if !ok {
		g, ok = u.CopilotedWorkspaces[ws]
	}
	if !ok {
		return nil
	}
	if g.Archived {
		if !g.Project.Ongoing {
			return Errorf(CodePermissionDenied, "The project is not ongoing and the workspace %s is archived", ws)
		}
		return Errorf(CodePermissionDenied, "The workspace %s has been archived", ws)
	}
	if !g.Project.Ongoing {
		return Errorf(CodePermissionDenied, "The workspace %s is part of a project that is not ongoing", ws)
	}
	return nil
}

// CanActionRequests: u may create and edit requests for ws.
func CanActionRequests(u User, ws string) bool { return CheckCanActionRequests(u, ws) == nil }

// CheckCanActionRequests: u holds a role on ws, ws is not archived (checked first) and its
// project is ongoing (§1.2).
func CheckCanActionRequests(u User, ws string) error {
	if !HasRole(u, ws) {
		return Errorf(CodePermissionDenied, "You do not have a role on %s, so you cannot create or change its requests", ws)
	}
	return checkWorkspaceActive(u, ws) // the role's grant decides
}

// CanViewAllWorkspaces: u may list every workspace ("All workspaces").
func CanViewAllWorkspaces(u User) bool { return CheckCanViewAllWorkspaces(u) == nil }

// CheckCanViewAllWorkspaces: the users who may view any workspace without a role on it,
// read-only users and output checkers (§1.2), may list them all (the reference shows the
// list to read-only users only: docs/decisions.md §15).
func CheckCanViewAllWorkspaces(u User) error {
	if !u.ReadonlyAccess && !u.OutputChecker {
		return Errorf(CodePermissionDenied, "Only output checkers and users with read-only access can list all workspaces")
	}
	return nil
}

// CanReviewRequests: u is an output checker (the reviewer lists).
func CanReviewRequests(u User) bool { return CheckCanReviewRequests(u) == nil }

// CheckCanReviewRequests: only output checkers may see the review lists.
func CheckCanReviewRequests(u User) error {
	if !u.OutputChecker {
		return Errorf(CodePermissionDenied, "Only output checkers can review requests")
	}
	return nil
}

// CanReview: u is an output checker and not the author of r.
func CanReview(u User, r *ReleaseRequest) bool { return CheckCanReview(u, r) == nil }

// CheckCanReview: u is an output checker and not the author of r. Checkers never review
// their own requests, even when they also hold a role.
func CheckCanReview(u User, r *ReleaseRequest) error {
	if !u.OutputChecker || u.Username == r.Author {
		return Errorf(CodePermissionDenied, "You do not have permission to review this request")
	}
	return nil
}

// CanCurrentlyReview: u may review r and r is under review.
func CanCurrentlyReview(u User, r *ReleaseRequest) bool { return CheckCanCurrentlyReview(u, r) == nil }

// CheckCanCurrentlyReview: u may review r and r is in a reviewer-owned status.
func CheckCanCurrentlyReview(u User, r *ReleaseRequest) error {
	if err := CheckCanReview(u, r); err != nil {
		return err
	}
	switch {
	case r.Status == StatusPending:
		return Errorf(CodeInvalidState, "This request has not been submitted yet: there is nothing to review")
	case r.Status.IsEditable():
		return Errorf(CodeInvalidState, "This request has been returned to its author: its files can be reviewed again once it is resubmitted")
	case r.Status.Owner() != OwnerReviewer:
		return Errorf(CodeInvalidState, "%s: its review is over", r.Status.situation())
	}
	return nil
}

// CanEdit: u is the author, may action requests for the workspace, and r is author-owned.
func CanEdit(u User, r *ReleaseRequest) bool { return CheckCanEdit(u, r) == nil }

// CheckCanEdit: u can see r's workspace (not_found), is r's author, may action requests for
// r's workspace, and r is PENDING or RETURNED (§1.2, in that order).
func CheckCanEdit(u User, r *ReleaseRequest) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	if u.Username != r.Author {
		return Errorf(CodePermissionDenied, "Only the request's author, %s, can change this request", r.Author)
	}
	if err := CheckCanActionRequests(u, r.Workspace); err != nil {
		return err
	}
	switch {
	case r.Status.IsUnderReview():
		return Errorf(CodeInvalidState, "%s: it can be changed again only if the output checkers return it", r.Status.situation())
	case r.Status.Owner() != OwnerAuthor:
		return Errorf(CodeInvalidState, "%s: it can no longer be changed", r.Status.situation())
	}
	return nil
}
