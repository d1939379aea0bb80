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
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// NotifierConfig configures the Notifier.
type NotifierConfig struct {
	// JobServer sends the notifications; nil (no job-server configured) only logs them
	// (their outbox rows become logged).
	JobServer *JobServer
	// Org and Repo name the output-checking repository; both or neither.
	Org, Repo string
	// Attempts per notification (default 3) and the first pause between them (default
	// 500ms, doubling).
	Attempts int
	Backoff  time.Duration
	// Poll is the longest pause between two looks at the outbox (default 2s): a safety net
	// for a wake-up that never came (a change committed by another process).
	Poll   time.Duration
	Logger *slog.Logger
}

// NotificationOutbox is the durable queue of notifications the Notifier sends from,
// implemented by service.Airlock (docs/operations.md, "Uploads and notifications").
type NotificationOutbox interface {
	// NotificationQueue returns at most limit notifications that may be sent next.
	NotificationQueue(ctx context.Context, limit int) ([]airlock.QueuedNotification, error)
	// TakeNotification is called under the claim on notification id: send tells whether
	// server is to send it now; q.ID 0 means it could not be read (try later).
	TakeNotification(ctx context.Context, id int64, server string) (q airlock.QueuedNotification, send bool, err error)
	// FinishNotification records the outcome of server's sending.
	FinishNotification(ctx context.Context, id int64, server string, o airlock.SendOutcome, attempts int, msg string) (airlock.QueuedNotification, error)
}

// Notifier implements service.Notifier and dispatches the notification outbox: POST
// {api}/airlock/events/ (docs/reference/domain.md §7.5). Status changes queue their
// notifications in the database with the change; a serving process Starts its Notifier,
// which takes them one at a time, in commit order, each under a claim named for it
// (NotificationClaim), sends it and records the outcome. Notify (after a commit) and
// Wake (a change made elsewhere) only wake it; it also looks every Poll, and at Start (the
// rows a stopped server left). A process that never Starts (an operator command) leaves
// its notifications queued for the server. A failure is only logged — it never fails or
// undoes the action.
//
// job-server's event handler is not idempotent (it opens an issue, posts to Slack, sends
// email), so a notification is sent again only when it provably did not reach job-server
// (airlock.MayResend): the request was never fully written (connection refused, DNS
// failure, a dial timeout), or job-server answered 5xx (it answers 500 when it cannot look
// up the event's users or workspace, before doing anything). When the request was sent and
// no answer came (a timeout, a dropped connection, a proxy's 504), the outcome is unknown:
// it is recorded on the request (REQUEST_NOTIFICATION_UNKNOWN), counted, reported to
// OnUnknown and never resent. A notification found sending whose claim is free was left by
// a server that stopped while sending it: it is unknown too.
type Notifier struct {
	js       *JobServer
	client   *http.Client
	org      string
	repo     string
	attempts int
	backoff  time.Duration
	poll     time.Duration
	log      *slog.Logger

	unknownMu sync.Mutex
	onUnknown func(ctx context.Context, note airlock.Notification, cause string)

	sent, failed, unknown, logged, retries atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	stop   chan struct{} // closed by Close: one last pass, then the loop ends
	done   chan struct{} // closed when the loop ends
	outbox NotificationOutbox
	claims Claims
	server string

	mu       sync.Mutex
	passed   *sync.Cond
	started  bool
	closed   bool
	ended    bool
	passes   int64 // passes over the outbox begun
	finished int64 // passes over the outbox ended
}

// DefaultNotificationPoll is the longest pause between two looks at the outbox.
const DefaultNotificationPoll = 2 * time.Second

// heldPoll is the pause between looks while another server holds a notification's claim.
const heldPoll = 250 * time.Millisecond

// queueBatch is how many notifications one look at the outbox reads.
const queueBatch = 64

