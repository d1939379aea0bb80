package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// BusChannel is the NOTIFY channel the servers of one database talk on.
const BusChannel = "airlock_live"

// MaxBusPayload is the largest message body Send passes on: PostgreSQL refuses NOTIFY
// payloads of 8000 bytes or more, and every message carries its origin and kind too.
const MaxBusPayload = 7900

// busQueue bounds the messages waiting to be sent; beyond it they are dropped and the other
// servers are told to resynchronise instead.
const busQueue = 4096

// Bus carries short messages between the servers sharing one PostgreSQL database, through
// LISTEN/NOTIFY: what one server sends after a commit, every other server receives (never
// the sender itself). NOTIFY gives no delivery guarantee to a listener that was not
// connected, so whenever the listening connection is lost and taken again the bus calls
// OnGap: whatever was sent in between may have been missed.
//
// Send never blocks: messages are queued and sent, in order, by one goroutine on a
// connection of its own; a second connection listens.
type Bus struct {
	dsn    string
	origin string
	log    *slog.Logger

	recv func(kind string, body []byte)
	gap  func()

	queue   chan busMsg
	dropped atomic.Bool // a message was dropped: tell the others to resynchronise

	listening atomic.Bool
	ready     chan struct{} // closed when the first LISTEN is in place
	readyOnce sync.Once

	sent, received, gaps atomic.Int64

	cancel    context.CancelFunc
	closing   chan struct{} // closed by Close: the sender sends what is queued and stops
	sender    chan struct{} // closed when the sender has stopped
	closeOnce sync.Once
	wg        sync.WaitGroup
}

type busMsg struct{ kind, body string }

// BusConfig configures a Bus.
type BusConfig struct {
	// URL is the postgres:// URL of the database.
	URL string
	// Receive is called with every message another server sent, on the bus's listening
	// goroutine, in the order they were committed.
	Receive func(kind string, body []byte)
	// OnGap is called (on the listening goroutine) after the listening connection was lost
	// and is back, and when another server reports it dropped messages: receivers should
	// treat everything as possibly changed.
	OnGap  func()
	Logger *slog.Logger
}

// KindResync is the message a server sends when it had to drop messages of its own; the
// others call OnGap.
const KindResync = "resync"

// StartBus connects the listener and the sender and returns a running bus; Close stops it.
// It waits (until ctx ends) for the first LISTEN, so that nothing sent after StartBus
// returns is missed.
func StartBus(ctx context.Context, cfg BusConfig) (*Bus, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Receive == nil {
		cfg.Receive = func(string, []byte) {}
	}
	if cfg.OnGap == nil {
		cfg.OnGap = func() {}
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	b := &Bus{
		dsn: cfg.URL, origin: hex.EncodeToString(id), log: cfg.Logger,
		recv: cfg.Receive, gap: cfg.OnGap,
		queue: make(chan busMsg, busQueue), ready: make(chan struct{}),
		closing: make(chan struct{}), sender: make(chan struct{}),
	}
	// Check the URL and the server before anything runs in the background.
	conn, err := pgx.Connect(ctx, cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("live bus: %w", err)
	}
	_ = conn.Close(ctx)
	bctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.wg.Add(2)
	go func() { defer b.wg.Done(); b.listen(bctx) }()
	go func() { defer b.wg.Done(); defer close(b.sender); b.send(bctx) }()
	select {
	case <-b.ready:
		return b, nil
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("live bus: waiting for LISTEN: %w", ctx.Err())
	}
}

// Origin identifies this server on the bus.
func (b *Bus) Origin() string { return b.origin }

// Listening reports whether the listening connection is up.
func (b *Bus) Listening() bool { return b.listening.Load() }

// BusStats counts messages since start.
type BusStats struct {
	Sent, Received, Gaps int64
}

// Stats returns the counters.
func (b *Bus) Stats() BusStats {
	return BusStats{Sent: b.sent.Load(), Received: b.received.Load(), Gaps: b.gaps.Load()}
}

// Send queues a message for every other server. kind is a short word without "|"; a body
// longer than MaxBusPayload is refused (the caller sends something smaller, such as a
// resync). It never blocks: when the queue is full the message is dropped and the other
// servers are told to resynchronise.
func (b *Bus) Send(kind string, body []byte) error {
	if kind == "" || strings.Contains(kind, "|") {
		return fmt.Errorf("live bus: bad message kind %q", kind)
	}
	if len(body) > MaxBusPayload {
		return fmt.Errorf("live bus: a %s message of %d bytes is longer than %d", kind, len(body), MaxBusPayload)
	}
	select {
	case b.queue <- busMsg{kind, string(body)}:
	default:
		b.dropped.Store(true)
		b.log.Warn("live bus: queue full; message dropped (the other servers will resynchronise)", "kind", kind)
	}
	return nil
}

// closeFlush bounds how long Close waits for queued messages to be sent.
const closeFlush = 5 * time.Second

// Close sends the messages still queued (for at most a few seconds: a command that changed
// something tells the servers before it exits) and stops the bus.
func (b *Bus) Close() {
	b.closeOnce.Do(func() {
		close(b.closing)
		select {
		case <-b.sender:
		case <-time.After(closeFlush):
		}
		b.cancel()
		b.wg.Wait()
	})
}

// backoff sleeps d (or until ctx ends) and returns the next, doubled up to 10 s.
func backoff(ctx context.Context, d time.Duration) time.Duration {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return min(2*d, 10*time.Second)
}

const firstBackoff = 100 * time.Millisecond

// listen keeps a connection LISTENing, reconnecting with back-off, and hands every message
// from another server to recv.
func (b *Bus) listen(ctx context.Context) {
	wait := firstBackoff
	connected := false // a LISTEN was in place before: a new one follows a gap
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, b.dsn)
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+BusChannel); err != nil {
				_ = conn.Close(context.Background())
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("live bus: cannot listen; retrying", "err", err, "retry_in", wait.String())
			}
			wait = backoff(ctx, wait)
			continue
		}
		wait = firstBackoff
		b.listening.Store(true)
		b.readyOnce.Do(func() { close(b.ready) })
		if connected {
			b.log.Info("live bus: listening again; clients are told to refetch")
			b.gaps.Add(1)
			b.gap()
		}
		connected = true
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() == nil {
					b.log.Warn("live bus: listening connection lost", "err", err)
				}
				break
			}
			b.deliver(n.Payload)
		}
		b.listening.Store(false)
		_ = conn.Close(context.Background())
	}
}

