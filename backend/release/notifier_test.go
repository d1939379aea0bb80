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

// notifyEnv is the real service on SQLite whose outbox the Notifier under test dispatches.
type notifyEnv struct {
	*env
	n       *release.Notifier
	logs    *logBuffer
	unknown chan unknownNote
}

type unknownNote struct {
	note  airlock.Notification
	cause string
}

// notifierConfig is the Notifier's configuration against endpoint ("" : no job-server).
func notifierConfig(endpoint string, timeout time.Duration, org, repo string) (release.NotifierConfig, *logBuffer) {
	log, lb := newLogger()
	cfg := release.NotifierConfig{Org: org, Repo: repo, Backoff: 10 * time.Millisecond, Logger: log}
	if endpoint != "" {
		cfg.JobServer = release.NewJobServer(release.JobServerConfig{Endpoint: endpoint, Token: token, Timeout: timeout, Logger: log})
	}
	return cfg, lb
}

// newNotifyEnv starts a Notifier on a fresh environment's outbox.
func newNotifyEnv(t *testing.T, endpoint string, timeout time.Duration, org, repo string) *notifyEnv {
	cfg, lb := notifierConfig(endpoint, timeout, org, repo)
	n, err := release.NewNotifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	e := &notifyEnv{env: newEnv(t, envConfig{Notifier: n}), n: n, logs: lb, unknown: make(chan unknownNote, 10)}
	n.OnUnknown(func(_ context.Context, note airlock.Notification, cause string) {
		e.unknown <- unknownNote{note, cause}
	})
	n.Start(e.svc, nil, "server A")
	return e
}

// submitted makes alice's request and submits it (one request_submitted notification).
func (e *env) submitted() string {
	t, ctx := e.t, context.Background()
	e.writeFile("output/a.csv", []byte("a,b\n1,2\n"))
	view, _, err := e.svc.GetOrCreateRequest(ctx, alice, "ws1")
	require.NoError(t, err)
	id := view.Request.ID
	_, err = e.svc.AddFiles(ctx, alice, id, "group", []serviceFile{{Path: "output/a.csv", FileType: airlock.FileTypeOutput}})
	require.NoError(t, err)
	_, err = e.svc.EditGroup(ctx, alice, id, "group", "some context", "some controls")
	require.NoError(t, err)
	_, err = e.svc.Submit(ctx, alice, id)
	require.NoError(t, err)
	return id
}

// outbox returns request id's notifications as the outbox holds them.
func (e *env) outbox(id string) []airlock.QueuedNotification {
	qs, err := e.svc.Notifications(context.Background(), id)
	require.NoError(e.t, err)
	return qs
}

func states(qs []airlock.QueuedNotification) []airlock.NotificationState {
	var out []airlock.NotificationState
	for _, q := range qs {
		out = append(out, q.State)
	}
	return out
}

// Behaviour 99: exactly {event_type, workspace, request, request_author, user, updates},
// plus org and repo only when configured.
func TestNotifier_Body(t *testing.T) {
	t.Run("99: without org and repo", func(t *testing.T) {
		fake := newFake(t)
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
		id := e.submitted()
		e.n.Wait()
		ev := fake.Events()
		require.Len(t, ev, 1)
		assert.Equal(t, `{"event_type":"request_submitted","workspace":"ws1","request":"`+id+`","request_author":"alice","user":"alice","updates":null}`, ev[0].Raw)
		assert.Equal(t, "alice", ev[0].OSUser)
		assert.Equal(t, []airlock.NotificationState{airlock.NotificationSent}, states(e.outbox(id)))
	})
	t.Run("99: with org and repo, and updates", func(t *testing.T) {
		fake := newFake(t)
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "opensafely", "output-checking")
		id := e.approvedRequest(content{"output/a.csv": []byte("a"), "output/b.csv": []byte("b")})
		e.n.Wait()
		ev := fake.Events()
		require.NotEmpty(t, ev)
		last := ev[len(ev)-1]
		assert.Equal(t, `{"event_type":"request_approved","workspace":"ws1","request":"`+id+`","request_author":"alice","user":"bob",`+
			`"updates":[{"update":"2 files will be uploaded"}],"org":"opensafely","repo":"output-checking"}`, last.Raw)
		assert.Equal(t, "bob", last.OSUser)
	})
	t.Run("org without repo is refused", func(t *testing.T) {
		_, err := release.NewNotifier(release.NotifierConfig{Org: "x"})
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err))
	})
	t.Run("an update without text is never sent", func(t *testing.T) {
		n, err := release.NewNotifier(release.NotifierConfig{})
		require.NoError(t, err)
		_, err = n.NotificationBody(airlock.Notification{EventType: "request_approved", Workspace: "ws1",
			Request: "r", RequestAuthor: "a", User: "b", Updates: []airlock.NotificationUpdate{{User: "x"}}})
		assert.ErrorContains(t, err, "an update without text")
	})
}