// NewNotifier returns a Notifier; Start it in a serving process, and Close it on shutdown.
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	if (cfg.Org == "") != (cfg.Repo == "") {
		return nil, airlock.Errorf(airlock.CodeInvalid, "The output-checking org and repo must be set together.")
	}
	n := &Notifier{js: cfg.JobServer, org: cfg.Org, repo: cfg.Repo, attempts: cfg.Attempts, backoff: cfg.Backoff,
		poll: cfg.Poll, log: cfg.Logger}
	if n.js != nil {
		n.client = freshConnections(n.js.client)
	}
	if n.attempts <= 0 {
		n.attempts = 3
	}
	if n.backoff <= 0 {
		n.backoff = 500 * time.Millisecond
	}
	if n.poll <= 0 {
		n.poll = DefaultNotificationPoll
	}
	if n.log == nil {
		n.log = slog.Default()
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wake = make(chan struct{}, 1)
	n.stop = make(chan struct{})
	n.done = make(chan struct{})
	n.passed = sync.NewCond(&n.mu)
	return n, nil
}

// NotificationClaim is the name of the claim a server holds while it sends notification id.
func NotificationClaim(id int64) string {
	return "notification\x00" + strconv.FormatInt(id, 10)
}

// Start dispatches outbox until Close: at once (what a stopped server left), then whenever
// woken, and every Poll. claims keeps the servers of one database apart (nil: this process
// only, LocalClaims); server names this process in the outbox (claimed_by).
func (n *Notifier) Start(outbox NotificationOutbox, claims Claims, server string) {
	if claims == nil {
		claims = &LocalClaims{}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started || n.closed {
		return
	}
	n.started = true
	n.outbox, n.claims, n.server = outbox, claims, server
	go n.run()
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

// Notify implements service.Notifier: note was queued in the outbox by a commit of this
// process; the dispatcher is woken. It never blocks.
func (n *Notifier) Notify(_ context.Context, _ airlock.Notification) { n.Wake() }

// Wake makes the dispatcher look at the outbox now (a change committed by another
// process may have queued notifications). It never blocks.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *Notifier) run() {
	defer func() {
		n.mu.Lock()
		n.ended = true
		n.passed.Broadcast()
		n.mu.Unlock()
		close(n.done)
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		wait := n.poll
		if n.pass() {
			// Another server is sending one: look again soon, to take over quickly if it
			// dies (its claim ends with its connection; nothing else tells this server).
			wait = min(wait, heldPoll)
		}
		timer.Reset(wait)
		select {
		case <-n.ctx.Done():
			return
		case <-n.stop:
			n.pass()
			return
		case <-n.wake:
		case <-timer.C:
		}
	}
}

// pass sends what the outbox holds for this server until nothing more can be done now;
// held reports a notification left because another server holds its claim.
func (n *Notifier) pass() (held bool) {
	n.mu.Lock()
	n.passes++
	this := n.passes
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.finished = this
		n.passed.Broadcast()
		n.mu.Unlock()
	}()
	for n.ctx.Err() == nil {
		queue, err := n.outbox.NotificationQueue(n.ctx, queueBatch)
		if err != nil {
			if n.ctx.Err() == nil {
				n.log.Error("notification outbox not read; retrying at the next look", "err", err)
			}
			return false
		}
		progressed := false
		held = false
		for _, q := range queue {
			if n.ctx.Err() != nil {
				return held
			}
			switch n.dispatch(q) {
			case dispatched:
				progressed = true
			case claimHeld:
				held = true
			}
		}
		if !progressed {
			return held
		}
	}
	return held
}

// dispatchResult is what dispatch did with a notification.
type dispatchResult int

const (
	dispatched dispatchResult = iota // taken (sent, or found left by a stopped sender)
	claimHeld                        // another server holds its claim
	notNow                           // not readable now (an error, or held by a transaction)
)

