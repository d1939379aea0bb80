package release_test

// Behaviours 86-100 of docs/reference/domain.md §12 (release, upload, notifications), as
// amended by docs/decisions.md §4 and §14, through the real service with the real targets
// and the strict fake job-server. 90, 92-96 are in uploader_test.go, 96-97 also in
// jobserver_test.go and 99-100 also in notifier_test.go.

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/release"
)

// Behaviour 86: releasing a SUBMITTED request is an invalid state and sends nothing.
func TestBehaviour86_ReleaseSubmittedRequest(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	e.writeFile("output/a.csv", []byte("a\n"))
	view, _, err := e.svc.GetOrCreateRequest(ctx, alice, "ws1")
	require.NoError(t, err)
	id := view.Request.ID
	_, err = e.svc.AddFiles(ctx, alice, id, "group", []serviceFile{{Path: "output/a.csv", FileType: airlock.FileTypeOutput}})
	require.NoError(t, err)
	_, err = e.svc.EditGroup(ctx, alice, id, "group", "c", "c")
	require.NoError(t, err)
	_, err = e.svc.Submit(ctx, alice, id)
	require.NoError(t, err)
	e.notifier.Wait()
	require.Equal(t, []string{"request_submitted"}, e.fake.EventTypes())

	_, err = e.svc.Release(ctx, bob, id)
	assert.Equal(t, airlock.CodeInvalidState, airlock.ErrorCode(err))
	e.notifier.Wait()
	assert.Equal(t, []string{"request_submitted"}, e.fake.EventTypes(), "no notification")
	assert.Zero(t, e.fake.Calls(fakejobserver.CreateRelease), "no release created")
	assert.Equal(t, airlock.StatusSubmitted, e.request(id).Status)
}

// Behaviour 87: a request holding a file type the policy no longer allows cannot be
// released. (The reference raises RequestPermissionDenied; our domain codes a disallowed
// file type as invalid, per the team's error conventions.)
func TestBehaviour87_ReleaseDisallowedFileType(t *testing.T) {
	fake := newFake(t)
	js := release.NewJobServer(release.JobServerConfig{Endpoint: fake.URL, Token: token, Logger: discardLogger()})
	allowTxt := airlock.DefaultPolicy()
	e := newEnv(t, envConfig{Releaser: js, Policy: allowTxt})
	id := e.reviewedRequest(content{"output/a.txt": []byte("text")}, nil)

	// The operator narrows the allow-list and restarts.
	e.cfg.Policy = airlock.Policy{RequiredReviews: 2, AllowedExtensions: []string{".csv"}}
	e.restart()
	_, err := e.svc.Release(context.Background(), bob, id)
	assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), "err: %v", err)
	assert.Contains(t, airlock.ErrorMessage(err), "Invalid file type (output/a.txt)")
	assert.Zero(t, fake.Calls(fakejobserver.CreateRelease))
	assert.Equal(t, airlock.StatusReviewed, e.request(id).Status)
}

