package service_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

func TestAirlock_Release(t *testing.T) {
	t.Run("releases the output files and approves (§12.88, §12.98)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned,
			testenv.File("out/a.csv", testenv.Content("a\n")),
			testenv.File("out/b.csv", testenv.Content("bb\n"), testenv.InGroup("g2")),
			testenv.File("out/w.csv"),
			testenv.File("out/s.txt", testenv.Supporting()))
		_, err := env.Svc.WithdrawFiles(ctx, testenv.Researcher(), r.ID, []string{"out/w.csv"})
		require.NoError(t, err)
		_, err = env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
		require.NoError(t, err)
		testenv.Review(t, env, testenv.Checker1(), r.ID, nil)
		testenv.Review(t, env, testenv.Checker2(), r.ID, nil)
		env.Clock.Advance(time.Hour)
		mark := env.AuditMark(t, r.ID)
		reset(env)

		view, err := env.Svc.Release(ctx, testenv.Checker2(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusApproved, view.Request.Status)

		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusApproved, stored.Status)
		assert.Equal(t, "release-"+r.ID, stored.ReleaseID)
		for _, p := range []string{"out/a.csv", "out/b.csv"} {
			f := stored.File(p)
			require.NotNil(t, f.ReleasedAt, p)
			assert.Equal(t, testenv.Start.Add(time.Hour), *f.ReleasedAt)
			assert.Equal(t, "checker2", f.ReleasedBy)
			assert.False(t, f.Uploaded)
		}
		assert.Nil(t, stored.File("out/w.csv").ReleasedAt, "withdrawn files are never released")
		assert.Nil(t, stored.File("out/s.txt").ReleasedAt, "supporting files are never released")

		calls := env.Releaser.Calls()
		require.Len(t, calls, 1)
		assert.Equal(t, "checker2", calls[0].Actor)
		assert.Equal(t, r.ID, calls[0].Request)
		require.Len(t, calls[0].Files, 2)
		assert.Equal(t, "out/a.csv", calls[0].Files[0].Path)
		assert.Equal(t, int64(2), calls[0].Files[0].Size)
		assert.Equal(t, testenv.SHA256("a\n"), calls[0].Files[0].SHA256)
		assert.False(t, calls[0].Files[0].Date.IsZero())
		assert.Equal(t, "out/b.csv", calls[0].Files[1].Path)

		evs := env.AuditSince(t, r.ID, mark)
		assert.Equal(t, []airlock.AuditType{airlock.AuditRequestFileRelease, airlock.AuditRequestFileRelease,
			airlock.AuditRequestApprove}, testenv.AuditTypes(evs))
		assertAudit(t, evs[0], airlock.AuditRequestFileRelease, "checker2", "out/a.csv", map[string]string{"group": testenv.DefaultGroup})
		assertAudit(t, evs[2], airlock.AuditRequestApprove, "checker2", "", map[string]string{"review_turn": "3"})
		assert.Equal(t, []airlock.Notification{{
			EventType: "request_approved", Workspace: testenv.Workspace, Request: r.ID, RequestAuthor: "researcher",
			User: "checker2", Updates: []airlock.NotificationUpdate{{Update: "2 files will be uploaded"}},
		}}, env.Notes.All())
		assertChanged(t, env, r.ID, airlock.StatusApproved)

		// §12.12: the released output shows RELEASED, the supporting file UNRELEASED.
		d, err := env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "out/a.csv")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceReleased, d.Status)
		d, err = env.Svc.GetWorkspaceFile(ctx, testenv.Researcher(), testenv.Workspace, "out/s.txt")
		require.NoError(t, err)
		assert.Equal(t, airlock.WorkspaceUnreleased, d.Status)
	})

	t.Run("one file: singular update (§12.98)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed)
		reset(env)
		_, err := env.Svc.Release(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err)
		notes := env.Notes.All()
		require.Len(t, notes, 1)
		assert.Equal(t, []airlock.NotificationUpdate{{Update: "1 file will be uploaded"}}, notes[0].Updates)
	})

	denied := []struct {
		name   string
		author airlock.User
		status airlock.Status
		files  []testenv.FileDef
		actor  airlock.User
		code   airlock.Code
	}{
		{"from SUBMITTED (§12.86)", testenv.Researcher(), airlock.StatusSubmitted, nil, testenv.Checker1(), airlock.CodeInvalidState},
		{"from RETURNED (§12.97)", testenv.Researcher(), airlock.StatusReturned, nil, testenv.Checker1(), airlock.CodeInvalidState},
		{"with a changes-requested file (§12.68)", testenv.Researcher(), airlock.StatusReviewed,
			[]testenv.FileDef{testenv.File("a.csv"), testenv.File("b.csv", testenv.ChangesRequested())}, testenv.Checker1(), airlock.CodeInvalidState},
		{"own request (§12.97)", testenv.CheckerResearcher(), airlock.StatusReviewed, nil, testenv.CheckerResearcher(), airlock.CodePermissionDenied},
		{"by a non-checker", testenv.Researcher(), airlock.StatusReviewed, nil, testenv.Collaborator(), airlock.CodePermissionDenied},
	}
	for _, tc := range denied {
		t.Run("denied "+tc.name, func(t *testing.T) {
			env := testenv.NewEnv(t)
			r := testenv.CreateRequestAtStatus(t, env, tc.author, tc.status, tc.files...)
			mark := env.AuditMark(t, r.ID)
			reset(env)
			_, err := env.Svc.Release(ctx, tc.actor, r.ID)
			testenv.AssertCode(t, err, tc.code)
			assert.Equal(t, tc.status, env.Request(t, r.ID).Status)
			assert.Empty(t, env.AuditSince(t, r.ID, mark))
			assert.Empty(t, env.Releaser.Calls())
			assertNothingPublished(t, env)
		})
	}

	t.Run("a disallowed file type found at release time (§12.87)", func(t *testing.T) {
		lax := airlock.DefaultPolicy()
		lax.AllowedExtensions = append(lax.AllowedExtensions, ".foo")
		env := testenv.NewEnv(t, testenv.WithPolicy(lax))
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed, testenv.File("out/x.foo"))
		strict := service.New(service.Config{Store: env.Store, Workspaces: env.Workspaces, Files: env.Files,
			Publisher: env.Pub, Notifier: env.Notes, Releaser: env.Releaser, Clock: env.Clock.Now})
		_, err := strict.Release(ctx, testenv.Checker1(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeInvalid)
		assert.Contains(t, airlock.ErrorMessage(err), "out/x.foo")
		assert.Equal(t, airlock.StatusReviewed, env.Request(t, r.ID).Status)
	})

	t.Run("a failing job-server release changes nothing", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed)
		mark := env.AuditMark(t, r.ID)
		reset(env)
		env.Releaser.SetErr(errors.New("connection refused"))
		_, err := env.Svc.Release(ctx, testenv.Checker1(), r.ID)
		testenv.AssertCode(t, err, airlock.CodeUnavailable)
		assert.Equal(t, "Error releasing files; please contact tech-support.", airlock.ErrorMessage(err))
		env.Releaser.SetErr(airlock.Errorf(airlock.CodePermissionDenied, "Error releasing files: Permission denied"))
		_, err = env.Svc.Release(ctx, testenv.Checker1(), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusReviewed, stored.Status)
		assert.Nil(t, stored.OutputFiles()[0].ReleasedAt)
		assert.Empty(t, env.AuditSince(t, r.ID, mark))
		assertNothingPublished(t, env)

		env.Releaser.SetErr(nil)
		_, err = env.Svc.Release(ctx, testenv.Checker1(), r.ID)
		require.NoError(t, err, "and a retry works")
		assert.Equal(t, airlock.StatusApproved, env.Request(t, r.ID).Status)
	})

	t.Run("retrying from APPROVED (§12.89, docs/decisions.md §4)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusApproved)
		first := r.OutputFiles()[0]
		mark := env.AuditMark(t, r.ID)
		reset(env)
		_, err := env.Svc.Release(ctx, testenv.Researcher(), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)
		_, err = env.Svc.Release(ctx, testenv.Copilot(), r.ID)
		testenv.AssertCode(t, err, airlock.CodePermissionDenied)

		env.Clock.Advance(time.Minute)
		view, err := env.Svc.Release(ctx, testenv.Checker2(), r.ID)
		require.NoError(t, err)
		assert.Equal(t, airlock.StatusApproved, view.Request.Status)
		f := env.Request(t, r.ID).OutputFiles()[0]
		assert.Equal(t, first.ReleasedAt, f.ReleasedAt, "already released files are left alone")
		assert.Equal(t, "checker1", f.ReleasedBy)
		assert.Len(t, env.Releaser.Calls(), 2, "job-server's get-or-create is called again")
		evs := env.AuditSince(t, r.ID, mark)
		require.Len(t, evs, 1)
		assertAudit(t, evs[0], airlock.AuditRequestApprove, "checker2", "", map[string]string{"retry": "true"})
		assert.Empty(t, env.Notes.All(), "no status change, no notification")
		assertChanged(t, env, r.ID, airlock.StatusApproved)
	})

	t.Run("without a releaser (outbox)", func(t *testing.T) {
		env := testenv.NewEnv(t, testenv.WithoutReleaser())
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusApproved)
		assert.Empty(t, r.ReleaseID)
		assert.Empty(t, env.Releaser.Calls())
		assert.NotNil(t, r.OutputFiles()[0].ReleasedAt)
	})
}