// dispatch takes q under its claim and sends it.
func (n *Notifier) dispatch(q airlock.QueuedNotification) dispatchResult {
	ctx, release, ok, err := n.claims.Claim(n.ctx, NotificationClaim(q.ID))
	if err != nil {
		n.log.Error("notification not claimed; retrying at the next look", "id", q.ID, "request", q.RequestID, "err", err)
		return notNow
	}
	if !ok {
		return claimHeld
	}
	defer release()
	cur, send, err := n.outbox.TakeNotification(ctx, q.ID, n.server)
	if err != nil {
		if n.ctx.Err() == nil {
			n.log.Error("notification not taken; retrying at the next look", "id", q.ID, "request", q.RequestID, "err", err)
		}
		return notNow
	}
	if cur.ID == 0 {
		return notNow
	}
	if !send {
		if cur.State == airlock.NotificationUnknown && cur.LastError == airlock.UnknownSenderGone {
			n.unknown.Add(1)
			n.log.Error("notification outcome unknown; not resent", "event_type", cur.EventType, "request", cur.RequestID,
				"message", cur.LastError, "claimed_by", cur.ClaimedBy)
			n.reportUnknown(cur.Note, cur.LastError)
		}
		return dispatched
	}
	o, attempts, msg := n.send(ctx, cur.Note)
	// The outcome is recorded even while shutting down: it may have been handled.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(n.ctx), 5*time.Second)
	defer cancel()
	if _, err := n.outbox.FinishNotification(fctx, cur.ID, n.server, o, attempts, msg); err != nil {
		n.log.Error("notification outcome not recorded", "id", cur.ID, "event_type", cur.EventType, "request", cur.RequestID, "err", err)
	}
	if o == airlock.SendUnknown {
		n.reportUnknown(cur.Note, msg)
	}
	return dispatched
}

func (n *Notifier) reportUnknown(note airlock.Notification, cause string) {
	n.unknownMu.Lock()
	f := n.onUnknown
	n.unknownMu.Unlock()
	if f != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(n.ctx), 5*time.Second)
		f(ctx, note, cause)
		cancel()
	}
}

// Close stops the dispatcher after one last pass over the outbox, bounded by ctx; what is
// still queued then stays in the outbox for the next server to start (or another one).
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	started := n.started
	if !n.closed {
		n.closed = true
		if started {
			close(n.stop)
		}
	}
	n.mu.Unlock()
	defer n.cancel()
	if !started {
		return nil
	}
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		n.cancel()
		<-n.done
		return ctx.Err()
	}
}

// Wait blocks until a whole pass over the outbox has begun and ended since the call (so
// every notification queued before it was sent or given up, unless another server holds
// it), or the dispatcher has stopped. Without Start it returns at once.
func (n *Notifier) Wait() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.started {
		return
	}
	want := n.passes + 1
	n.Wake()
	for n.finished < want && !n.ended {
		n.passed.Wait()
	}
}

// OnUnknown sets the function told of every notification whose outcome is unknown (sent,
// no answer, or left sending by a stopped server), after the outbox has recorded it on the
// request; it runs on the dispatcher goroutine.
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
	// Unknown: sent without an answer, or left sending by a stopped server; not resent.
	Unknown int64
	// Logged: only logged (no job-server configured).
	Logged int64
	// Retries: attempts after the first.
	Retries int64
}

