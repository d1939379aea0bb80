package cli

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/release"
	"github.com/trelab/airlock/backend/store/postgres"
)

// Kinds of the messages servers sharing a PostgreSQL database send each other on the live
// bus (docs/operations.md, "Several servers").
const (
	busEvents        = "events"         // a JSON array of airlock.Event, after a commit
	busSessionEnded  = "session-ended"  // a session key (the hash of the cookie, never the cookie)
	busUserRefreshed = "user-refreshed" // a username whose stored record was refreshed
	busUserRevoked   = "user-revoked"   // a username whose sessions were ended
)

// Kinds an earlier version sent for its login limits. Failed logins are in the database now:
// these messages, from servers of the earlier version still running during an upgrade, are
// ignored without a warning.
const (
	busOldLoginFailed = "login-failed"
	busOldLoginOK     = "login-ok"
)

// replicas links this process with the other servers of its PostgreSQL database: events
// committed here go to them, theirs come here; claims keep their uploaders apart. Every
// process opening a PostgreSQL core has one, so that a command (`airlock request close`)
// tells the servers of its change as a server would.
type replicas struct {
	bus   *postgres.Bus
	locks *postgres.Locks
	log   *slog.Logger

	mu   sync.RWMutex
	hub  *live.Hub
	auth *auth.Authenticator
	kick func()
	// notify wakes the notification dispatcher: another server's change may have queued
	// notifications.
	notify func()
}

// openReplicas starts the live bus and the claims on the database at url.
func openReplicas(url string, log *slog.Logger) (*replicas, error) {
	r := &replicas{log: log}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bus, err := postgres.StartBus(ctx, postgres.BusConfig{URL: url, Receive: r.receive, OnGap: r.gap, Logger: log})
	if err != nil {
		return nil, err
	}
	r.bus = bus
	r.locks = postgres.NewLocks(url, log)
	return r, nil
}

// attach points what the other servers send at this server's hub, logins, uploader and
// notification dispatcher.
func (r *replicas) attach(hub *live.Hub, a *auth.Authenticator, kick, notify func()) {
	r.mu.Lock()
	r.hub, r.auth, r.kick, r.notify = hub, a, kick, notify
	r.mu.Unlock()
}

func (r *replicas) parts() (*live.Hub, *auth.Authenticator, func(), func()) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.hub, r.auth, r.kick, r.notify
}

// claims is the uploaders' port onto the cross-server claims.
func (r *replicas) claims() release.Claims { return r.locks }

func (r *replicas) close() {
	r.bus.Close()
	r.locks.Close()
}

// publish sends the request events committed here to the other servers, as few messages as
// fit under NOTIFY's limit. An event too long even alone goes without its paths (clients
// refetch whatever an event names; they do not read the paths). workspace.changed events
// stay here: every server watches the shared workspace folders itself (and announces the
// warning counts of its own cache), so relaying them would tell each client of a change
// once per server.
func (r *replicas) publish(events []airlock.Event) {
	var batch []airlock.Event
	flush := func() {
		if len(batch) == 0 {
			return
		}
		body, _ := json.Marshal(batch)
		r.send(busEvents, body)
		batch = nil
	}
	for _, ev := range events {
		if ev.Workspace == "" || ev.Type != airlock.EventRequestChanged {
			continue
		}
		one, _ := json.Marshal([]airlock.Event{ev})
		if len(one) > postgres.MaxBusPayload {
			ev.Paths = nil
		}
		next, _ := json.Marshal(append(batch, ev))
		if len(next) > postgres.MaxBusPayload {
			flush()
		}
		batch = append(batch, ev)
	}
	flush()
}

func (r *replicas) send(kind string, body []byte) {
	if err := r.bus.Send(kind, body); err != nil {
		r.log.Error("live bus: message not sent", "kind", kind, "err", err)
	}
}

// receive applies what another server sent (on the bus's listening goroutine).
func (r *replicas) receive(kind string, body []byte) {
	hub, a, kick, notify := r.parts()
	switch kind {
	case busEvents:
		var events []airlock.Event
		if err := json.Unmarshal(body, &events); err != nil {
			r.log.Warn("live bus: events message not understood", "err", err)
			return
		}
		if hub != nil {
			hub.Publish(events...)
		}
		if kick != nil && approved(events) {
			kick()
		}
		if notify != nil {
			notify()
		}
		return
	}
	if a == nil {
		return // a command: it has no sessions or sockets
	}
	text := string(body)
	switch kind {
	case busSessionEnded:
		a.ForgetSession(text)
		hub.CloseSession(text)
	case busUserRefreshed:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		u, err := a.ReloadUser(ctx, text)
		if err != nil {
			r.log.Warn("live bus: reading a user refreshed elsewhere", "user", text, "err", err)
			return
		}
		hub.UpdateUser(u)
	case busUserRevoked:
		a.ForgetUser(text)
		hub.CloseUser(text)
	case busOldLoginFailed, busOldLoginOK:
	default:
		r.log.Warn("live bus: message of an unknown kind ignored", "kind", kind)
	}
}

// gap: events may have been missed; every socket is told to reconnect and refetch, and
// passes of the uploader and the notification dispatcher look for work another server may
// have queued.
func (r *replicas) gap() {
	hub, _, kick, notify := r.parts()
	if hub != nil {
		hub.Resync()
	}
	if kick != nil {
		kick()
	}
	if notify != nil {
		notify()
	}
}

// approved reports whether events include a request becoming APPROVED (files to upload).
func approved(events []airlock.Event) bool {
	for _, ev := range events {
		if ev.Type == airlock.EventRequestChanged && ev.Status == airlock.StatusApproved {
			return true
		}
	}
	return false
}

// The auth.Peers of a server: what its logins tell the others.
type replicaPeers struct{ r *replicas }

func (p replicaPeers) SessionEnded(key string)       { p.r.send(busSessionEnded, []byte(key)) }
func (p replicaPeers) UserRefreshed(username string) { p.r.send(busUserRefreshed, []byte(username)) }
func (p replicaPeers) UserRevoked(username string)   { p.r.send(busUserRevoked, []byte(username)) }

// health is what /healthz says of the bus while its listener is down.
func (r *replicas) health() map[string]any {
	if r.bus.Listening() {
		return nil
	}
	return map[string]any{"liveBus": map[string]any{"listening": false,
		"reason": "the connection that hears the other servers is down; reconnecting (clients refetch when it is back)"}}
}

var _ auth.Peers = replicaPeers{}
