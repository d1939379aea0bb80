package airlock

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every action the UI can show is decided here: each block has exactly its keys, every entry
// is decided consistently (a hidden action is never allowed; a shown disabled action says
// why), and every text a person reads is written for that person (docs/api.md "Actions").

var allStatuses = []Status{
	StatusPending, StatusSubmitted, StatusPartiallyReviewed, StatusReviewed, StatusReturned,
	StatusApproved, StatusRejected, StatusReleased, StatusWithdrawn,
}

// actionActors are the matrix's actors plus users whose workspace is archived or whose
// project is not ongoing.
func actionActors() []actor {
	archived := researcher("alice")
	archived.Workspaces[ws] = archivedGrant
	inactive := researcher("alice")
	inactive.Workspaces[ws] = inactiveGrant
	return append(matrixActors(),
		actor{"author of an archived workspace", archived},
		actor{"author of an inactive project", inactive},
		actor{"checker who submitted", checker("chk3")},
		actor{"anonymous", User{}},
	)
}

// actionRequests are the requests each status is tried with: the matrix's (every other
// precondition holds), one where nobody voted, one with an incomplete group and a withdrawn
// file, and one whose checkers asked for changes without commenting.
func actionRequests(st Status) map[string]*ReleaseRequest {
	bare := newReq(st)
	if st != StatusPending {
		bare.ReviewTurn = 1
		bare.LastSubmittedAt = &t0
	}
	incomplete := matrixReq(st)
	incomplete.addGroup("g2").Context = ""
	incomplete.addFile("g2", "out/c.csv", FileTypeOutput)
	incomplete.addFile("g2", "out/w.csv", FileTypeWithdrawn)
	changes := matrixReq(st)
	for _, rv := range []string{"chk1", "chk2", "chk3", "chk4"} {
		changes.vote("out/a.csv", rv, VoteChangesRequested, changes.ReviewTurn)
	}
	return map[string]*ReleaseRequest{"ready": matrixReq(st), "bare": bare, "incomplete": incomplete, "changes requested": changes}
}

var (
	enumWord = regexp.MustCompile(`\b(PENDING|SUBMITTED|PARTIALLY_REVIEWED|REVIEWED|RETURNED|APPROVED|REJECTED|RELEASED|` +
		`WITHDRAWN|UNRELEASED|UNDER_REVIEW|UPDATED|INVALID|OUTPUT|SUPPORTING|CHANGES_REQUESTED|UNDECIDED|` +
		`PUBLIC|PRIVATE|INCOMPLETE|CONFLICTED|AUTHOR|INDEPENDENT|CONSOLIDATING|COMPLETE)\b`)
	internalPhrases = []string{
		"cannot change status", "status from", "set status", "in state", "in status", "state ",
		"invalid_state", "permission_denied", "not_found", "%!", "<nil>", "can not",
	}
)

// wordingProblems says why text is not written for a person: it must start with a capital
// letter, name no enum value and use no internal phrase.
func wordingProblems(text string) []string {
	if text == "" {
		return nil
	}
	var out []string
	if !unicode.IsUpper([]rune(text)[0]) {
		out = append(out, "starts in lower case")
	}
	if m := enumWord.FindString(text); m != "" {
		out = append(out, "names the enum value "+m)
	}
	for _, p := range internalPhrases {
		if strings.Contains(strings.ToLower(text), p) {
			out = append(out, "uses the internal phrase "+p)
		}
	}
	return out
}

func checkWording(t *testing.T, where, text string) {
	t.Helper()
	assert.Empty(t, wordingProblems(text), "%s: %q", where, text)
}

// The check itself catches the reasons the issue reported.
func TestWordingProblemsCatchMachineWords(t *testing.T) {
	for _, bad := range []string{
		"cannot change status from SUBMITTED to REJECTED",
		"Cannot set status to APPROVED; request has unapproved files.",
		"cannot edit request that is in state SUBMITTED",
		"you do not have permission to view ws or its requests",
		"Cannot add file to request if it is in status UNDER_REVIEW",
	} {
		assert.NotEmpty(t, wordingProblems(bad), bad)
	}
	assert.Empty(t, wordingProblems("Disabled until two reviews have been submitted"))
}