// Behaviour 88: the exact body of §7.1 with supporting and withdrawn files excluded;
// released_by/at set, nothing uploaded; and the notifications of a full cycle with a return.
func TestBehaviour88_FullCycle(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	files := content{"output/a.csv": []byte("a,b\n1,2\n"), "output/b.csv": []byte("b\n")}
	for p, b := range files {
		e.writeFile(p, b)
	}
	e.writeFile("code/notes.txt", []byte("supporting"))
	view, _, err := e.svc.GetOrCreateRequest(ctx, alice, "ws1")
	require.NoError(t, err)
	id := view.Request.ID
	_, err = e.svc.AddFiles(ctx, alice, id, "group", []serviceFile{
		{Path: "output/a.csv", FileType: airlock.FileTypeOutput},
		{Path: "output/b.csv", FileType: airlock.FileTypeOutput},
		{Path: "code/notes.txt", FileType: airlock.FileTypeSupporting},
	})
	require.NoError(t, err)
	_, err = e.svc.EditGroup(ctx, alice, id, "group", "context", "controls")
	require.NoError(t, err)
	_, err = e.svc.Submit(ctx, alice, id)
	require.NoError(t, err)

	// Turn 1: bob requests changes on b.csv, carol approves everything; bob returns it.
	_, err = e.svc.Vote(ctx, bob, id, []string{"output/a.csv"}, "APPROVED")
	require.NoError(t, err)
	_, err = e.svc.Vote(ctx, bob, id, []string{"output/b.csv"}, "CHANGES_REQUESTED")
	require.NoError(t, err)
	_, err = e.svc.AddComment(ctx, bob, id, "group", "b.csv is disclosive", airlock.VisibilityPrivate)
	require.NoError(t, err)
	_, err = e.svc.SubmitReview(ctx, bob, id)
	require.NoError(t, err)
	_, err = e.svc.Vote(ctx, carol, id, []string{"output/a.csv", "output/b.csv"}, "APPROVED")
	require.NoError(t, err)
	_, err = e.svc.SubmitReview(ctx, carol, id)
	require.NoError(t, err)
	_, err = e.svc.AddComment(ctx, bob, id, "group", "Please remove b.csv", airlock.VisibilityPublic)
	require.NoError(t, err)
	_, err = e.svc.Return(ctx, bob, id)
	require.NoError(t, err)

	// Turn 2: alice withdraws b.csv and resubmits; both approve a.csv.
	_, err = e.svc.WithdrawFiles(ctx, alice, id, []string{"output/b.csv"})
	require.NoError(t, err)
	_, err = e.svc.AddComment(ctx, alice, id, "group", "Removed b.csv", airlock.VisibilityPublic)
	require.NoError(t, err)
	_, err = e.svc.Submit(ctx, alice, id)
	require.NoError(t, err)
	for _, u := range []airlock.User{bob, carol} {
		_, err = e.svc.Vote(ctx, u, id, []string{"output/a.csv"}, "APPROVED")
		require.NoError(t, err)
		_, err = e.svc.SubmitReview(ctx, u, id)
		require.NoError(t, err)
	}
	_, err = e.svc.AddComment(ctx, bob, id, "group", "a comment sends no notification", airlock.VisibilityPublic)
	require.NoError(t, err)

	releasedAt := e.clock.Now()
	_, err = e.svc.Release(ctx, carol, id)
	require.NoError(t, err)

	rel, ok := e.fake.ReleaseFor(id)
	require.True(t, ok)
	assert.Equal(t, []string{"output/a.csv"}, rel.Order, "supporting and withdrawn files are not released")
	assert.Equal(t, "carol", rel.CreatedBy, "OS-User is the releasing checker")
	assert.Equal(t, sum(files["output/a.csv"]), rel.Files["output/a.csv"].SHA256)
	assert.Equal(t, int64(len(files["output/a.csv"])), rel.Files["output/a.csv"].Size)

	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status)
	a := r.File("output/a.csv")
	assert.Equal(t, "carol", a.ReleasedBy)
	require.NotNil(t, a.ReleasedAt)
	assert.True(t, a.ReleasedAt.Equal(releasedAt))
	assert.False(t, a.Uploaded)
	assert.Nil(t, r.File("output/b.csv").ReleasedAt)
	assert.Nil(t, r.File("code/notes.txt").ReleasedAt)
	assert.Zero(t, e.fake.Calls(fakejobserver.Upload))

	e.notifier.Wait()
	assert.Equal(t, []string{
		"request_submitted", "request_partially_reviewed", "request_reviewed", "request_returned",
		"request_resubmitted", "request_partially_reviewed", "request_reviewed", "request_approved",
	}, e.fake.EventTypes())

	// Behaviour 98, one file.
	last := e.fake.Events()[len(e.fake.Events())-1]
	assert.Equal(t, `{"event_type":"request_approved","workspace":"ws1","request":"`+id+
		`","request_author":"alice","user":"carol","updates":[{"update":"1 file will be uploaded"}]}`, last.Raw)
}

// Behaviour 89 (with docs/decisions.md §4): retrying release on an APPROVED request needs a
// checker who is not the author, keeps the already-released files' released_by, gets the
// same remote release, and writes REQUEST_APPROVE last.
func TestBehaviour89_ReleaseRetry(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.approvedRequest(threeFiles)
	first := e.request(id)

	_, err := e.svc.Release(ctx, alice, id)
	assert.Error(t, err, "the author may not retry a release")

	_, err = e.svc.Release(ctx, carol, id)
	require.NoError(t, err)
	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status)
	assert.Equal(t, first.ReleaseID, r.ReleaseID, "the same remote release")
	for _, f := range release.ReleasedFiles(r) {
		assert.Equal(t, "bob", f.ReleasedBy, "already released: unchanged")
	}
	rel, _ := e.fake.ReleaseFor(id)
	assert.Equal(t, 2, rel.Calls)
	types := e.auditTypes(id)
	assert.Equal(t, airlock.AuditRequestApprove, types[len(types)-1], "APPROVE last")
}

