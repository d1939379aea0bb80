package service_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

var ctx = testenv.Ctx()

// The whole path: add, submit, two blind reviews, return, update, resubmit, approve, release,
// upload, RELEASED — checking state, audit, events and notifications along the way.
func TestAirlock_FullWorkflow(t *testing.T) {
	env := testenv.NewEnv(t)
	svc := env.Svc
	author, c1, c2 := testenv.Researcher(), testenv.Checker1(), testenv.Checker2()
	ws := testenv.Workspace
	env.WriteFile(t, ws, "output/table.csv", "a,b\n1,2\n")
	env.WriteFile(t, ws, "output/notes.txt", "how it was made\n")

	// Create and add.
	view, created, err := svc.GetOrCreateRequest(ctx, author, ws)
	require.NoError(t, err)
	require.True(t, created)
	id := view.Request.ID
	view, err = svc.AddFiles(ctx, author, id, "tables", []service.FileSpec{
		{Path: "output/table.csv"},
		{Path: "output/notes.txt", FileType: airlock.FileTypeSupporting},
	})
	require.NoError(t, err)
	assert.Equal(t, airlock.WorkspaceUnderReview, view.WorkspaceStatus["output/table.csv"])
	_, err = svc.EditGroup(ctx, author, id, "tables", "two columns", "rounded to 5")
	require.NoError(t, err)

	// Submit: turn 0 → 1.
	view, err = svc.Submit(ctx, author, id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusSubmitted, view.Request.Status)
	assert.Equal(t, 1, view.Request.ReviewTurn)

	// Two blind reviews: checker1 requests changes, checker2 approves.
	_, err = svc.Vote(ctx, c1, id, []string{"output/table.csv"}, "CHANGES_REQUESTED")
	require.NoError(t, err)
	_, err = svc.SubmitReview(ctx, c1, id)
	testenv.AssertCode(t, err, airlock.CodeInvalidState) // needs a comment first
	_, err = svc.AddComment(ctx, c1, id, "tables", "too small counts", airlock.VisibilityPrivate)
	require.NoError(t, err)
	view, err = svc.SubmitReview(ctx, c1, id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusPartiallyReviewed, view.Request.Status)
	_, err = svc.Vote(ctx, c2, id, []string{"output/table.csv"}, "APPROVED")
	require.NoError(t, err)
	view, err = svc.SubmitReview(ctx, c2, id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusReviewed, view.Request.Status)
	f := view.Request.File("output/table.csv")
	assert.Equal(t, airlock.DecisionConflicted, airlock.Decide(f, view.Request.SubmittedReviewers(), view.Policy))

	// Return needs a public comment on the conflicted group.
	_, err = svc.Return(ctx, c2, id)
	testenv.AssertCode(t, err, airlock.CodeInvalidState)
	_, err = svc.AddComment(ctx, c2, id, "tables", "please round", airlock.VisibilityPublic)
	require.NoError(t, err)
	view, err = svc.Return(ctx, c2, id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusReturned, view.Request.Status)
	assert.Equal(t, 2, view.Request.ReviewTurn)
	assert.ElementsMatch(t, []string{"checker1", "checker2"}, view.Request.TurnReviewers)

	// The author updates the file and answers, then resubmits.
	env.Clock.Advance(time.Minute)
	env.WriteFile(t, ws, "output/table.csv", "a,b\n0,5\n")
	view, err = svc.UpdateFiles(ctx, author, id, []string{"output/table.csv"})
	require.NoError(t, err)
	assert.Empty(t, view.Request.File("output/table.csv").Reviews, "updating resets the votes")
	_, err = svc.Submit(ctx, author, id)
	testenv.AssertCode(t, err, airlock.CodeInvalidState) // the group needs the author's public comment
	_, err = svc.AddComment(ctx, author, id, "tables", "rounded now", airlock.VisibilityPublic)
	require.NoError(t, err)
	view, err = svc.Submit(ctx, author, id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusSubmitted, view.Request.Status)
	assert.Equal(t, 3, view.Request.ReviewTurn)

	// Both approve; release.
	testenv.Review(t, env, c1, id, nil)
	testenv.Review(t, env, c2, id, nil)
	view, err = svc.Release(ctx, c1, id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusApproved, view.Request.Status)
	assert.Equal(t, "release-"+id, view.Request.ReleaseID)
	rel := view.Request.File("output/table.csv")
	require.NotNil(t, rel.ReleasedAt)
	assert.Equal(t, "checker1", rel.ReleasedBy)
	assert.Nil(t, view.Request.File("output/notes.txt").ReleasedAt, "supporting files are never released")
	calls := env.Releaser.Calls()
	require.Len(t, calls, 1)
	require.Len(t, calls[0].Files, 1)
	assert.Equal(t, "output/table.csv", calls[0].Files[0].Path)
	assert.Equal(t, testenv.SHA256("a,b\n0,5\n"), calls[0].Files[0].SHA256)
	assert.Equal(t, int64(len("a,b\n0,5\n")), calls[0].Files[0].Size)

	// Upload → RELEASED.
	require.NoError(t, svc.RecordUploadAttempt(ctx, id, "output/table.csv", nil))
	require.NoError(t, svc.MarkUploaded(ctx, id, "output/table.csv"))

	r := env.Request(t, id)
	assert.Equal(t, airlock.StatusReleased, r.Status)
	up := r.File("output/table.csv")
	assert.True(t, up.Uploaded)
	assert.Equal(t, 1, up.UploadAttempts)

	// The workspace now shows the released file as RELEASED, for everyone.
	d, err := svc.GetWorkspaceFile(ctx, testenv.Collaborator(), ws, "output/table.csv")
	require.NoError(t, err)
	assert.Equal(t, airlock.WorkspaceReleased, d.Status)

	// Notifications: every status change, in order (§12.88).
	assert.Equal(t, []string{
		"request_submitted", "request_partially_reviewed", "request_reviewed", "request_returned",
		"request_resubmitted", "request_partially_reviewed", "request_reviewed", "request_approved",
		"request_released",
	}, env.Notes.Types())

	// The audit log's status events, in order.
	var statusEvents []airlock.AuditType
	for _, ev := range env.RequestAudit(t, id) {
		switch ev.Type {
		case airlock.AuditRequestCreate, airlock.AuditRequestSubmit, airlock.AuditRequestReview,
			airlock.AuditRequestReturn, airlock.AuditRequestApprove, airlock.AuditRequestRelease:
			statusEvents = append(statusEvents, ev.Type)
		}
	}
	assert.Equal(t, []airlock.AuditType{
		airlock.AuditRequestCreate, airlock.AuditRequestSubmit, airlock.AuditRequestReview,
		airlock.AuditRequestReview, airlock.AuditRequestReturn, airlock.AuditRequestSubmit,
		airlock.AuditRequestReview, airlock.AuditRequestReview, airlock.AuditRequestApprove,
		airlock.AuditRequestRelease,
	}, statusEvents)

	// Every published event is a thin request.changed for this request; the last says RELEASED.
	evs := env.Pub.Events()
	require.NotEmpty(t, evs)
	for _, ev := range evs {
		assert.Equal(t, airlock.EventRequestChanged, ev.Type)
		assert.Equal(t, id, ev.RequestID)
		assert.Equal(t, ws, ev.Workspace)
	}
	assert.Equal(t, airlock.StatusReleased, evs[len(evs)-1].Status)

	// The audit chain is intact.
	checked, bad, err := env.Store.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.Zero(t, bad)
	assert.Positive(t, checked)
}