// Behaviour 100: errors are logged at ERROR and never surface; without a job-server
// nothing is sent.
func TestNotifier_Errors(t *testing.T) {
	t.Run(`100: {"status": "error"} is logged at ERROR`, func(t *testing.T) {
		fake := newFake(t)
		fake.EventsStatus("error")
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
		id := e.submitted()
		e.n.Wait()
		recs := e.logs.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "fake job-server could not handle it", recs[0]["message"])
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events), "not retried")
		q := e.outbox(id)[0]
		assert.Equal(t, airlock.NotificationSent, q.State, "job-server answered 201")
		assert.Equal(t, "fake job-server could not handle it", q.LastError)
	})
	t.Run("100: a non-201 yields Error sending notification: 403 Forbidden", func(t *testing.T) {
		fake := newFake(t)
		fake.Deny(fakejobserver.Events, true)
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
		id := e.submitted()
		e.n.Wait()
		recs := e.logs.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "Error sending notification: 403 Forbidden", recs[0]["message"])
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events), "a 4xx is not retried")
		q := e.outbox(id)[0]
		assert.Equal(t, airlock.NotificationFailed, q.State)
		assert.Equal(t, "Error sending notification: 403 Forbidden", q.LastError)
		assert.Equal(t, 1, q.Attempts)
	})
	t.Run("100: without a job-server the notification is only logged", func(t *testing.T) {
		e := newNotifyEnv(t, "", 0, "", "")
		id := e.submitted()
		e.n.Wait()
		recs := e.logs.find("INFO", "notification (no job-server configured)")
		require.Len(t, recs, 1)
		assert.Contains(t, recs[0]["body"], `"event_type":"request_submitted"`)
		assert.Equal(t, []airlock.NotificationState{airlock.NotificationLogged}, states(e.outbox(id)))
		assert.Equal(t, release.NotifierStats{Logged: 1}, e.n.Stats())
	})
	t.Run("a 500 is retried with back-off and then delivered", func(t *testing.T) {
		fake := newFake(t)
		fake.Fail(fakejobserver.Events, 2, 500)
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
		id := e.submitted()
		e.n.Wait()
		assert.Equal(t, 3, fake.Calls(fakejobserver.Events))
		assert.Len(t, fake.Events(), 1)
		assert.Len(t, e.logs.find("INFO", "notification sent"), 1)
		assert.Empty(t, e.logs.find("ERROR", "notification error"))
		q := e.outbox(id)[0]
		assert.Equal(t, airlock.NotificationSent, q.State)
		assert.Equal(t, 3, q.Attempts)
	})
	t.Run("a server failing every attempt gives up after a few", func(t *testing.T) {
		fake := newFake(t)
		fake.Fail(fakejobserver.Events, 100, 503)
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
		e.submitted()
		e.n.Wait()
		assert.Equal(t, 3, fake.Calls(fakejobserver.Events))
		recs := e.logs.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "Error sending notification: 503 Service Unavailable", recs[0]["message"])
	})
	t.Run("a status change never waits for job-server, even a hanging one", func(t *testing.T) {
		fake := newFake(t)
		fake.Hang(fakejobserver.Events, false)
		e := newNotifyEnv(t, fake.URL, 30*time.Second, "", "")
		start := time.Now()
		e.submitted()
		assert.Less(t, time.Since(start), 5*time.Second)
		require.Eventually(t, func() bool { return fake.Calls(fakejobserver.Events) == 1 }, 10*time.Second, 10*time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, e.n.Close(ctx), context.DeadlineExceeded, "Close gives up on hanging calls")
		fake.Unhang()
	})
}

// Notifications reach job-server in the order the status changes committed, even when one
// of them needs a retry.
func TestNotifier_Order(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakejobserver.Events, 1, 502)
	e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
	id := e.approvedRequest(content{"output/a.csv": []byte("a")})
	e.n.Wait()
	var want []string
	for _, q := range e.outbox(id) {
		want = append(want, q.EventType)
		assert.Equal(t, airlock.NotificationSent, q.State)
	}
	assert.Equal(t, []string{"request_submitted", "request_partially_reviewed", "request_reviewed", "request_approved"}, want)
	assert.Equal(t, want, fake.EventTypes())
	assert.Equal(t, len(want)+1, fake.Calls(fakejobserver.Events))
}

