package airlock

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The §6 matrix: for every status and every kind of user, which operations are allowed.
// Expectations are written out as data, independently of the implementation.

type actor struct {
	name string
	user User
}

func matrixActors() []actor {
	authorChecker := checkerWithRole("alice")
	return []actor{
		{"author", researcher("alice")},
		{"author who is a checker", authorChecker},
		{"collaborator", researcher("carol")},
		{"checker", checker("chk1")},
		{"checker with role", checkerWithRole("chk2")},
		{"copilot", copilot("cop")},
		{"readonly", readonly("ro")},
		{"stranger", User{Username: "zed"}},
	}
}

var (
	editable    = []Status{StatusPending, StatusReturned}
	underReview = []Status{StatusSubmitted, StatusPartiallyReviewed, StatusReviewed}
	afterSubmit = []Status{StatusSubmitted, StatusPartiallyReviewed, StatusReviewed, StatusReturned,
		StatusApproved, StatusRejected, StatusReleased, StatusWithdrawn}
)

type matrixOp struct {
	name  string
	check func(u User, r *ReleaseRequest) error
	can   func(u User, r *ReleaseRequest) bool
	// allowed maps actor name → statuses in which the op is allowed.
	allowed map[string][]Status
}

func authors(sts []Status) map[string][]Status {
	return map[string][]Status{"author": sts, "author who is a checker": sts}
}

func checkers(sts []Status) map[string][]Status {
	return map[string][]Status{"checker": sts, "checker with role": sts}
}

func matrixOps() []matrixOp {
	p := DefaultPolicy()
	return []matrixOp{
		{"edit", CheckCanEdit, CanEdit, authors(editable)},
		{"add output file",
			func(u User, r *ReleaseRequest) error {
				return CheckCanAddFile(u, r, "out/b.csv", WorkspaceUnreleased, FileTypeOutput, p)
			},
			func(u User, r *ReleaseRequest) bool {
				return CanAddFile(u, r, "out/b.csv", WorkspaceUnreleased, FileTypeOutput, p)
			}, authors(editable)},
		{"add supporting file",
			func(u User, r *ReleaseRequest) error {
				return CheckCanAddFile(u, r, "out/b.txt", WorkspaceUnreleased, FileTypeSupporting, p)
			},
			func(u User, r *ReleaseRequest) bool {
				return CanAddFile(u, r, "out/b.txt", WorkspaceUnreleased, FileTypeSupporting, p)
			}, authors(editable)},
		{"update file",
			func(u User, r *ReleaseRequest) error {
				return CheckCanUpdateFile(u, r, "out/a.csv", WorkspaceUpdated, p)
			},
			func(u User, r *ReleaseRequest) bool { return CanUpdateFile(u, r, "out/a.csv", WorkspaceUpdated, p) },
			authors(editable)},
		{"move file to new group",
			func(u User, r *ReleaseRequest) error {
				return CheckCanChangeFileProperties(u, r, "out/a.csv", WorkspaceUnderReview, "g2", "")
			},
			func(u User, r *ReleaseRequest) bool {
				return CanChangeFileProperties(u, r, "out/a.csv", WorkspaceUnderReview, "g2", "")
			}, authors(editable)},
		{"make supporting file output",
			func(u User, r *ReleaseRequest) error {
				return CheckCanChangeFileProperties(u, r, "out/notes.txt", WorkspaceUnderReview, "", FileTypeOutput)
			},
			func(u User, r *ReleaseRequest) bool {
				return CanChangeFileProperties(u, r, "out/notes.txt", WorkspaceUnderReview, "", FileTypeOutput)
			}, authors(editable)},
		{"withdraw file",
			func(u User, r *ReleaseRequest) error { return CheckCanWithdrawFile(u, r, "out/a.csv") },
			func(u User, r *ReleaseRequest) bool { return CanWithdrawFile(u, r, "out/a.csv") },
			authors(editable)},
		{"edit group",
			func(u User, r *ReleaseRequest) error { return CheckCanEditGroup(u, r, "g1") },
			func(u User, r *ReleaseRequest) bool { return CanEditGroup(u, r, "g1") },
			authors(editable)},
		{"submit",
			func(u User, r *ReleaseRequest) error { return CheckCanSubmit(u, r, p) },
			func(u User, r *ReleaseRequest) bool { return CanSubmit(u, r, p) },
			authors(editable)},
		{"withdraw request", CheckCanWithdrawRequest, CanWithdrawRequest, authors(editable)},
		{"vote output file",
			func(u User, r *ReleaseRequest) error { return CheckCanVote(u, r, "out/a.csv") },
			func(u User, r *ReleaseRequest) bool { return CanVote(u, r, "out/a.csv") },
			checkers(underReview)},
		{"vote supporting file",
			func(u User, r *ReleaseRequest) error { return CheckCanVote(u, r, "out/notes.txt") },
			func(u User, r *ReleaseRequest) bool { return CanVote(u, r, "out/notes.txt") },
			nil},
		{"reset vote",
			func(u User, r *ReleaseRequest) error { return CheckCanResetVote(u, r, "out/a.csv") },
			func(u User, r *ReleaseRequest) bool { return CanResetVote(u, r, "out/a.csv") },
			checkers(underReview)},
		{"submit review",
			func(u User, r *ReleaseRequest) error { return CheckCanSubmitReview(u, r, p) },
			func(u User, r *ReleaseRequest) bool { return CanSubmitReview(u, r, p) },
			checkers(underReview)},
		{"return",
			func(u User, r *ReleaseRequest) error { return CheckCanReturn(u, r, p) },
			func(u User, r *ReleaseRequest) bool { return CanReturn(u, r, p) },
			checkers(underReview)},
		{"reject",
			func(u User, r *ReleaseRequest) error { return CheckCanReject(u, r, p) },
			func(u User, r *ReleaseRequest) bool { return CanReject(u, r, p) },
			checkers([]Status{StatusReviewed})},
		{"release",
			func(u User, r *ReleaseRequest) error { return CheckCanRelease(u, r, p) },
			func(u User, r *ReleaseRequest) bool { return CanRelease(u, r, p) },
			checkers([]Status{StatusReviewed, StatusApproved})},
		{"comment public",
			func(u User, r *ReleaseRequest) error { return CheckCanComment(u, r, "g1", VisibilityPublic) },
			func(u User, r *ReleaseRequest) bool { return CanComment(u, r, "g1", VisibilityPublic) },
			map[string][]Status{
				"author": editable, "author who is a checker": editable, "collaborator": editable,
				"checker": underReview, "checker with role": append(slices.Clone(editable), underReview...),
			}},
		{"comment private",
			func(u User, r *ReleaseRequest) error { return CheckCanComment(u, r, "g1", VisibilityPrivate) },
			func(u User, r *ReleaseRequest) bool { return CanComment(u, r, "g1", VisibilityPrivate) },
			checkers(underReview)},
		{"download", CheckCanDownload, CanDownload, checkers(afterSubmit)},
	}
}

