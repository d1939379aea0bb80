package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Behaviour 17: who can view workspace "ws".
func TestCanViewWorkspace_Behaviour17(t *testing.T) {
	assert.True(t, CanViewWorkspace(checker("c"), ws))
	assert.True(t, CanViewWorkspace(readonly("r"), ws))
	assert.True(t, CanViewWorkspace(researcher("a"), ws))
	assert.True(t, CanViewWorkspace(copilot("p"), ws))
	assert.False(t, CanViewWorkspace(researcher("a"), "other"))
	assert.False(t, CanViewWorkspace(User{Username: "z"}, ws))
	assert.False(t, CanViewWorkspace(User{}, ws), "anonymous")
	err := CheckCanViewWorkspace(User{Username: "z"}, ws)
	assert.Equal(t, CodeNotFound, ErrorCode(err))
	assert.Equal(t, "You do not have permission to view ws or its requests", ErrorMessage(err))
}

// Behaviour 18, 20: a checker without the workspace has no role and cannot create requests.
func TestHasRole_Behaviour18_20(t *testing.T) {
	assert.False(t, HasRole(checker("c"), ws))
	assert.False(t, HasRole(copilot("p"), ws))
	assert.True(t, HasRole(researcher("a"), ws))
	err := CheckCanCreateRequest(checker("c"), ws)
	assert.Equal(t, CodePermissionDenied, ErrorCode(err))
	assert.Equal(t, "You do not have a role on ws, so you cannot create or change its requests", ErrorMessage(err))
	assert.NoError(t, CheckCanCreateRequest(researcher("a"), ws))
	assert.True(t, CanCreateRequest(checkerWithRole("a"), ws))
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanCreateRequest(researcher("a"), "other")))
}

// Behaviour 19: archived first, then inactive project.
func TestCheckCanActionRequests_Behaviour19(t *testing.T) {
	u := researcher("a")
	u.Workspaces[ws] = WorkspaceGrant{Project: Project{Ongoing: false}, Archived: true}
	assert.EqualError(t, CheckCanActionRequests(u, ws), "permission_denied: The project is not ongoing and the workspace ws is archived")
	u.Workspaces[ws] = archivedGrant
	assert.EqualError(t, CheckCanActionRequests(u, ws), "permission_denied: The workspace ws has been archived")
	u.Workspaces[ws] = inactiveGrant
	assert.EqualError(t, CheckCanActionRequests(u, ws), "permission_denied: The workspace ws is part of a project that is not ongoing")
	u.Workspaces[ws] = activeGrant
	assert.NoError(t, CheckCanActionRequests(u, ws))
	assert.False(t, CanCreateRequest(User{Username: "x", Workspaces: map[string]WorkspaceGrant{ws: archivedGrant}}, ws))
}

// Behaviour 22: review lists are for output checkers.
func TestCheckCanReviewRequests_Behaviour22(t *testing.T) {
	assert.EqualError(t, CheckCanReviewRequests(researcher("a")), "permission_denied: Only output checkers can review requests")
	assert.NoError(t, CheckCanReviewRequests(checker("c")))
}

// Behaviour 16 and §2.5: workspace access and the grant for users without one.
func TestWorkspaceAccess(t *testing.T) {
	g, a := WorkspaceAccess(researcher("a"), ws)
	assert.Equal(t, AccessRole, a)
	assert.Equal(t, "p", g.Project.Name)
	_, a = WorkspaceAccess(copilot("p"), ws)
	assert.Equal(t, AccessCopilot, a)
	g, a = WorkspaceAccess(checker("c"), ws)
	assert.Equal(t, AccessChecker, a)
	assert.Equal(t, "Unknown project", g.Project.Name)
	assert.True(t, g.Project.Ongoing)
	assert.False(t, g.Archived)
	_, a = WorkspaceAccess(readonly("r"), ws)
	assert.Equal(t, AccessReadonly, a)
	_, a = WorkspaceAccess(User{Username: "z"}, ws)
	assert.Equal(t, "", a)
	_, a = WorkspaceAccess(checkerWithRole("c"), ws)
	assert.Equal(t, AccessRole, a, "a role wins over the checker flag")
}

// §1.2 and behaviour 61: reviewing.
func TestCheckCanCurrentlyReview_Behaviour61(t *testing.T) {
	r := matrixReq(StatusWithdrawn)
	assert.EqualError(t, CheckCanCurrentlyReview(checker("c"), r), "invalid_state: This request has been withdrawn: its review is over")
	assert.EqualError(t, CheckCanCurrentlyReview(researcher("carol"), matrixReq(StatusSubmitted)),
		"permission_denied: You do not have permission to review this request")
	assert.Error(t, CheckCanReview(checkerWithRole("alice"), r), "checkers never review their own requests")
	assert.NoError(t, CheckCanCurrentlyReview(checker("c"), matrixReq(StatusReviewed)))
}

