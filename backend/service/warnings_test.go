package service_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// blockCSV has counts of 3 and 7 in a count column: the small-count check's BLOCK.
const blockCSV = "age_band,admissions\n18-29,15\n30-39,3\n40-49,7\n50-59,410\n"

// cleanCSV is rounded and large: no warnings.
const cleanCSV = "age_band,admissions\n18-29,1500\n30-39,2000\n"

func submittedWithBlock(t *testing.T, env *testenv.Env) *airlock.ReleaseRequest {
	t.Helper()
	return testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/admissions.csv", testenv.Content(blockCSV)),
		testenv.File("output/clean.csv", testenv.Content(cleanCSV)),
		testenv.File("output/notes.txt", testenv.Supporting()))
}

func TestWarnings_CountedWhenAddedAndStored(t *testing.T) {
	env := testenv.NewEnv(t)
	r := submittedWithBlock(t, env)
	block := r.File("output/admissions.csv").Warnings
	require.NotNil(t, block, "counted when added")
	assert.Positive(t, block.Block)
	assert.Equal(t, &airlock.WarningCounts{}, r.File("output/clean.csv").Warnings)
	assert.Equal(t, &airlock.WarningCounts{}, r.File("output/notes.txt").Warnings, "no checks: no warnings")

	// The review queue's summary adds up the output files' counts.
	sums, err := env.Svc.ListRequests(testenv.Ctx(), testenv.Checker1(), service.RequestQuery{Scope: service.ScopeReview})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	assert.Equal(t, *block, sums[0].Warnings)
	assert.Equal(t, 1, sums[0].BlockFiles)
	assert.Equal(t, 0, sums[0].UncountedFiles)
}

func TestVote_ApproveBlockNeedsAcknowledgement(t *testing.T) {
	env := testenv.NewEnv(t)
	r := submittedWithBlock(t, env)
	c1 := testenv.Checker1()
	path := "output/admissions.csv"

	// Without a note: refused with the domain's reason and code; nothing written.
	mark := env.AuditMark(t, r.ID)
	reset(env)
	for _, note := range []string{"", "  \n "} {
		_, err := env.Svc.VoteWithNote(testenv.Ctx(), c1, r.ID, []string{path}, "APPROVED", note)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Equal(t, airlock.AcknowledgementReason(r.File(path)), airlock.ErrorMessage(err))
		assert.Contains(t, airlock.ErrorMessage(err), "BLOCK warning")
	}
	// Vote (no note at all) is refused the same way, and so is a bulk vote holding the file.
	_, err := env.Svc.Vote(testenv.Ctx(), c1, r.ID, []string{path}, "APPROVED")
	testenv.AssertCode(t, err, airlock.CodeInvalid)
	_, err = env.Svc.Vote(testenv.Ctx(), c1, r.ID, []string{"output/clean.csv", path}, "APPROVED")
	testenv.AssertCode(t, err, airlock.CodeInvalid)
	assert.Empty(t, env.AuditSince(t, r.ID, mark), "no audit event")
	assertNothingPublished(t, env)
	got := env.Request(t, r.ID)
	assert.Nil(t, got.File(path).Vote(c1.Username), "no vote stored")
	assert.Nil(t, got.File("output/clean.csv").Vote(c1.Username), "all or nothing")

	// A note with any other vote is refused.
	_, err = env.Svc.VoteWithNote(testenv.Ctx(), c1, r.ID, []string{path}, "CHANGES_REQUESTED", "seen")
	testenv.AssertCode(t, err, airlock.CodeInvalid)
	// So is a note over the limit.
	_, err = env.Svc.VoteWithNote(testenv.Ctx(), c1, r.ID, []string{path}, "APPROVED", strings.Repeat("x", airlock.MaxAcknowledgementLength+1))
	testenv.AssertCode(t, err, airlock.CodeInvalid)
	assert.Empty(t, env.AuditSince(t, r.ID, mark))

	// With a note: stored with the vote, and the audit event holds it. The clean file in
	// the same call keeps no note.
	note := "Counts of 3 and 7 are in the 30-49 bands; agreed with the researcher they are suppressed upstream."
	_, err = env.Svc.VoteWithNote(testenv.Ctx(), c1, r.ID, []string{path, "output/clean.csv"}, "APPROVED", "  "+note+"\n")
	require.NoError(t, err)
	got = env.Request(t, r.ID)
	v := got.File(path).Vote(c1.Username)
	require.NotNil(t, v)
	assert.Equal(t, airlock.VoteApproved, v.Status)
	assert.Equal(t, note, v.Acknowledgement)
	assert.Equal(t, "", got.File("output/clean.csv").Vote(c1.Username).Acknowledgement)

	evs := env.AuditSince(t, r.ID, mark)
	require.Len(t, evs, 2)
	assertAudit(t, evs[0], airlock.AuditRequestFileApprove, c1.Username, path, map[string]string{
		"acknowledgement": note, "block_warnings": strconv.Itoa(r.File(path).Warnings.Block),
	})
	assertAudit(t, evs[1], airlock.AuditRequestFileApprove, c1.Username, "output/clean.csv", nil)
	_, has := evs[1].Extra["acknowledgement"]
	assert.False(t, has, "no note on a file without BLOCK warnings")

	// Changing the vote to changes requested drops the note.
	_, err = env.Svc.Vote(testenv.Ctx(), c1, r.ID, []string{path}, "CHANGES_REQUESTED")
	require.NoError(t, err)
	assert.Equal(t, "", env.Request(t, r.ID).File(path).Vote(c1.Username).Acknowledgement)
}

