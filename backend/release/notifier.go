package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// NotifierConfig configures the Notifier.
type NotifierConfig struct {
	// JobServer sends the notifications; nil (no job-server configured) only logs them.
	JobServer *JobServer
	// Org and Repo name the output-checking repository; both or neither.
	Org, Repo string
	// Attempts per notification (default 3) and the first pause between them (default
	// 500ms, doubling).
	Attempts int
	Backoff  time.Duration
	Logger   *slog.Logger
}

// Notifier implements service.Notifier: POST {api}/airlock/events/
// (docs/reference/domain.md §7.5). Notify returns at once: notifications are queued and
// sent by one goroutine, in the order the status changes committed. A failure is only
// logged — it never fails or undoes the action.
//
// job-server's event handler is not idempotent (it opens an issue, posts to Slack, sends
// email), so a notification is sent again only when it provably did not reach job-server:
// the request was never fully written (connection refused, DNS failure, a dial timeout),
// or job-server answered 5xx (it answers 500 when it cannot look up the event's users or
// workspace, before doing anything). When the request was sent and no answer came (a
// timeout, a dropped connection, a proxy's 504), the outcome is unknown: it is counted, reported to
// OnUnknown (the service audits it on the request) and never resent.
type Notifier struct {
	js       *JobServer
	client   *http.Client
	org      string
	repo     string
	attempts int
	backoff  time.Duration
	log      *slog.Logger

	unknownMu sync.Mutex
	onUnknown func(ctx context.Context, note airlock.Notification, cause string)

	sent, failed, unknown, retries atomic.Int64

	ctx     context.Context
	cancel  context.CancelFunc
	queue   chan queued
	pending sync.WaitGroup // queued and not yet finished
	done    chan struct{}  // closed when the sender goroutine ends

	mu     sync.Mutex
	closed bool
}

type queued struct {
	note airlock.Notification
	body []byte
}

// queueSize bounds the notifications waiting to be sent; beyond it they are dropped (and
// logged) rather than ever blocking an action.
const queueSize = 1024

// NewNotifier returns a Notifier; call Close on shutdown.
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	if (cfg.Org == "") != (cfg.Repo == "") {
		return nil, airlock.Errorf(airlock.CodeInvalid, "The output-checking org and repo must be set together.")
	}
	n := &Notifier{js: cfg.JobServer, org: cfg.Org, repo: cfg.Repo, attempts: cfg.Attempts, backoff: cfg.Backoff, log: cfg.Logger}
	if n.js != nil {
		n.client = freshConnections(n.js.client)
	}
	if n.attempts <= 0 {
		n.attempts = 3
	}
	if n.backoff <= 0 {
		n.backoff = 500 * time.Millisecond
	}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.queue = make(chan queued, queueSize)
	n.done = make(chan struct{})
	go n.run()
	return n, nil
}

// The notification body (§7.5), keys in this order; org and repo only when set.
type notificationBody struct {
	EventType     string                       `json:"event_type"`
	Workspace     string                       `json:"workspace"`
	Request       string                       `json:"request"`
	RequestAuthor string                       `json:"request_author"`
	User          string                       `json:"user"`
	Updates       []airlock.NotificationUpdate `json:"updates"`
	Org           string                       `json:"org,omitempty"`
	Repo          string                       `json:"repo,omitempty"`
}

// NotificationBody returns the exact body sent for n.
func (n *Notifier) NotificationBody(note airlock.Notification) ([]byte, error) {
	for _, u := range note.Updates {
		if u.Update == "" {
			return nil, fmt.Errorf("release: notification %s has an update without text", note.EventType)
		}
	}
	body := notificationBody{
		EventType: note.EventType, Workspace: note.Workspace, Request: note.Request,
		RequestAuthor: note.RequestAuthor, User: note.User, Updates: note.Updates,
		Org: n.org, Repo: n.repo,
	}
	if len(body.Updates) == 0 {
		body.Updates = nil
	}
	return jsonBody(body)
}

// Notify implements service.Notifier. It never blocks on the network.
func (n *Notifier) Notify(_ context.Context, note airlock.Notification) {
	body, err := n.NotificationBody(note)
	if err != nil {
		n.log.Error("notification not sent", "event_type", note.EventType, "request", note.Request, "err", err)
		return
	}
	if n.js == nil {
		n.log.Info("notification (no job-server configured)", "event_type", note.EventType,
			"workspace", note.Workspace, "request", note.Request, "user", note.User, "body", string(body))
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.log.Error("notification not sent: shutting down", "event_type", note.EventType, "request", note.Request)
		return
	}
	n.pending.Add(1)
	select {
	case n.queue <- queued{note, body}:
	default:
		n.pending.Done()
		n.log.Error("notification dropped: too many waiting", "event_type", note.EventType, "request", note.Request)
	}
}

func (n *Notifier) run() {
	defer close(n.done)
	for q := range n.queue {
		n.send(q.note, q.body)
		n.pending.Done()
	}
}

// Close stops accepting notifications and sends those queued until ctx ends; then it
// abandons the rest (logged).
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	defer n.cancel()
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		n.cancel()
		<-n.done
		return ctx.Err()
	}
}

// Wait blocks until every notification queued so far has been sent or given up.
func (n *Notifier) Wait() { n.pending.Wait() }

