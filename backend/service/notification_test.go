package service_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

func outbox(t *testing.T, env *testenv.Env, id string) []airlock.QueuedNotification {
	t.Helper()
	qs, err := env.Svc.Notifications(ctx, id)
	require.NoError(t, err)
	return qs
}

// Every status change queues its notification in the outbox in its own transaction: after
// the commit the row is there, pending, with the notification the Notifier was told of; a
// refused change queues nothing.
func TestAirlock_StatusChangesQueueNotifications(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted)
	qs := outbox(t, env, r.ID)
	require.Len(t, qs, 1)
	assert.Equal(t, airlock.NotificationPending, qs[0].State)
	assert.Equal(t, "request_submitted", qs[0].EventType)
	assert.Equal(t, r.ID, qs[0].RequestID)
	assert.Equal(t, env.Notes.All(), []airlock.Notification{qs[0].Note}, "the Notifier was told of what was queued")
	assert.Equal(t, env.Clock.Now().UTC(), qs[0].CreatedAt)

	// Submitting again is refused: nothing more is queued.
	_, err := env.Svc.Submit(ctx, testenv.Researcher(), r.ID)
	require.Error(t, err)
	assert.Len(t, outbox(t, env, r.ID), 1)

	counts, err := env.Svc.NotificationCounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[airlock.NotificationState]int{airlock.NotificationPending: 1}, counts)
}

// A server takes a notification under its claim: pending → sending, then its outcome is
// recorded; a request's later notification waits for the earlier one; a notification left
// sending by a server that is gone becomes unknown, recorded on the request, never resent;
// a stale sender's outcome does not overwrite it.
func TestAirlock_TakeAndFinishNotification(t *testing.T) {
	env := testenv.NewEnv(t)
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusReviewed)
	qs := outbox(t, env, r.ID)
	require.Len(t, qs, 3, "submitted, partially reviewed, reviewed")
	first, second, third := qs[0], qs[1], qs[2]

	queue, err := env.Svc.NotificationQueue(ctx, 10)
	require.NoError(t, err)
	require.Len(t, queue, 1, "one head per request")
	assert.Equal(t, first.ID, queue[0].ID)

	q, send, err := env.Svc.TakeNotification(ctx, second.ID, "A")
	require.NoError(t, err)
	assert.False(t, send, "a request's later notification waits for the earlier one")
	assert.NotEqual(t, airlock.NotificationSending, q.State)

	q, send, err = env.Svc.TakeNotification(ctx, first.ID, "A")
	require.NoError(t, err)
	require.True(t, send)
	assert.Equal(t, airlock.NotificationSending, q.State)
	assert.Equal(t, "A", q.ClaimedBy)

	q, err = env.Svc.FinishNotification(ctx, first.ID, "A", airlock.SendAnswered, 1, "")
	require.NoError(t, err)
	assert.Equal(t, airlock.NotificationSent, q.State)
	assert.Equal(t, 1, q.Attempts)
	require.NotNil(t, q.FinishedAt)

	// Server A takes the second, then dies; B, holding the free claim, finds it sending.
	_, send, err = env.Svc.TakeNotification(ctx, second.ID, "A")
	require.NoError(t, err)
	require.True(t, send)
	mark := env.AuditMark(t, r.ID)
	q, send, err = env.Svc.TakeNotification(ctx, second.ID, "B")
	require.NoError(t, err)
	assert.False(t, send, "it may have reached job-server: never resent")
	assert.Equal(t, airlock.NotificationUnknown, q.State)
	assert.Equal(t, airlock.UnknownSenderGone, q.LastError)
	evs := env.AuditSince(t, r.ID, mark)
	require.Len(t, evs, 1)
	assertAudit(t, evs[0], airlock.AuditRequestNotificationUnknown, airlock.SystemUsername, "",
		map[string]string{"event_type": second.EventType, "error": airlock.UnknownSenderGone})

	// A's late outcome changes nothing; taking it again does nothing.
	q, err = env.Svc.FinishNotification(ctx, second.ID, "A", airlock.SendAnswered, 1, "")
	require.NoError(t, err)
	assert.Equal(t, airlock.NotificationUnknown, q.State)
	_, send, err = env.Svc.TakeNotification(ctx, second.ID, "B")
	require.NoError(t, err)
	assert.False(t, send)
	assert.Empty(t, env.AuditSince(t, r.ID, mark)[1:], "recorded once")

	// An unknown outcome reported by the sender is recorded too.
	_, send, err = env.Svc.TakeNotification(ctx, third.ID, "B")
	require.NoError(t, err)
	require.True(t, send)
	q, err = env.Svc.FinishNotification(ctx, third.ID, "B", airlock.SendUnknown, 1, "Error sending notification: timeout")
	require.NoError(t, err)
	assert.Equal(t, airlock.NotificationUnknown, q.State)
	assertAudit(t, lastAudit(t, env, r.ID, 1)[0], airlock.AuditRequestNotificationUnknown, airlock.SystemUsername, "",
		map[string]string{"event_type": third.EventType, "error": "Error sending notification: timeout"})

	_, _, err = env.Svc.TakeNotification(ctx, first.ID, " ")
	testenv.AssertCode(t, err, airlock.CodeInvalid)
	_, err = env.Svc.FinishNotification(ctx, first.ID+1000, "A", airlock.SendAnswered, 1, "")
	testenv.AssertCode(t, err, airlock.CodeNotFound)
}