func TestAirlock_Uploads(t *testing.T) {
	newApproved := func(t *testing.T) (*testenv.Env, *airlock.ReleaseRequest) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusApproved,
			testenv.File("a.csv", testenv.Content("A\n")), testenv.File("b.csv"), testenv.File("s.txt", testenv.Supporting()))
		reset(env)
		return env, r
	}

	t.Run("pending uploads, attempts, and the stored copy (§12.90, §12.95)", func(t *testing.T) {
		env, r := newApproved(t)
		pending, err := env.Svc.PendingUploads(ctx)
		require.NoError(t, err)
		require.Len(t, pending, 1)
		assert.Equal(t, r.ID, pending[0].ID)

		env.Clock.Advance(time.Minute)
		require.NoError(t, env.Svc.RecordUploadAttempt(ctx, r.ID, "a.csv", nil))
		f := env.Request(t, r.ID).File("a.csv")
		assert.Equal(t, 1, f.UploadAttempts)
		require.NotNil(t, f.UploadAttemptedAt)
		assert.Equal(t, testenv.Start.Add(time.Minute), *f.UploadAttemptedAt)
		assertNothingPublished(t, env)

		env.WriteFile(t, testenv.Workspace, "a.csv", "changed in the workspace\n")
		rc, err := env.Svc.OpenStoredFile(ctx, r, r.File("a.csv"))
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		assert.Equal(t, "A\n", string(b))
	})

	t.Run("failures are stored and audited (docs/decisions.md §14)", func(t *testing.T) {
		env, r := newApproved(t)
		require.NoError(t, env.Svc.RecordUploadAttempt(ctx, r.ID, "a.csv", nil))
		require.NoError(t, env.Svc.RecordUploadFailure(ctx, r.ID, "a.csv", errors.New("job-server said 500")))
		f := env.Request(t, r.ID).File("a.csv")
		assert.Equal(t, 1, f.UploadAttempts, "a failure is not a second attempt")
		assert.Equal(t, "job-server said 500", f.UploadError)
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestFileUploadFailed, airlock.SystemUsername, "a.csv",
			map[string]string{"error": "job-server said 500"})
		assertChanged(t, env, r.ID, airlock.StatusApproved)

		require.NoError(t, env.Svc.RecordUploadAttempt(ctx, r.ID, "a.csv", errors.New("again")))
		f = env.Request(t, r.ID).File("a.csv")
		assert.Equal(t, 2, f.UploadAttempts)
		assert.Equal(t, "again", f.UploadError)
		require.NoError(t, env.Svc.RecordUploadAttempt(ctx, r.ID, "a.csv", nil))
		assert.Equal(t, "again", env.Request(t, r.ID).File("a.csv").UploadError, "kept until an upload succeeds")
	})

	t.Run("an uploaded file is not attempted again (another server delivered it)", func(t *testing.T) {
		env, r := newApproved(t)
		require.NoError(t, env.Svc.RecordUploadAttempt(ctx, r.ID, "a.csv", nil))
		require.NoError(t, env.Svc.MarkUploaded(ctx, r.ID, "a.csv"))
		testenv.AssertCode(t, env.Svc.RecordUploadAttempt(ctx, r.ID, "a.csv", nil), airlock.CodeInvalidState)
		assert.Equal(t, 1, env.Request(t, r.ID).File("a.csv").UploadAttempts, "the refused attempt is not counted")
	})

	t.Run("uploading every file releases the request (§12.92)", func(t *testing.T) {
		env, r := newApproved(t)
		mark := env.AuditMark(t, r.ID)
		require.NoError(t, env.Svc.MarkUploaded(ctx, r.ID, "a.csv"))
		mid := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusApproved, mid.Status)
		assert.True(t, mid.File("a.csv").Uploaded)
		assert.Empty(t, env.Notes.All())
		assertChanged(t, env, r.ID, airlock.StatusApproved)

		env.Pub.Reset()
		require.NoError(t, env.Svc.MarkUploaded(ctx, r.ID, "b.csv"))
		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusReleased, stored.Status)
		require.NotNil(t, stored.File("b.csv").UploadedAt)
		evs := env.AuditSince(t, r.ID, mark)
		assert.Equal(t, []airlock.AuditType{airlock.AuditRequestFileUpload, airlock.AuditRequestFileUpload,
			airlock.AuditRequestRelease}, testenv.AuditTypes(evs))
		for _, ev := range evs {
			assert.Equal(t, "checker1", ev.User, "the uploader acts as the releasing checker")
		}
		assert.Equal(t, "b.csv", evs[1].Path)
		notes := env.Notes.All()
		require.Len(t, notes, 1)
		assert.Equal(t, "request_released", notes[0].EventType)
		assert.Equal(t, "checker1", notes[0].User)
		assertChanged(t, env, r.ID, airlock.StatusReleased)

		pending, err := env.Svc.PendingUploads(ctx)
		require.NoError(t, err)
		assert.Empty(t, pending)
	})

	t.Run("denials", func(t *testing.T) {
		env, r := newApproved(t)
		testenv.AssertCode(t, env.Svc.MarkUploaded(ctx, r.ID, "nope.csv"), airlock.CodeNotFound)
		testenv.AssertCode(t, env.Svc.MarkUploaded(ctx, r.ID, "s.txt"), airlock.CodeInvalidState)
		testenv.AssertCode(t, env.Svc.RecordUploadAttempt(ctx, r.ID, "s.txt", nil), airlock.CodeInvalidState)
		testenv.AssertCode(t, env.Svc.RecordUploadFailure(ctx, r.ID, "a.csv", nil), airlock.CodeInvalid)
		other := testenv.CreateRequestAtStatus(t, env, testenv.Collaborator(), airlock.StatusReviewed, testenv.File("c.csv"))
		testenv.AssertCode(t, env.Svc.MarkUploaded(ctx, other.ID, "c.csv"), airlock.CodeInvalidState)
		testenv.AssertCode(t, env.Svc.RecordUploadAttempt(ctx, "nosuch", "c.csv", nil), airlock.CodeNotFound)
	})

	t.Run("marking again is harmless", func(t *testing.T) {
		env, r := newApproved(t)
		require.NoError(t, env.Svc.MarkUploaded(ctx, r.ID, "a.csv"))
		mark := env.AuditMark(t, r.ID)
		require.NoError(t, env.Svc.MarkUploaded(ctx, r.ID, "a.csv"))
		assert.Empty(t, env.AuditSince(t, r.ID, mark))
	})
}

