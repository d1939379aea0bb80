// Package live delivers thin invalidation events to connected clients: WebSocket
// connections of the web UI and in-process sinks (the desktop window). Each event reaches
// only users who may view its workspace, by the same domain rule as the API.
package live

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/trelab/airlock/backend/airlock"
)

// Defaults of Config.
const (
	DefaultSendBuffer   = 64
	DefaultWriteWait    = 10 * time.Second
	DefaultPongWait     = 60 * time.Second
	DefaultReadLimit    = 4096
	DefaultHandshakeMax = 10 * time.Second
	DefaultMaxLifetime  = 12 * time.Hour
)

// WailsOrigin is the Origin of the desktop window's web view.
const WailsOrigin = "wails://wails"

// CloseSessionEnded is the WebSocket close code sent when the session was logged out; a
// client receiving it should not reconnect until the user logs in again.
const CloseSessionEnded = 4401

// Config configures a Hub. Zero values take the defaults.
type Config struct {
	// SendBuffer is the number of events queued per client; a client whose queue is full
	// is disconnected (it reconnects and refetches).
	SendBuffer int
	WriteWait  time.Duration // deadline of each write
	PongWait   time.Duration // a client silent for this long (no pong) is dropped
	// PingPeriod must be less than PongWait; default 9/10 of it.
	PingPeriod time.Duration
	ReadLimit  int64 // largest frame accepted from a client
	// MaxLifetime ends a connection this long after it opened (close code 1001; the client
	// reconnects and is authenticated again), so no socket outlives a revoked session or a
	// permission change for long. Default 12 hours.
	MaxLifetime time.Duration
	// AllowedOrigins are origins accepted besides the server's own and wails://wails.
	AllowedOrigins []string
	Logger         *slog.Logger
}

// Sink receives the events its user may see, in order, on a goroutine of the hub's; a slow
// Deliver delays only that sink. The desktop window implements it.
type Sink interface {
	Deliver(ev airlock.Event)
}

// Hub routes published events to clients. It implements service.Publisher.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader
	origins  map[string]bool

	mu      sync.Mutex
	clients map[*client]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// NewHub returns a running hub.
func NewHub(cfg Config) *Hub {
	if cfg.SendBuffer <= 0 {
		cfg.SendBuffer = DefaultSendBuffer
	}
	if cfg.WriteWait <= 0 {
		cfg.WriteWait = DefaultWriteWait
	}
	if cfg.PongWait <= 0 {
		cfg.PongWait = DefaultPongWait
	}
	if cfg.PingPeriod <= 0 || cfg.PingPeriod >= cfg.PongWait {
		cfg.PingPeriod = cfg.PongWait * 9 / 10
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = DefaultMaxLifetime
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, clients: map[*client]struct{}{}, origins: map[string]bool{}}
	h.origins[WailsOrigin] = true
	for _, o := range cfg.AllowedOrigins {
		if o = normalizeOrigin(o); o != "" {
			h.origins[o] = true
		}
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: DefaultHandshakeMax,
		ReadBufferSize:   1024,
		WriteBufferSize:  4096,
		CheckOrigin:      h.CheckOrigin,
	}
	return h
}

// client is one receiver: a WebSocket connection or a sink.
type client struct {
	user       airlock.User
	sessionKey string
	send       chan *websocket.PreparedMessage // closed only by the hub, under mu (WebSocket clients)
	conn       *websocket.Conn
	sink       Sink
	events     chan airlock.Event // closed only by the hub, under mu (sinks)
	// closeCode is the close frame sent when the hub ends the client (0: none).
	closeCode int
	closeText string
}