// A file added before warnings were counted (by a service without Checks, on the same
// store) is counted before the vote, so it is never approved unseen.
func TestVote_UncountedFileIsCountedBeforeTheVote(t *testing.T) {
	env := testenv.NewEnv(t)
	old := service.New(service.Config{Store: env.Store, Workspaces: env.Workspaces, Files: env.Files, Clock: env.Clock.Now})
	author := testenv.Researcher()
	view, _, err := old.GetOrCreateRequest(testenv.Ctx(), author, testenv.Workspace)
	require.NoError(t, err)
	id := view.Request.ID
	env.WriteFile(t, testenv.Workspace, "output/admissions.csv", blockCSV)
	_, err = old.AddFiles(testenv.Ctx(), author, id, "g", []service.FileSpec{{Path: "output/admissions.csv"}})
	require.NoError(t, err)
	_, err = old.EditGroup(testenv.Ctx(), author, id, "g", "context", "controls")
	require.NoError(t, err)
	_, err = old.Submit(testenv.Ctx(), author, id)
	require.NoError(t, err)
	require.Nil(t, env.Request(t, id).File("output/admissions.csv").Warnings, "never counted")

	sums, err := env.Svc.ListRequests(testenv.Ctx(), testenv.Checker1(), service.RequestQuery{Scope: service.ScopeReview})
	require.NoError(t, err)
	require.Len(t, sums, 1)
	assert.Equal(t, 1, sums[0].UncountedFiles)

	c1 := testenv.Checker1()
	_, err = env.Svc.Vote(testenv.Ctx(), c1, id, []string{"output/admissions.csv"}, "APPROVED")
	testenv.AssertCode(t, err, airlock.CodeInvalid)
	assert.Contains(t, airlock.ErrorMessage(err), "BLOCK warning")
	_, err = env.Svc.VoteWithNote(testenv.Ctx(), c1, id, []string{"output/admissions.csv"}, "APPROVED", "seen")
	require.NoError(t, err)
	assert.Equal(t, "seen", env.Request(t, id).File("output/admissions.csv").Vote(c1.Username).Acknowledgement)
}

// An updated file is counted again: the new content's warnings replace the old.
func TestUpdateFiles_CountsTheNewContent(t *testing.T) {
	env := testenv.NewEnv(t)
	author := testenv.Researcher()
	r := testenv.CreateRequestAtStatus(t, env, author, airlock.StatusPending,
		testenv.File("output/admissions.csv", testenv.Content(cleanCSV)))
	assert.Equal(t, 0, r.File("output/admissions.csv").Warnings.Block)
	env.WriteFile(t, testenv.Workspace, "output/admissions.csv", blockCSV)
	_, err := env.Svc.UpdateFiles(testenv.Ctx(), author, r.ID, []string{"output/admissions.csv"})
	require.NoError(t, err)
	assert.Positive(t, env.Request(t, r.ID).File("output/admissions.csv").Warnings.Block)
}