// §1.2: can edit, in order: author, role, archived, inactive, status.
func TestCheckCanEdit_Order(t *testing.T) {
	r := matrixReq(StatusSubmitted)
	assert.EqualError(t, CheckCanEdit(researcher("carol"), r), "permission_denied: Only the request's author, alice, can change this request")
	lost := copilot("alice")
	assert.EqualError(t, CheckCanEdit(lost, r), "permission_denied: You do not have a role on ws, so you cannot create or change its requests")
	archived := User{Username: "alice", Workspaces: map[string]WorkspaceGrant{ws: archivedGrant}}
	assert.EqualError(t, CheckCanEdit(archived, r), "permission_denied: The workspace ws has been archived")
	assert.EqualError(t, CheckCanEdit(researcher("alice"), r), "invalid_state: This request is being reviewed: it can be changed again only if the output checkers return it")
}

// Behaviour 26, 27, 29: who may add files, and when.
func TestCheckCanAddFile_Permissions_Behaviour26_27_29(t *testing.T) {
	p := DefaultPolicy()
	r := matrixReq(StatusPending)
	add := func(u User) error { return CheckCanAddFile(u, r, "out/b.csv", WorkspaceUnreleased, FileTypeOutput, p) }
	assert.Equal(t, CodePermissionDenied, ErrorCode(add(checkerWithRole("chk2"))), "26: non-author checker with role")
	assert.Equal(t, CodeNotFound, ErrorCode(add(User{Username: "alice"})), "27: lost workspace access")
	assert.Equal(t, CodePermissionDenied, ErrorCode(add(User{Username: "alice", Workspaces: map[string]WorkspaceGrant{ws: archivedGrant}})))
	assert.Equal(t, CodePermissionDenied, ErrorCode(add(User{Username: "alice", Workspaces: map[string]WorkspaceGrant{ws: inactiveGrant}})))
	for _, st := range Statuses {
		r.Status = st
		if st == StatusPending || st == StatusReturned {
			assert.NoError(t, add(researcher("alice")), st)
		} else {
			assert.Error(t, add(researcher("alice")), "29: %s", st)
		}
	}
}

// Behaviour 25 and docs/decisions.md §6: downloads.
func TestCheckCanDownload_Behaviour25_Decision6(t *testing.T) {
	r := matrixReq(StatusSubmitted)
	assert.NoError(t, CheckCanDownload(checker("chk1"), r))
	r.Author = "chk9"
	assert.NoError(t, CheckCanDownload(checker("chk1"), r), "author being a checker does not matter")
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanDownload(checker("chk9"), r)), "checker-author")
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanDownload(researcher("carol"), r)), "non-checker")
	pending := matrixReq(StatusPending)
	err := CheckCanDownload(checker("chk1"), pending)
	assert.Equal(t, CodeInvalidState, ErrorCode(err), "never from a request that was never submitted")
	returned := matrixReq(StatusReturned)
	returned.LastSubmittedAt = nil // turn > 0 still proves a submission
	assert.NoError(t, CheckCanDownload(checker("chk1"), returned))
}

// docs/decisions.md §1 and behaviour 108: forced close.
func TestCheckCanForceClose_Decision1(t *testing.T) {
	for _, st := range Statuses {
		for _, to := range Statuses {
			err := CheckCanForceClose(matrixReq(st), to)
			want := !st.IsFinal() && (to == StatusRejected || to == StatusWithdrawn) && st != to
			assert.Equal(t, want, err == nil, "%s -> %s: %v", st, to, err)
			assert.Equal(t, err == nil, CanForceClose(matrixReq(st), to))
		}
	}
	assert.EqualError(t, CheckCanForceClose(matrixReq(StatusWithdrawn), StatusWithdrawn),
		"invalid_state: Release request is already in status WITHDRAWN")
	assert.Equal(t, CodeInvalid, ErrorCode(CheckCanForceClose(matrixReq(StatusPending), StatusApproved)))
	assert.NoError(t, CheckCanForceClose(matrixReq(StatusApproved), StatusRejected), "APPROVED is not final")
	require.ElementsMatch(t, []Status{StatusRejected, StatusWithdrawn}, ForceCloseStatuses)
}