// Publish queues events for every client whose user may view the event's workspace. It
// never blocks: a client whose queue is full is disconnected.
func (h *Hub) Publish(events ...airlock.Event) {
	for _, ev := range events {
		if ev.Workspace == "" {
			continue
		}
		msg, err := prepare(ev)
		if err != nil {
			h.log.Error("live: encoding event", "err", err)
			continue
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return
		}
		allowed := map[string]bool{}
		for c := range h.clients {
			ok, seen := allowed[c.user.Username]
			if !seen {
				ok = airlock.CanViewWorkspace(c.user, ev.Workspace)
				allowed[c.user.Username] = ok
			}
			if !ok {
				continue
			}
			if c.sink != nil {
				select {
				case c.events <- ev:
				default:
					h.log.Warn("live: a sink fell behind; event dropped", "user", c.user.Username, "type", ev.Type)
				}
				continue
			}
			select {
			case c.send <- msg:
			default:
				h.log.Info("live: dropping a client that fell behind", "user", c.user.Username)
				h.removeLocked(c, 0, "")
				if c.conn != nil {
					_ = c.conn.NetConn().Close() // unblock a write stuck on a slow reader
				}
			}
		}
		h.mu.Unlock()
	}
}

// prepare encodes an event once for every connection (the frame is built once too).
func prepare(ev airlock.Event) (*websocket.PreparedMessage, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return websocket.NewPreparedMessage(websocket.TextMessage, data)
}

// removeLocked unregisters c and closes its queue; its writer then ends the connection.
func (h *Hub) removeLocked(c *client, code int, text string) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	c.closeCode, c.closeText = code, text
	if c.sink != nil {
		close(c.events)
	} else {
		close(c.send)
	}
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	h.removeLocked(c, 0, "")
	h.mu.Unlock()
}

// add registers c; false when the hub is closed.
func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.clients[c] = struct{}{}
	h.wg.Add(1)
	return true
}

// CloseSession disconnects every client of a session (logout), with close code
// CloseSessionEnded.
func (h *Hub) CloseSession(sessionKey string) {
	if sessionKey == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.sessionKey == sessionKey {
			h.removeLocked(c, CloseSessionEnded, "logged out")
		}
	}
}

// CloseUser disconnects every client of a user whose sessions were ended (job-server took
// their access away), with close code CloseSessionEnded.
func (h *Hub) CloseUser(username string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.user.Username == username {
			h.removeLocked(c, CloseSessionEnded, "access revoked")
		}
	}
}

// UpdateUser replaces the user record of every client of that user (after its
// permissions were refreshed), so routing follows the same rule as the API at once.
func (h *Hub) UpdateUser(u airlock.User) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.user.Username == u.Username {
			c.user = u
		}
	}
}

// CloseResync is the close text of Resync; the code is 1001 (going away), on which clients
// reconnect, and a client that reconnects refetches everything it shows.
const CloseResync = "live updates were interrupted; reconnect and refetch"

// Resync tells every WebSocket client that events may have been missed (the server's link to
// the other servers was lost): each connection is closed with 1001 and CloseResync, so the
// client reconnects and refetches. Sinks stay: they are in-process with a single server.
func (h *Hub) Resync() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if c.sink == nil {
			h.removeLocked(c, websocket.CloseGoingAway, CloseResync)
		}
	}
}

// Count is the number of connected clients.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// CountUser is the number of connected clients of one user.
func (h *Hub) CountUser(username string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.clients {
		if c.user.Username == username {
			n++
		}
	}
	return n
}

// Close disconnects every client (close code 1001, going away), refuses new ones and waits
// for their goroutines to end.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	for c := range h.clients {
		h.removeLocked(c, websocket.CloseGoingAway, "server shutting down")
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// Subscribe delivers the events user may see to sink until the returned function is
// called (or the hub closes). Events that overflow the sink's queue are dropped, with a
// warning: a sink is never disconnected.
func (h *Hub) Subscribe(user airlock.User, sink Sink) (unsubscribe func()) {
	c := &client{user: user, sink: sink, events: make(chan airlock.Event, h.cfg.SendBuffer*4)}
	if !h.add(c) {
		return func() {}
	}
	go func() {
		defer h.wg.Done()
		for ev := range c.events {
			sink.Deliver(ev)
		}
	}()
	return func() { h.remove(c) }
}

// CheckOrigin accepts requests without an Origin (non-browser clients, which still need
// the session cookie), the server's own origin, wails://wails and the configured extras.
func (h *Hub) CheckOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	o := normalizeOrigin(origin)
	if o == "" {
		return false
	}
	if h.origins[o] {
		return true
	}
	u, _ := url.Parse(o)
	return (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host)
}

// normalizeOrigin returns scheme://host[:port] in lower case, or "" when s is not an origin.
func normalizeOrigin(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