// OnUnknown sets the function told of every notification whose outcome is unknown (sent,
// no answer); it runs on the sender goroutine. The composition root points it at the
// service, which audits it on the request.
func (n *Notifier) OnUnknown(f func(ctx context.Context, note airlock.Notification, cause string)) {
	n.unknownMu.Lock()
	n.onUnknown = f
	n.unknownMu.Unlock()
}

// NotifierStats are the Notifier's counters since start (for /metrics).
type NotifierStats struct {
	// Sent: answered 201 (with status "ok" or job-server's error message).
	Sent int64
	// Failed: given up without reaching job-server, or refused with a 4xx.
	Failed int64
	// Unknown: sent without an answer; not resent.
	Unknown int64
	// Retries: attempts after the first.
	Retries int64
}

// Stats returns the counters.
func (n *Notifier) Stats() NotifierStats {
	return NotifierStats{Sent: n.sent.Load(), Failed: n.failed.Load(), Unknown: n.unknown.Load(), Retries: n.retries.Load()}
}

// freshConnections returns a client like c that opens a new connection for every call: a
// kept-alive connection that job-server (or a proxy) closed while idle fails only after
// the request was written, which would make the outcome of a notification unknown.
func freshConnections(c *http.Client) *http.Client {
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		return c
	}
	tr = tr.Clone()
	tr.DisableKeepAlives = true
	cc := *c
	cc.Transport = tr
	return &cc
}

func (n *Notifier) send(note airlock.Notification, body []byte) {
	pause := n.backoff
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			n.retries.Add(1)
		}
		res := n.post(note.User, body)
		switch {
		case res.outcome == outcomeAnswered && res.msg == "":
			n.sent.Add(1)
			n.log.Info("notification sent", "event_type", note.EventType, "request", note.Request)
			return
		case res.outcome == outcomeAnswered:
			n.sent.Add(1)
			n.log.Error("notification error", "event_type", note.EventType, "request", note.Request, "message", res.msg)
			return
		case res.outcome == outcomeUnknown:
			n.unknown.Add(1)
			n.log.Error("notification outcome unknown; not resent", "event_type", note.EventType, "request", note.Request,
				"message", failureMessage(res.err), "attempts", attempt)
			n.unknownMu.Lock()
			f := n.onUnknown
			n.unknownMu.Unlock()
			if f != nil {
				// The notification may have been handled: record it even while shutting down.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(n.ctx), 5*time.Second)
				f(ctx, note, failureMessage(res.err))
				cancel()
			}
			return
		case res.outcome == outcomeRefused || attempt >= n.attempts:
			n.failed.Add(1)
			n.log.Error("notification error", "event_type", note.EventType, "request", note.Request,
				"message", failureMessage(res.err), "attempts", attempt)
			return
		}
		select {
		case <-n.ctx.Done():
			n.failed.Add(1)
			n.log.Error("notification abandoned at shutdown", "event_type", note.EventType, "request", note.Request)
			return
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// outcome is what one call tells about a notification.
type outcome int

const (
	// outcomeAnswered: job-server answered 201 (its message says whether it coped).
	outcomeAnswered outcome = iota
	// outcomeNotReached: provably not handled (never fully sent, or a 5xx); may be resent.
	outcomeNotReached
	// outcomeRefused: a 4xx or an unreadable 201: resending would not help.
	outcomeRefused
	// outcomeUnknown: sent in full, no answer: it may have been handled.
	outcomeUnknown
)

type postResult struct {
	outcome outcome
	msg     string // job-server's error message of a 201 ("" for {"status": "ok"})
	err     error
}

// failureMessage words a failed notification as the reference logs it ("Error sending
// notification: 403 Forbidden"); the error itself follows Go's lower-case convention.
func failureMessage(err error) string {
	return "Error " + err.Error()
}

// post makes one call and says what it tells.
func (n *Notifier) post(user string, body []byte) postResult {
	ctx, cancel := context.WithTimeout(n.ctx, n.js.timeout)
	defer cancel()
	var written atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				written.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.js.endpoint+"/airlock/events/", bytes.NewReader(body))
	if err != nil {
		return postResult{outcome: outcomeRefused, err: err}
	}
	n.js.setHeaders(req, user)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		err = fmt.Errorf("sending notification: %w", err)
		if written.Load() {
			return postResult{outcome: outcomeUnknown, err: err}
		}
		if n.ctx.Err() != nil {
			return postResult{outcome: outcomeRefused, err: err}
		}
		return postResult{outcome: outcomeNotReached, err: err}
	}
	defer resp.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		err := fmt.Errorf("sending notification: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		switch {
		case resp.StatusCode == http.StatusGatewayTimeout:
			// A proxy gave up waiting for job-server, which may still be handling it.
			return postResult{outcome: outcomeUnknown, err: err}
		case resp.StatusCode >= 500:
			return postResult{outcome: outcomeNotReached, err: err}
		}
		return postResult{outcome: outcomeRefused, err: err}
	}
	if readErr != nil {
		// 201 means handled; only its message was lost.
		return postResult{outcome: outcomeAnswered, msg: "the answer was cut off: " + readErr.Error()}
	}
	var v struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(answer, &v); err != nil {
		return postResult{outcome: outcomeAnswered, msg: "unreadable answer: " + err.Error()}
	}
	if v.Status != "ok" {
		if v.Message == "" {
			v.Message = "job-server answered status " + v.Status
		}
		return postResult{outcome: outcomeAnswered, msg: v.Message}
	}
	return postResult{outcome: outcomeAnswered}
}
