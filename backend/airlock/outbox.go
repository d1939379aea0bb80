package airlock

import "time"

// NotificationState is where a notification of the outbox stands (docs/operations.md,
// "Uploads and notifications"). Each status change queues its notification in the same
// transaction as the change; a serving process claims and sends it.
type NotificationState string

const (
	// NotificationPending: queued, not yet taken by a sender; whichever server claims it
	// sends it.
	NotificationPending NotificationState = "pending"
	// NotificationSending: a server took it and may have sent it. A sending row whose
	// sender is gone is never sent again: it becomes unknown.
	NotificationSending NotificationState = "sending"
	// NotificationSent: job-server answered 201 (its message may report a problem).
	NotificationSent NotificationState = "sent"
	// NotificationFailed: given up without reaching job-server, or refused by it (4xx).
	NotificationFailed NotificationState = "failed"
	// NotificationUnknown: it may have reached job-server and no answer came; never resent,
	// and recorded on the request (REQUEST_NOTIFICATION_UNKNOWN).
	NotificationUnknown NotificationState = "unknown"
	// NotificationLogged: no job-server is configured; the notification was only logged.
	NotificationLogged NotificationState = "logged"
)

// NotificationStates lists every state (the stores' CHECK constraints hold the same).
var NotificationStates = []NotificationState{NotificationPending, NotificationSending, NotificationSent,
	NotificationFailed, NotificationUnknown, NotificationLogged}

// Done reports whether nothing more will happen to a notification in state s.
func (s NotificationState) Done() bool {
	return s != NotificationPending && s != NotificationSending
}

// QueuedNotification is one row of the notification outbox.
type QueuedNotification struct {
	// ID grows in commit order; a request's notifications are sent in ID order.
	ID        int64
	RequestID string
	EventType string
	// Note is what is sent; the body is built from it when it is sent (with the server's
	// org and repo settings).
	Note      Notification
	State     NotificationState
	CreatedAt time.Time
	// ClaimedBy names the server that took it (sending), ClaimedAt when.
	ClaimedBy string
	ClaimedAt *time.Time
	// Attempts made to send it.
	Attempts   int
	FinishedAt *time.Time
	LastError  string
}

// QueueNotification is the outbox row of n, queued at at.
func QueueNotification(n Notification, at time.Time) QueuedNotification {
	return QueuedNotification{RequestID: n.Request, EventType: n.EventType, Note: n, State: NotificationPending, CreatedAt: at}
}

// SendOutcome is what one attempt to send a notification tells.
type SendOutcome int

const (
	// SendAnswered: job-server answered 201: handled.
	SendAnswered SendOutcome = iota
	// SendNotReached: provably not handled: never fully sent (connection refused, DNS, a
	// dial timeout), or a 5xx job-server answers before doing anything.
	SendNotReached
	// SendRefused: a 4xx, or an attempt given up before it was written (shutting down).
	SendRefused
	// SendUnknown: sent in full and no answer came (a timeout, a dropped connection, a
	// proxy's 504): it may have been handled.
	SendUnknown
	// SendLogged: no job-server is configured; the notification was logged.
	SendLogged
)

// MayResend reports whether a notification whose last attempt ended with o may be sent
// again. job-server's event handler is not idempotent (it opens an issue, posts to Slack,
// sends email), so only a notification that provably did not reach it may be.
func MayResend(o SendOutcome) bool { return o == SendNotReached }

// UnknownSenderGone is the cause recorded for a notification whose sender stopped while
// it was sending (a killed server): it may have reached job-server.
const UnknownSenderGone = "the server sending it stopped before its outcome was recorded; it may have reached job-server, so it is not resent"

// TakeNotification is what a server holding the claim on q does with it: a pending
// notification is sent (send true; q becomes sending, claimed by server); a sending one
// was left by a sender that is gone (whoever holds the claim knows the sender released
// it or died): it may have reached job-server, so it becomes unknown and is never resent
// (unknown true: record it on the request). Anything else has nothing left to do.
func TakeNotification(q QueuedNotification, server string, at time.Time) (next QueuedNotification, send, unknown bool) {
	switch q.State {
	case NotificationPending:
		q.State = NotificationSending
		q.ClaimedBy = server
		q.ClaimedAt = &at
		return q, true, false
	case NotificationSending:
		q.State = NotificationUnknown
		q.FinishedAt = &at
		q.LastError = UnknownSenderGone
		return q, false, true
	}
	return q, false, false
}

// FinishNotification records the outcome of server's sending of q after attempts: sent,
// logged, unknown (record it on the request) or failed. A notification that is no longer
// server's to finish (another server found it sending without its sender and made it
// unknown) is left as it is (ok false).
func FinishNotification(q QueuedNotification, server string, o SendOutcome, attempts int, msg string, at time.Time) (next QueuedNotification, ok, unknown bool) {
	if q.State != NotificationSending || q.ClaimedBy != server {
		return q, false, false
	}
	q.Attempts = attempts
	q.FinishedAt = &at
	q.LastError = msg
	switch o {
	case SendAnswered:
		q.State = NotificationSent
	case SendLogged:
		q.State = NotificationLogged
	case SendUnknown:
		q.State = NotificationUnknown
		return q, true, true
	default:
		q.State = NotificationFailed
	}
	return q, true, false
}

// NotificationIsNext reports whether q may be worked on now: every earlier notification of
// its request (ofRequest, any order) is done, so a request's notifications reach
// job-server in the order its status changes committed.
func NotificationIsNext(q QueuedNotification, ofRequest []QueuedNotification) bool {
	for _, o := range ofRequest {
		if o.ID < q.ID && !o.State.Done() {
			return false
		}
	}
	return true
}