func TestMatrix_StatusRoleOperation(t *testing.T) {
	for _, op := range matrixOps() {
		for _, a := range matrixActors() {
			for _, st := range Statuses {
				want := slices.Contains(op.allowed[a.name], st)
				t.Run(op.name+"/"+a.name+"/"+string(st), func(t *testing.T) {
					r := matrixReq(st)
					err := op.check(a.user, r)
					assert.Equal(t, err == nil, op.can(a.user, r), "CanX must agree with CheckCanX")
					if want {
						assert.NoError(t, err)
						return
					}
					require.Error(t, err)
					var e *Error
					require.ErrorAs(t, err, &e, "denials are coded errors")
					assert.NotEmpty(t, e.Message)
					assert.NotEqual(t, CodeInternal, e.Code)
					if a.name == "stranger" {
						assert.Equal(t, CodeNotFound, e.Code, "users who cannot see the workspace get not_found")
					}
				})
			}
		}
	}
}

// The actions block is computed by the same checks (docs/api.md "Actions").
func TestRequestActions_MatchChecks(t *testing.T) {
	p := DefaultPolicy()
	for _, a := range matrixActors() {
		for _, st := range Statuses {
			r := matrixReq(st)
			acts := RequestActions(a.user, r, p)
			require.Len(t, acts, len(ActionKeys))
			for _, k := range ActionKeys {
				require.Contains(t, acts, k)
				if !acts[k].Allowed {
					assert.NotEmpty(t, acts[k].Reason, "%s %s %s needs a reason", a.name, st, k)
				} else if k != ActionReturn || !IsEarlyReturn(r, p) {
					assert.Empty(t, acts[k].Reason)
				} else {
					assert.NotEmpty(t, acts[k].Reason, "an early return says what it resets")
				}
			}
			assert.Equal(t, CanEdit(a.user, r), acts[ActionAddFiles].Allowed, "%s %s", a.name, st)
			assert.Equal(t, CanEdit(a.user, r), acts[ActionEditGroups].Allowed)
			assert.Equal(t, CanSubmit(a.user, r, p), acts[ActionSubmit].Allowed)
			assert.Equal(t, CanWithdrawRequest(a.user, r), acts[ActionWithdraw].Allowed)
			assert.Equal(t, CanSubmitReview(a.user, r, p), acts[ActionReview].Allowed)
			assert.Equal(t, CanReturn(a.user, r, p), acts[ActionReturn].Allowed)
			assert.Equal(t, CanReject(a.user, r, p), acts[ActionReject].Allowed)
			assert.Equal(t, CanRelease(a.user, r, p), acts[ActionRelease].Allowed)
			assert.Equal(t, CanComment(a.user, r, "g1", VisibilityPublic), acts[ActionComment].Allowed, "%s %s", a.name, st)
		}
	}
	t.Run("reason is the check's message", func(t *testing.T) {
		r := matrixReq(StatusSubmitted)
		acts := RequestActions(researcher("alice"), r, p)
		assert.Equal(t, "This request is being reviewed: it can be changed again only if the output checkers return it", acts[ActionAddFiles].Reason)
		assert.Equal(t, "This request is being reviewed, so it cannot be submitted", acts[ActionSubmit].Reason)
	})
}