// Behaviour 97: job-server refusing the release surfaces as the reference's messages, and
// nothing changes.
func TestBehaviour97_ReleaseErrors(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.reviewedRequest(threeFiles, nil)

	e.fake.Deny(fakejobserver.CreateRelease, true)
	_, err := e.svc.Release(ctx, bob, id)
	assert.Equal(t, airlock.CodePermissionDenied, airlock.ErrorCode(err))
	assert.Equal(t, "Error releasing files: Permission denied", airlock.ErrorMessage(err))
	e.fake.Deny(fakejobserver.CreateRelease, false)

	e.fake.Fail(fakejobserver.CreateRelease, 1, 500)
	_, err = e.svc.Release(ctx, bob, id)
	assert.Equal(t, "Error releasing files; please contact tech-support.", airlock.ErrorMessage(err))

	r := e.request(id)
	assert.Equal(t, airlock.StatusReviewed, r.Status, "nothing changed")
	for _, f := range r.OutputFiles() {
		assert.Nil(t, f.ReleasedAt)
	}

	_, err = e.svc.Release(ctx, alice, id)
	assert.Error(t, err, "the author cannot release")
	assert.Equal(t, airlock.StatusReviewed, e.request(id).Status)

	_, err = e.svc.Release(ctx, bob, id)
	require.NoError(t, err, "job-server recovered")
	assert.Equal(t, airlock.StatusApproved, e.request(id).Status)
}

// Behaviour 98, several files: "N files will be uploaded".
func TestBehaviour98_ApprovedUpdates(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	id := e.approvedRequest(content{"output/a.csv": []byte("a"), "output/b.csv": []byte("b")})
	e.notifier.Wait()
	evs := e.fake.Events()
	last := evs[len(evs)-1]
	assert.Equal(t, "request_approved", last.Body["event_type"])
	assert.Equal(t, id, last.Body["request"])
	assert.Equal(t, []any{map[string]any{"update": "2 files will be uploaded"}}, last.Body["updates"])
}

// Behaviour 100: job-server answering {"status": "error"} or 403 to a notification never
// fails the status change.
func TestBehaviour100_NotificationErrorsDoNotFailActions(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	e.fake.EventsStatus("error")
	id := e.reviewedRequest(threeFiles, nil)
	e.notifier.Wait()
	e.fake.Deny(fakejobserver.Events, true)
	_, err := e.svc.Release(context.Background(), bob, id)
	require.NoError(t, err)
	e.notifier.Wait()
	assert.Equal(t, airlock.StatusApproved, e.request(id).Status)
	assert.NotEmpty(t, e.logs.find("ERROR", "notification error"))
	var msgs []any
	for _, r := range e.logs.find("ERROR", "notification error") {
		msgs = append(msgs, r["message"])
	}
	assert.Contains(t, msgs, "Error sending notification: 403 Forbidden")
	assert.Contains(t, msgs, "fake job-server could not handle it")
}

// A repeated create-release after a partial failure, against job-server's rules: one file
// fails to upload, a checker re-triggers the release (docs/decisions.md §4), and the
// repeated create-release lists the same files, so job-server answers with the same release
// (never its ReleaseFilesMismatch 500); every file is then stored exactly once.
func TestRepeatedCreateReleaseAfterPartialFailure(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.reviewedRequest(threeFiles, nil)
	_, err := e.svc.Release(ctx, bob, id)
	require.NoError(t, err)
	e.fake.FailPath("output/b.csv", 500)
	u := e.uploader()
	require.NoError(t, u.RunOnce(ctx))
	r := e.request(id)
	require.Equal(t, airlock.StatusApproved, r.Status)
	require.False(t, r.File("output/b.csv").Uploaded)

	_, err = e.svc.Release(ctx, carol, id)
	require.NoError(t, err, "the retry's create-release is accepted")
	rel, ok := e.fake.ReleaseFor(id)
	require.True(t, ok)
	assert.Equal(t, 2, rel.Calls, "create-release was repeated")
	assert.Zero(t, rel.Mismatches, "with the same files")
	assert.Equal(t, id, e.request(id).ReleaseID)

	e.fake.FailPath("output/b.csv", 0)
	e.clock.Advance(2 * retry)
	require.NoError(t, u.RunOnce(ctx))
	assertReleased(t, e.request(id))
	assertDeliveredOnce(t, e.fake, id, threeFiles)
}
