package release_test

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

func newNotifier(t *testing.T, fake *fakejobserver.Server, org, repo string) (*release.Notifier, *logBuffer) {
	log, lb := newLogger()
	var js *release.JobServer
	if fake != nil {
		js = release.NewJobServer(release.JobServerConfig{Endpoint: fake.URL, Token: token, Timeout: 2 * time.Second, Logger: log})
	}
	n, err := release.NewNotifier(release.NotifierConfig{JobServer: js, Org: org, Repo: repo, Backoff: 10 * time.Millisecond, Logger: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	return n, lb
}

var approved = airlock.Notification{
	EventType: "request_approved", Workspace: "ws1", Request: "01HREQ", RequestAuthor: "alice", User: "bob",
	Updates: []airlock.NotificationUpdate{{Update: "2 files will be uploaded"}},
}

// Behaviour 99: exactly {event_type, workspace, request, request_author, user, updates},
// plus org and repo only when configured.
func TestNotifier_Body(t *testing.T) {
	t.Run("99: without org and repo", func(t *testing.T) {
		fake := newFake(t)
		n, _ := newNotifier(t, fake, "", "")
		n.Notify(context.Background(), airlock.Notification{EventType: "request_submitted", Workspace: "ws1",
			Request: "01HREQ", RequestAuthor: "alice", User: "alice"})
		n.Wait()
		ev := fake.Events()
		require.Len(t, ev, 1)
		assert.Equal(t, `{"event_type":"request_submitted","workspace":"ws1","request":"01HREQ","request_author":"alice","user":"alice","updates":null}`, ev[0].Raw)
		assert.Equal(t, "alice", ev[0].OSUser)
	})
	t.Run("99: with org and repo, and updates", func(t *testing.T) {
		fake := newFake(t)
		n, _ := newNotifier(t, fake, "opensafely", "output-checking")
		note := approved
		note.Updates = append(note.Updates, airlock.NotificationUpdate{Update: "comment added", User: "bob", Group: "g1"})
		n.Notify(context.Background(), note)
		n.Wait()
		ev := fake.Events()
		require.Len(t, ev, 1)
		assert.Equal(t, `{"event_type":"request_approved","workspace":"ws1","request":"01HREQ","request_author":"alice","user":"bob",`+
			`"updates":[{"update":"2 files will be uploaded"},{"update":"comment added","user":"bob","group":"g1"}],"org":"opensafely","repo":"output-checking"}`, ev[0].Raw)
		assert.Equal(t, "bob", ev[0].OSUser)
	})
	t.Run("org without repo is refused", func(t *testing.T) {
		_, err := release.NewNotifier(release.NotifierConfig{Org: "x"})
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err))
	})
	t.Run("an update without text is never sent", func(t *testing.T) {
		fake := newFake(t)
		n, lb := newNotifier(t, fake, "", "")
		n.Notify(context.Background(), airlock.Notification{EventType: "request_approved", Workspace: "ws1",
			Request: "r", RequestAuthor: "a", User: "b", Updates: []airlock.NotificationUpdate{{User: "x"}}})
		n.Wait()
		assert.Empty(t, fake.Events())
		assert.Len(t, lb.find("ERROR", "notification not sent"), 1)
	})
}

// Behaviour 100: errors are logged at ERROR and never surface; without a job-server
// nothing is sent.
func TestNotifier_Errors(t *testing.T) {
	t.Run(`100: {"status": "error"} is logged at ERROR`, func(t *testing.T) {
		fake := newFake(t)
		fake.EventsStatus("error")
		n, lb := newNotifier(t, fake, "", "")
		n.Notify(context.Background(), approved)
		n.Wait()
		recs := lb.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "fake job-server could not handle it", recs[0]["message"])
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events), "not retried")
	})
	t.Run("100: a non-201 yields Error sending notification: 403 Forbidden", func(t *testing.T) {
		fake := newFake(t)
		fake.Deny(fakejobserver.Events, true)
		n, lb := newNotifier(t, fake, "", "")
		n.Notify(context.Background(), approved)
		n.Wait()
		recs := lb.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "Error sending notification: 403 Forbidden", recs[0]["message"])
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events), "a 4xx is not retried")
	})
	t.Run("100: without a job-server the notification is only logged", func(t *testing.T) {
		n, lb := newNotifier(t, nil, "", "")
		n.Notify(context.Background(), approved)
		n.Wait()
		recs := lb.find("INFO", "notification (no job-server configured)")
		require.Len(t, recs, 1)
		assert.Contains(t, recs[0]["body"], `"event_type":"request_approved"`)
	})
	t.Run("a 500 is retried with back-off and then delivered", func(t *testing.T) {
		fake := newFake(t)
		fake.Fail(fakejobserver.Events, 2, 500)
		n, lb := newNotifier(t, fake, "", "")
		n.Notify(context.Background(), approved)
		n.Wait()
		assert.Equal(t, 3, fake.Calls(fakejobserver.Events))
		assert.Len(t, fake.Events(), 1)
		assert.Len(t, lb.find("INFO", "notification sent"), 1)
		assert.Empty(t, lb.find("ERROR", "notification error"))
	})
	t.Run("a server failing every attempt gives up after a few", func(t *testing.T) {
		fake := newFake(t)
		fake.Fail(fakejobserver.Events, 100, 503)
		n, lb := newNotifier(t, fake, "", "")
		n.Notify(context.Background(), approved)
		n.Wait()
		assert.Equal(t, 3, fake.Calls(fakejobserver.Events))
		recs := lb.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "Error sending notification: 503 Service Unavailable", recs[0]["message"])
	})
	t.Run("Notify never blocks, even on a hanging server", func(t *testing.T) {
		fake := newFake(t)
		fake.Hang(fakejobserver.Events, false)
		n, _ := newNotifier(t, fake, "", "")
		start := time.Now()
		for range 5 {
			n.Notify(context.Background(), approved)
		}
		assert.Less(t, time.Since(start), time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, n.Close(ctx), context.DeadlineExceeded, "Close gives up on hanging calls")
	})
}