// checkBlock checks that block has exactly keys, each entry decided consistently and worded
// for people; mayCaveat lists the keys that may be allowed with a reason (a caveat).
func checkBlock(t *testing.T, where string, block Actions, keys []ActionKey, mayCaveat ...ActionKey) {
	t.Helper()
	var got []ActionKey
	for k := range block {
		got = append(got, k)
	}
	assert.ElementsMatch(t, keys, got, "%s: keys", where)
	for k, st := range block {
		at := fmt.Sprintf("%s, %s", where, k)
		if !st.Shown {
			assert.False(t, st.Allowed, "%s: hidden but allowed", at)
		}
		if st.Shown && !st.Allowed {
			assert.NotEmpty(t, st.Reason, "%s: shown, disabled, and no reason", at)
		}
		if st.Allowed && st.Reason != "" {
			assert.Contains(t, mayCaveat, k, "%s: allowed with a reason %q", at, st.Reason)
		}
		if !st.Allowed {
			assert.Empty(t, st.Acknowledge, "%s: acknowledgement on a refused action", at)
			assert.Empty(t, st.Unselected, "%s: selection hint on a refused action", at)
		}
		checkWording(t, at+" reason", st.Reason)
		checkWording(t, at+" acknowledge", st.Acknowledge)
		checkWording(t, at+" unselected", st.Unselected)
	}
}

func TestEveryRequestAndFileActionIsDecidedInWordsForPeople(t *testing.T) {
	one := DefaultPolicy()
	one.RequiredReviews = 1
	policies := map[string]Policy{"two reviews": DefaultPolicy(), "one review": one}
	disks := []FileOnDisk{
		{Status: WorkspaceUnderReview}, {Status: WorkspaceUpdated, Size: 10, SizeKnown: true},
		{Status: WorkspaceReleased}, {Status: WorkspaceInvalid},
	}
	n := 0
	for pname, p := range policies {
		for _, st := range allStatuses {
			for rname, r := range actionRequests(st) {
				for _, a := range actionActors() {
					where := fmt.Sprintf("%s, %s request %s, %s", pname, rname, st, a.name)
					acts := RequestActions(a.user, r, p)
					checkBlock(t, where, acts, ActionKeys, ActionReturn)
					checkWording(t, where+" next step", NextStep(a.user, r, p))
					download := DownloadAction(a.user, r)
					for _, f := range r.AllFiles() {
						for _, d := range disks {
							fw := fmt.Sprintf("%s, file %s on disk %s", where, f.RelPath, d.Status)
							checkBlock(t, fw, RequestFileActions(a.user, r, f, d, download, p), FileActionKeys)
							n++
						}
					}
				}
			}
		}
	}
	require.Greater(t, n, 1000, "the walk covered the matrix")
}