func TestListTree_WarningCounts(t *testing.T) {
	env := testenv.NewEnv(t)
	u := testenv.Researcher()
	env.WriteFile(t, testenv.Workspace, "output/admissions.csv", blockCSV)
	env.WriteFile(t, testenv.Workspace, "output/clean.csv", cleanCSV)
	env.WriteFile(t, testenv.Workspace, "output/notes.txt", "notes\n")
	// Past the inline budget of one listing: counted in the background.
	var big strings.Builder
	big.WriteString("band,admissions\n")
	for big.Len() < 5<<20 {
		big.WriteString("a,3\n")
	}
	env.WriteFile(t, testenv.Workspace, "output/zz_big.csv", big.String())
	reset(env)

	byName := func(items []service.TreeItem) map[string]service.TreeItem {
		out := map[string]service.TreeItem{}
		for _, it := range items {
			out[it.Name] = it
		}
		return out
	}
	items, err := env.Svc.ListTree(testenv.Ctx(), u, testenv.Workspace, "output", false)
	require.NoError(t, err)
	got := byName(items)
	require.NotNil(t, got["admissions.csv"].Warnings)
	assert.Positive(t, got["admissions.csv"].Warnings.Block)
	assert.Equal(t, &airlock.WarningCounts{}, got["clean.csv"].Warnings)
	assert.Nil(t, got["notes.txt"].Warnings, "no checks for text files")
	assert.False(t, got["notes.txt"].WarningsPending)
	assert.Nil(t, got["zz_big.csv"].Warnings, "a big file is not counted inline")
	assert.True(t, got["zz_big.csv"].WarningsPending)

	// The background count announces itself; the next listing shows it.
	require.Eventually(t, func() bool {
		for _, ev := range env.Pub.Events() {
			if ev.Type == airlock.EventWorkspaceChanged && len(ev.Paths) == 1 && ev.Paths[0] == "output/zz_big.csv" {
				return true
			}
		}
		return false
	}, 30*time.Second, 5*time.Millisecond, "the background count never finished")
	items, err = env.Svc.ListTree(testenv.Ctx(), u, testenv.Workspace, "output", false)
	require.NoError(t, err)
	got = byName(items)
	require.NotNil(t, got["zz_big.csv"].Warnings)
	assert.Positive(t, got["zz_big.csv"].Warnings.Block)
	assert.False(t, got["zz_big.csv"].WarningsPending)
}

// A folder of many small CSV files: one listing counts a bounded number inline and the rest
// in the background, announced by one event for all of them (not one per file).
func TestListTree_ManySmallFilesOneEvent(t *testing.T) {
	env := testenv.NewEnv(t)
	u := testenv.Researcher()
	const n = 80
	for i := 0; i < n; i++ {
		env.WriteFile(t, testenv.Workspace, fmt.Sprintf("output/t%02d.csv", i), blockCSV+fmt.Sprintf("row%d,%d\n", i, 100+5*i))
	}
	reset(env)
	items, err := env.Svc.ListTree(testenv.Ctx(), u, testenv.Workspace, "output", false)
	require.NoError(t, err)
	counted, pending := 0, 0
	for _, it := range items {
		if it.Warnings != nil {
			counted++
		}
		if it.WarningsPending {
			pending++
		}
	}
	assert.Less(t, counted, n, "a listing does not count every file of a big folder inline")
	assert.Equal(t, n, counted+pending)
	var events []airlock.Event
	require.Eventually(t, func() bool {
		events = nil
		for _, ev := range env.Pub.Events() {
			if ev.Type == airlock.EventWorkspaceChanged {
				events = append(events, ev)
			}
		}
		return len(events) > 0
	}, 30*time.Second, 5*time.Millisecond, "the background counts never finished")
	require.Len(t, events, 1, "one event for the listing's background counts")
	assert.Len(t, events[0].Paths, pending)
	items, err = env.Svc.ListTree(testenv.Ctx(), u, testenv.Workspace, "output", false)
	require.NoError(t, err)
	for _, it := range items {
		require.NotNil(t, it.Warnings, it.Path)
		assert.Positive(t, it.Warnings.Block, it.Path)
	}
}