// Notifications reach job-server in the order the status changes committed, even when one
// of them needs a retry.
func TestNotifier_Order(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakejobserver.Events, 1, 502)
	n, _ := newNotifier(t, fake, "", "")
	types := []string{"request_submitted", "request_partially_reviewed", "request_reviewed", "request_approved", "request_released"}
	for _, et := range types {
		n.Notify(context.Background(), airlock.Notification{EventType: et, Workspace: "ws1", Request: "r", RequestAuthor: "alice", User: "bob"})
	}
	n.Wait()
	assert.Equal(t, types, fake.EventTypes())
	assert.Equal(t, len(types)+1, fake.Calls(fakejobserver.Events))
}

// job-server's event handler is not idempotent: a notification whose request was sent but
// whose answer never came is not resent (it may have been handled), and is reported as
// unknown; one that provably never reached job-server is resent.
func TestNotifier_NoDuplicates(t *testing.T) {
	type unknownNote struct {
		note  airlock.Notification
		cause string
	}
	notifier := func(t *testing.T, endpoint string) (*release.Notifier, chan unknownNote, *logBuffer) {
		log, lb := newLogger()
		js := release.NewJobServer(release.JobServerConfig{Endpoint: endpoint, Token: token, Timeout: 300 * time.Millisecond, Logger: log})
		n, err := release.NewNotifier(release.NotifierConfig{JobServer: js, Backoff: 10 * time.Millisecond, Logger: log})
		require.NoError(t, err)
		got := make(chan unknownNote, 10)
		n.OnUnknown(func(_ context.Context, note airlock.Notification, cause string) { got <- unknownNote{note, cause} })
		t.Cleanup(func() { _ = n.Close(context.Background()) })
		return n, got, lb
	}

	t.Run("a timeout after the event was handled: not resent, reported unknown", func(t *testing.T) {
		fake := newFake(t)
		fake.Hang(fakejobserver.Events, true)
		n, got, lb := notifier(t, fake.URL)
		n.Notify(context.Background(), approved)
		n.Wait()
		fake.Unhang()
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events), "sent once, never again")
		assert.Len(t, fake.Events(), 1, "job-server handled it once")
		require.Len(t, got, 1)
		u := <-got
		assert.Equal(t, approved, u.note)
		assert.Contains(t, u.cause, "Error sending notification")
		assert.Equal(t, release.NotifierStats{Unknown: 1}, n.Stats())
		assert.Len(t, lb.find("ERROR", "notification outcome unknown; not resent"), 1)
	})
	t.Run("a proxy's 504 is unknown too", func(t *testing.T) {
		fake := newFake(t)
		fake.Fail(fakejobserver.Events, 1, 504)
		n, got, _ := notifier(t, fake.URL)
		n.Notify(context.Background(), approved)
		n.Wait()
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events))
		assert.Len(t, got, 1)
	})
	t.Run("connection refused is resent: job-server never saw it", func(t *testing.T) {
		fake := newFake(t)
		n, got, _ := notifier(t, "http://127.0.0.1:1/api/v2")
		n.Notify(context.Background(), approved)
		n.Wait()
		assert.Empty(t, got)
		assert.Equal(t, release.NotifierStats{Failed: 1, Retries: 2}, n.Stats())
		assert.Zero(t, fake.Calls(fakejobserver.Events))
	})
	t.Run("job-server's 500 for an unknown user is resent, then given up", func(t *testing.T) {
		fake := newFake(t)
		n, got, lb := notifier(t, fake.URL)
		note := approved
		note.User = "operator"
		n.Notify(context.Background(), note)
		n.Wait()
		assert.Equal(t, 3, fake.Calls(fakejobserver.Events))
		assert.Empty(t, fake.Events(), "job-server handled none of them")
		assert.Empty(t, got)
		recs := lb.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "Error sending notification: 500 Internal Server Error", recs[0]["message"])
	})
}