func TestEveryWorkspaceActionIsDecidedInWordsForPeople(t *testing.T) {
	p := DefaultPolicy()
	p.MaxFileSize = 1 << 20
	files := []WorkspaceFile{
		{Path: "out/b.csv", Size: 10},
		{Path: "out/b.foo", Size: 10},
		{Path: "out/big.csv", Size: 1 << 40},
		{Path: "out/a.csv", Size: 10},
		{Path: "metadata/job.log", Manifest: ManifestUnlisted},
		{Path: "out/x.csv.txt", Manifest: ManifestExcludedNotice},
	}
	fileStatuses := []WorkspaceFileStatus{
		WorkspaceUnreleased, WorkspaceUnderReview, WorkspaceUpdated, WorkspaceReleased, WorkspaceWithdrawn, WorkspaceInvalid,
	}
	for _, a := range actionActors() {
		checkBlock(t, a.name+", user", UserActions(a.user), UserActionKeys)
		checkBlock(t, a.name+", workspace summary", Actions{"createRequest": CreateRequestAction(a.user, ws)}, []ActionKey{"createRequest"})
		currents := map[string]*ReleaseRequest{"no current request": nil}
		for _, st := range allStatuses {
			if st.IsActive() {
				currents["current request "+string(st)] = matrixReq(st)
			}
		}
		for cname, cur := range currents {
			where := fmt.Sprintf("%s, %s", a.name, cname)
			checkBlock(t, where+", workspace", WorkspaceActions(a.user, ws, cur), WorkspaceActionKeys)
			target := AddTargetFor(a.user, ws, cur)
			for _, f := range files {
				for _, fst := range fileStatuses {
					fw := fmt.Sprintf("%s, workspace file %s %s", where, f.Path, fst)
					acts, def := WorkspaceFileActions(a.user, target, f, fst, p)
					checkBlock(t, fw, acts, WorkspaceFileActionKeys, ActionAdd)
					assert.NotEqual(t, acts[ActionAdd].Shown, acts[ActionUpdate].Shown, "%s: exactly one of add and update is shown", fw)
					switch {
					case acts[ActionAddOutput].Allowed:
						assert.Equal(t, FileTypeOutput, def, fw)
					case acts[ActionAddSupporting].Allowed:
						assert.Equal(t, FileTypeSupporting, def, fw)
					default:
						assert.Empty(t, def, fw)
					}
				}
			}
		}
	}
}

// Who is shown which request action, written out as data.
func TestRequestActionsShown(t *testing.T) {
	p := DefaultPolicy()
	authorKeys := []ActionKey{ActionSubmit, ActionWithdraw}
	deciding := []ActionKey{ActionReview, ActionReturn, ActionReject, ActionRelease}
	always := []ActionKey{ActionAddFiles, ActionEditGroups, ActionComment}
	for _, st := range allStatuses {
		for _, a := range matrixActors() {
			acts := RequestActions(a.user, matrixReq(st), p)
			want := slices.Clone(always)
			isAuthor := a.name == "author" || a.name == "author who is a checker"
			isReviewer := a.name == "checker" || a.name == "checker with role"
			if isAuthor && (st == StatusPending || st == StatusReturned) {
				want = append(want, authorKeys...)
			}
			if isReviewer {
				want = append(want, ActionVote)
				if slices.Contains(underReview, st) || st == StatusApproved {
					want = append(want, deciding...)
				}
			}
			var shown []ActionKey
			for k, s := range acts {
				if s.Shown {
					shown = append(shown, k)
				}
			}
			assert.ElementsMatch(t, want, shown, "%s, %s", st, a.name)
		}
	}
}

// The reasons a checker reads on the decision buttons say what is needed (issue: "cannot
// change status from SUBMITTED to REJECTED").
func TestDecisionReasonsSayWhatIsNeeded(t *testing.T) {
	p := DefaultPolicy()
	chk := checker("chk1")
	for _, st := range []Status{StatusSubmitted, StatusPartiallyReviewed} {
		acts := RequestActions(chk, matrixReq(st), p)
		assert.Equal(t, "Disabled until two reviews have been submitted", acts[ActionReject].Reason, st)
		assert.Equal(t, "Disabled until two reviews have been submitted and every output file has been approved by two output checkers",
			acts[ActionRelease].Reason, st)
	}
	r := matrixReq(StatusReviewed)
	r.vote("out/a.csv", "chk4", VoteChangesRequested, r.ReviewTurn)
	assert.Equal(t, "Disabled until every output file has been approved by two output checkers",
		RequestActions(chk, r, p)[ActionRelease].Reason)
	one := DefaultPolicy()
	one.RequiredReviews = 1
	assert.Equal(t, "Disabled until one review has been submitted", RequestActions(chk, matrixReq(StatusSubmitted), one)[ActionReject].Reason)
	assert.Equal(t, "This request has been returned to its author, so it cannot be released",
		RequestActions(chk, matrixReq(StatusReturned), p)[ActionRelease].Reason)
	assert.Equal(t, "This request is being reviewed: it can be changed again only if the output checkers return it",
		RequestActions(researcher("alice"), matrixReq(StatusSubmitted), p)[ActionAddFiles].Reason)
}