// job-server's event handler is not idempotent: a notification whose request was sent but
// whose answer never came is not resent (it may have been handled), and is reported as
// unknown and recorded on the request; one that provably never reached job-server is
// resent.
func TestNotifier_NoDuplicates(t *testing.T) {
	t.Run("a timeout after the event was handled: not resent, reported unknown", func(t *testing.T) {
		fake := newFake(t)
		fake.Hang(fakejobserver.Events, true)
		e := newNotifyEnv(t, fake.URL, 300*time.Millisecond, "", "")
		id := e.submitted()
		e.n.Wait()
		fake.Unhang()
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events), "sent once, never again")
		assert.Len(t, fake.Events(), 1, "job-server handled it once")
		require.Len(t, e.unknown, 1)
		u := <-e.unknown
		assert.Equal(t, "request_submitted", u.note.EventType)
		assert.Contains(t, u.cause, "Error sending notification")
		assert.Equal(t, release.NotifierStats{Unknown: 1}, e.n.Stats())
		assert.Len(t, e.logs.find("ERROR", "notification outcome unknown; not resent"), 1)
		q := e.outbox(id)[0]
		assert.Equal(t, airlock.NotificationUnknown, q.State)
		assert.Contains(t, e.auditTypes(id), airlock.AuditRequestNotificationUnknown, "recorded on the request")
	})
	t.Run("a proxy's 504 is unknown too", func(t *testing.T) {
		fake := newFake(t)
		fake.Fail(fakejobserver.Events, 1, 504)
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
		e.submitted()
		e.n.Wait()
		assert.Equal(t, 1, fake.Calls(fakejobserver.Events))
		assert.Len(t, e.unknown, 1)
	})
	t.Run("connection refused is resent: job-server never saw it", func(t *testing.T) {
		fake := newFake(t)
		e := newNotifyEnv(t, "http://127.0.0.1:1/api/v2", 2*time.Second, "", "")
		id := e.submitted()
		e.n.Wait()
		assert.Empty(t, e.unknown)
		assert.Equal(t, release.NotifierStats{Failed: 1, Retries: 2}, e.n.Stats())
		assert.Zero(t, fake.Calls(fakejobserver.Events))
		assert.Equal(t, []airlock.NotificationState{airlock.NotificationFailed}, states(e.outbox(id)))
	})
	t.Run("job-server's 500 for an unknown user is resent, then given up", func(t *testing.T) {
		fake := fakejobserver.New(t, token) // knows the workspace, not alice
		fake.AddWorkspace("ws1")
		e := newNotifyEnv(t, fake.URL, 2*time.Second, "", "")
		e.submitted()
		e.n.Wait()
		assert.Equal(t, 3, fake.Calls(fakejobserver.Events))
		assert.Empty(t, fake.Events(), "job-server handled none of them")
		assert.Empty(t, e.unknown)
		recs := e.logs.find("ERROR", "notification error")
		require.Len(t, recs, 1)
		assert.Equal(t, "Error sending notification: 500 Internal Server Error", recs[0]["message"])
	})
}

// The outbox is durable: a notification queued while no server dispatched (a crash, or an
// operator's command) is sent when a server starts; one a stopped server left sending is
// never resent, but recorded as unknown on its request.
func TestNotifier_CrashLeftovers(t *testing.T) {
	fake := newFake(t)
	// No dispatcher: the status changes only queue.
	e := newEnv(t, envConfig{})
	id := e.reviewedRequest(content{"output/a.csv": []byte("a")}, nil)
	qs := e.outbox(id)
	require.Len(t, qs, 3)
	assert.Equal(t, []airlock.NotificationState{airlock.NotificationPending, airlock.NotificationPending, airlock.NotificationPending}, states(qs))
	// A server that died while sending the first left it sending.
	_, send, err := e.svc.TakeNotification(context.Background(), qs[0].ID, "a server that died")
	require.NoError(t, err)
	require.True(t, send)

	cfg, lb := notifierConfig(fake.URL, 2*time.Second, "", "")
	n, err := release.NewNotifier(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	n.Start(e.svc, nil, "server B")
	n.Wait()

	assert.Equal(t, []airlock.NotificationState{airlock.NotificationUnknown, airlock.NotificationSent, airlock.NotificationSent}, states(e.outbox(id)))
	assert.Equal(t, []string{qs[1].EventType, qs[2].EventType}, fake.EventTypes(), "the pending ones, once each, in order")
	assert.Contains(t, e.auditTypes(id), airlock.AuditRequestNotificationUnknown)
	assert.Equal(t, release.NotifierStats{Sent: 2, Unknown: 1}, n.Stats())
	assert.Len(t, lb.find("ERROR", "notification outcome unknown; not resent"), 1)
}

// Two dispatchers on one outbox (two servers sharing claims, as PostgreSQL's advisory locks
// are shared) deliver each notification once.
func TestNotifier_TwoDispatchers(t *testing.T) {
	fake := newFake(t)
	e := newEnv(t, envConfig{})
	claims := &release.LocalClaims{}
	var ns []*release.Notifier
	for _, name := range []string{"A", "B"} {
		cfg, _ := notifierConfig(fake.URL, 2*time.Second, "", "")
		n, err := release.NewNotifier(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = n.Close(context.Background()) })
		n.Start(e.svc, claims, name)
		ns = append(ns, n)
	}
	id := e.approvedRequest(content{"output/a.csv": []byte("a")})
	require.Eventually(t, func() bool {
		for _, q := range e.outbox(id) {
			if !q.State.Done() {
				ns[0].Wake()
				ns[1].Wake()
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"request_submitted", "request_partially_reviewed", "request_reviewed", "request_approved"}, fake.EventTypes())
	assert.Equal(t, 4, fake.Calls(fakejobserver.Events), "each once")
	assert.Equal(t, int64(4), ns[0].Stats().Sent+ns[1].Stats().Sent)
}