// Stats returns the counters.
func (n *Notifier) Stats() NotifierStats {
	return NotifierStats{Sent: n.sent.Load(), Failed: n.failed.Load(), Unknown: n.unknown.Load(), Logged: n.logged.Load(),
		Retries: n.retries.Load()}
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

// send sends note, again while it provably did not reach job-server, and returns the
// outcome of the last attempt, the attempts made and the message to record. ctx is the
// claim's: it ends when the claim is lost or the Notifier stops.
func (n *Notifier) send(ctx context.Context, note airlock.Notification) (airlock.SendOutcome, int, string) {
	body, err := n.NotificationBody(note)
	if err != nil {
		n.failed.Add(1)
		n.log.Error("notification not sent", "event_type", note.EventType, "request", note.Request, "err", err)
		return airlock.SendRefused, 0, err.Error()
	}
	if n.js == nil {
		n.logged.Add(1)
		n.log.Info("notification (no job-server configured)", "event_type", note.EventType,
			"workspace", note.Workspace, "request", note.Request, "user", note.User, "body", string(body))
		return airlock.SendLogged, 0, "no job-server configured: logged only"
	}
	pause := n.backoff
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			n.retries.Add(1)
		}
		res := n.post(ctx, note.User, body)
		switch {
		case res.outcome == airlock.SendAnswered && res.msg == "":
			n.sent.Add(1)
			n.log.Info("notification sent", "event_type", note.EventType, "request", note.Request)
			return res.outcome, attempt, ""
		case res.outcome == airlock.SendAnswered:
			n.sent.Add(1)
			n.log.Error("notification error", "event_type", note.EventType, "request", note.Request, "message", res.msg)
			return res.outcome, attempt, res.msg
		case res.outcome == airlock.SendUnknown:
			n.unknown.Add(1)
			n.log.Error("notification outcome unknown; not resent", "event_type", note.EventType, "request", note.Request,
				"message", failureMessage(res.err), "attempts", attempt)
			return res.outcome, attempt, failureMessage(res.err)
		case !airlock.MayResend(res.outcome) || attempt >= n.attempts:
			n.failed.Add(1)
			n.log.Error("notification error", "event_type", note.EventType, "request", note.Request,
				"message", failureMessage(res.err), "attempts", attempt)
			return res.outcome, attempt, failureMessage(res.err)
		}
		select {
		case <-ctx.Done():
			n.failed.Add(1)
			n.log.Error("notification abandoned at shutdown", "event_type", note.EventType, "request", note.Request)
			return airlock.SendRefused, attempt, "abandoned at shutdown: " + failureMessage(res.err)
		case <-time.After(pause):
		}
		pause *= 2
	}
}

type postResult struct {
	outcome airlock.SendOutcome
	msg     string // job-server's error message of a 201 ("" for {"status": "ok"})
	err     error
}

// failureMessage words a failed notification as the reference logs it ("Error sending
// notification: 403 Forbidden"); the error itself follows Go's lower-case convention.
func failureMessage(err error) string {
	return "Error " + err.Error()
}

// post makes one call and says what it tells.
func (n *Notifier) post(parent context.Context, user string, body []byte) postResult {
	ctx, cancel := context.WithTimeout(parent, n.js.timeout)
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
		return postResult{outcome: airlock.SendRefused, err: err}
	}
	n.js.setHeaders(req, user)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		err = fmt.Errorf("sending notification: %w", err)
		if written.Load() {
			return postResult{outcome: airlock.SendUnknown, err: err}
		}
		if parent.Err() != nil {
			return postResult{outcome: airlock.SendRefused, err: err}
		}
		return postResult{outcome: airlock.SendNotReached, err: err}
	}
	defer resp.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		err := fmt.Errorf("sending notification: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		switch {
		case resp.StatusCode == http.StatusGatewayTimeout:
			// A proxy gave up waiting for job-server, which may still be handling it.
			return postResult{outcome: airlock.SendUnknown, err: err}
		case resp.StatusCode >= 500:
			return postResult{outcome: airlock.SendNotReached, err: err}
		}
		return postResult{outcome: airlock.SendRefused, err: err}
	}
	if readErr != nil {
		// 201 means handled; only its message was lost.
		return postResult{outcome: airlock.SendAnswered, msg: "the answer was cut off: " + readErr.Error()}
	}
	var v struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(answer, &v); err != nil {
		return postResult{outcome: airlock.SendAnswered, msg: "unreadable answer: " + err.Error()}
	}
	if v.Status != "ok" {
		if v.Message == "" {
			v.Message = "job-server answered status " + v.Status
		}
		return postResult{outcome: airlock.SendAnswered, msg: v.Message}
	}
	return postResult{outcome: airlock.SendAnswered}
}