func TestAirlock_ForceClose(t *testing.T) {
	op := airlock.User{Username: "operator"}
	t.Run("closes a returned request as WITHDRAWN (§12.108, docs/decisions.md §1)", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned)
		reset(env)
		require.NoError(t, env.Svc.ForceClose(ctx, op, r.ID, airlock.StatusWithdrawn, "author left"))
		stored := env.Request(t, r.ID)
		assert.Equal(t, airlock.StatusWithdrawn, stored.Status)
		assert.Equal(t, r.ReviewTurn, stored.ReviewTurn)
		assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestForceClose, "operator", "", map[string]string{
			"from": "RETURNED", "status": "WITHDRAWN", "reason": "author left", "automated_action": "true"})
		assert.Equal(t, []airlock.Notification{{EventType: "request_withdrawn", Workspace: testenv.Workspace,
			Request: r.ID, RequestAuthor: "researcher", User: "operator"}}, env.Notes.All())
		assertChanged(t, env, r.ID, airlock.StatusWithdrawn)
	})
	t.Run("rejects a request under review", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPartiallyReviewed)
		require.NoError(t, env.Svc.ForceClose(ctx, op, r.ID, airlock.StatusRejected, "stuck"))
		assert.Equal(t, airlock.StatusRejected, env.Request(t, r.ID).Status)
	})
	t.Run("refusals", func(t *testing.T) {
		env := testenv.NewEnv(t)
		r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusWithdrawn)
		reset(env)
		testenv.AssertCode(t, env.Svc.ForceClose(ctx, op, r.ID, airlock.StatusWithdrawn, "again"), airlock.CodeInvalidState)
		testenv.AssertCode(t, env.Svc.ForceClose(ctx, op, r.ID, airlock.StatusRejected, "closed"), airlock.CodeInvalidState)
		p := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending)
		reset(env)
		testenv.AssertCode(t, env.Svc.ForceClose(ctx, op, p.ID, airlock.StatusApproved, "why"), airlock.CodeInvalid)
		testenv.AssertCode(t, env.Svc.ForceClose(ctx, op, p.ID, airlock.StatusWithdrawn, " "), airlock.CodeInvalid)
		testenv.AssertCode(t, env.Svc.ForceClose(ctx, airlock.User{}, p.ID, airlock.StatusWithdrawn, "x"), airlock.CodeInvalid)
		testenv.AssertCode(t, env.Svc.ForceClose(ctx, op, "nosuch", airlock.StatusWithdrawn, "x"), airlock.CodeNotFound)
		assert.Equal(t, airlock.StatusPending, env.Request(t, p.ID).Status)
		assertNothingPublished(t, env)
	})
}

// A notification whose outcome is unknown is audited on the request, as the system user,
// and the request's activity shows it (here to the author of a returned request).
func TestAirlock_RecordNotificationUnknown(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReturned)
	reset(env)
	require.NoError(t, env.Svc.RecordNotificationUnknown(ctx, r.ID, "request_returned", "Error sending notification: timeout"))
	assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestNotificationUnknown, airlock.SystemUsername, "",
		map[string]string{"event_type": "request_returned", "error": "Error sending notification: timeout"})
	evs, err := env.Svc.Activity(ctx, testenv.Researcher(), r.ID, "")
	require.NoError(t, err)
	assert.Contains(t, testenv.AuditTypes(evs), airlock.AuditRequestNotificationUnknown)
	assert.Empty(t, env.Notes.All(), "recording it notifies nobody")

	testenv.AssertCode(t, env.Svc.RecordNotificationUnknown(ctx, "nope", "request_submitted", "x"), airlock.CodeNotFound)
	testenv.AssertCode(t, env.Svc.RecordNotificationUnknown(ctx, r.ID, " ", "x"), airlock.CodeInvalid)
}