// deliver decodes origin|kind|body and passes on what another server sent.
func (b *Bus) deliver(payload string) {
	origin, rest, ok1 := strings.Cut(payload, "|")
	kind, body, ok2 := strings.Cut(rest, "|")
	if !ok1 || !ok2 {
		b.log.Warn("live bus: message of an unknown shape ignored", "bytes", len(payload))
		return
	}
	if origin == b.origin {
		return // ours: already delivered locally
	}
	b.received.Add(1)
	if kind == KindResync {
		b.gaps.Add(1)
		b.gap()
		return
	}
	b.recv(kind, []byte(body))
}

// send is the only sender: it NOTIFYs the queued messages in order on a connection of its
// own, reconnecting with back-off. A message that could not be sent is retried once on a
// new connection; after that the others are told to resynchronise.
func (b *Bus) send(ctx context.Context) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	wait := firstBackoff
	notify := func(m busMsg) error {
		for try := 0; ; try++ {
			if conn == nil {
				c, err := pgx.Connect(ctx, b.dsn)
				if err != nil {
					if ctx.Err() != nil || try > 0 {
						return err
					}
					wait = backoff(ctx, wait)
					continue
				}
				conn, wait = c, firstBackoff
			}
			_, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", BusChannel, b.origin+"|"+m.kind+"|"+m.body)
			if err == nil {
				b.sent.Add(1)
				return nil
			}
			_ = conn.Close(context.Background())
			conn = nil
			if ctx.Err() != nil || try > 0 {
				return err
			}
		}
	}
	for {
		var m busMsg
		select {
		case <-ctx.Done():
			return
		case m = <-b.queue:
		case <-b.closing:
			select {
			case m = <-b.queue:
			default:
				return // everything queued was sent
			}
		}
		if err := notify(m); err != nil {
			if ctx.Err() != nil {
				return
			}
			b.dropped.Store(true)
			b.log.Warn("live bus: message not sent (the other servers will resynchronise)", "kind", m.kind, "err", err)
		}
		if b.dropped.Load() && len(b.queue) == 0 {
			if err := notify(busMsg{kind: KindResync}); err == nil {
				b.dropped.Store(false)
			} else if errors.Is(err, context.Canceled) {
				return
			}
		}
	}
}
