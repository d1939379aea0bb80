package airlock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Only a notification that provably did not reach job-server may be sent again.
func TestMayResend(t *testing.T) {
	for o, want := range map[SendOutcome]bool{SendAnswered: false, SendNotReached: true, SendRefused: false,
		SendUnknown: false, SendLogged: false} {
		assert.Equal(t, want, MayResend(o), "outcome %d", o)
	}
}

// Taking a notification: a pending one is sent by its taker; a sending one (its sender
// gone) becomes unknown and is never sent; one that is done is left alone.
func TestTakeNotification(t *testing.T) {
	at := t0.Add(time.Minute)
	q := QueueNotification(Notification{EventType: "request_submitted", Request: "r1"}, t0)
	assert.Equal(t, NotificationPending, q.State)
	assert.Equal(t, "r1", q.RequestID)

	taken, send, unknown := TakeNotification(q, "A", at)
	assert.True(t, send)
	assert.False(t, unknown)
	assert.Equal(t, NotificationSending, taken.State)
	assert.Equal(t, "A", taken.ClaimedBy)
	assert.Equal(t, &at, taken.ClaimedAt)

	left, send, unknown := TakeNotification(taken, "B", at)
	assert.False(t, send, "it may have reached job-server")
	assert.True(t, unknown)
	assert.Equal(t, NotificationUnknown, left.State)
	assert.Equal(t, UnknownSenderGone, left.LastError)
	assert.Equal(t, "A", left.ClaimedBy, "the sender that was gone stays named")

	for _, st := range []NotificationState{NotificationSent, NotificationFailed, NotificationUnknown, NotificationLogged} {
		q.State = st
		same, send, unknown := TakeNotification(q, "B", at)
		assert.Equal(t, q, same, st)
		assert.False(t, send || unknown, st)
		assert.True(t, st.Done())
	}
}

// Finishing records the outcome, only for the server that took it.
func TestFinishNotification(t *testing.T) {
	at := t0.Add(time.Minute)
	q, _, _ := TakeNotification(QueueNotification(Notification{EventType: "request_submitted", Request: "r1"}, t0), "A", t0)
	for o, want := range map[SendOutcome]NotificationState{SendAnswered: NotificationSent, SendLogged: NotificationLogged,
		SendUnknown: NotificationUnknown, SendNotReached: NotificationFailed, SendRefused: NotificationFailed} {
		got, ok, unknown := FinishNotification(q, "A", o, 2, "msg", at)
		assert.True(t, ok)
		assert.Equal(t, want, got.State, "outcome %d", o)
		assert.Equal(t, o == SendUnknown, unknown)
		assert.Equal(t, 2, got.Attempts)
		assert.Equal(t, &at, got.FinishedAt)
		assert.Equal(t, "msg", got.LastError)
	}
	same, ok, _ := FinishNotification(q, "B", SendAnswered, 1, "", at)
	assert.False(t, ok, "not B's")
	assert.Equal(t, q, same)
	q.State = NotificationUnknown
	_, ok, _ = FinishNotification(q, "A", SendAnswered, 1, "", at)
	assert.False(t, ok, "made unknown by another server meanwhile")
}

// A request's notifications go in commit order.
func TestNotificationIsNext(t *testing.T) {
	rows := []QueuedNotification{{ID: 1, State: NotificationSent}, {ID: 2, State: NotificationSending}, {ID: 3, State: NotificationPending}}
	assert.True(t, NotificationIsNext(rows[1], rows))
	assert.False(t, NotificationIsNext(rows[2], rows), "2 is still being sent")
	rows[1].State = NotificationUnknown
	assert.True(t, NotificationIsNext(rows[2], rows))
}
