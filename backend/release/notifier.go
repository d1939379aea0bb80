package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
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
// sent by one goroutine, in the order the status changes committed, each retried a few
// times on network errors and 5xx answers. A failure is only logged — it never fails or
// undoes the action.
type Notifier struct {
	js       *JobServer
	org      string
	repo     string
	attempts int
	backoff  time.Duration
	log      *slog.Logger

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
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
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

func (n *Notifier) send(note airlock.Notification, body []byte) {
	pause := n.backoff
	for attempt := 1; ; attempt++ {
		msg, retry, err := n.post(note.User, body)
		switch {
		case err == nil && msg == "":
			n.log.Info("notification sent", "event_type", note.EventType, "request", note.Request)
			return
		case err == nil:
			n.log.Error("notification error", "event_type", note.EventType, "request", note.Request, "message", msg)
			return
		case !retry || attempt >= n.attempts:
			n.log.Error("notification error", "event_type", note.EventType, "request", note.Request,
				"message", failureMessage(err), "attempts", attempt)
			return
		}
		select {
		case <-n.ctx.Done():
			n.log.Error("notification abandoned at shutdown", "event_type", note.EventType, "request", note.Request)
			return
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// failureMessage words a failed notification as the reference logs it ("Error sending
// notification: 403 Forbidden"); the error itself follows Go's lower-case convention.
func failureMessage(err error) string {
	return "Error " + err.Error()
}

// post makes one call. It returns job-server's error message ("" for {"status": "ok"}), or
// an error and whether another attempt may succeed.
func (n *Notifier) post(user string, body []byte) (msg string, retry bool, err error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.js.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.js.endpoint+"/airlock/events/", bytes.NewReader(body))
	if err != nil {
		return "", false, err
	}
	n.js.setHeaders(req, user)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.js.client.Do(req)
	if err != nil {
		return "", n.ctx.Err() == nil, fmt.Errorf("sending notification: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return "", resp.StatusCode >= 500,
			fmt.Errorf("sending notification: %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var v struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(answer, &v); err != nil {
		return "", false, fmt.Errorf("sending notification: unreadable answer: %w", err)
	}
	if v.Status != "ok" {
		if v.Message == "" {
			v.Message = "job-server answered status " + v.Status
		}
		return v.Message, false, nil
	}
	return "", false, nil
}
