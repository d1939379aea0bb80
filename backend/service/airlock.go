// Package service is Airlock's business-logic layer: the only way state changes. Every
// mutating method follows one sequence: open a transaction, load fresh state, check the rule
// in package airlock, write the change together with its audit event, commit, and only then
// publish a thin live event and (for status changes, whose job-server notification is
// queued in the outbox in the same transaction) wake the Notifier.
//
// The rules it applies are those of docs/reference/domain.md (a bare "§N" in this package,
// tests included, cites it) as amended by docs/decisions.md.
package service

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// Config holds the dependencies of the service. Store, Workspaces and Files are required;
// a nil Publisher, Notifier or Logger is a no-op, a nil Releaser is the outbox target, nil
// Checks counts no warnings, a nil Clock is time.Now and a zero Policy is
// airlock.DefaultPolicy().
type Config struct {
	Store      Store
	Workspaces Workspaces
	Files      Files
	Publisher  Publisher
	Notifier   Notifier
	Releaser   Releaser
	Checks     Checks
	Clock      func() time.Time
	Policy     airlock.Policy
	Logger     *slog.Logger
	// NewID generates request ids; nil uses ULIDs from Clock and crypto/rand.
	NewID func() string
	// CodeURL links outputs to a code browser (ParseCodeURLTemplate); zero makes no links.
	CodeURL CodeURLTemplate
}

// Airlock is the service. It is safe for concurrent use.
type Airlock struct {
	store    Store
	ws       Workspaces
	files    Files
	pub      Publisher
	notifier Notifier
	releaser Releaser
	checks   Checks
	clock    func() time.Time
	policy   airlock.Policy
	log      *slog.Logger
	newID    func() string
	codeURL  CodeURLTemplate
	// adds are the request folders adds of this process are writing to (SweepFiles).
	adds  *addGuard
	views viewCache
	// ordered keeps effects in commit order (see write).
	ordered sync.Mutex
}

// New builds the service from cfg.
func New(cfg Config) *Airlock {
	s := &Airlock{
		store:    cfg.Store,
		ws:       cfg.Workspaces,
		files:    cfg.Files,
		pub:      cfg.Publisher,
		notifier: cfg.Notifier,
		releaser: cfg.Releaser,
		checks:   cfg.Checks,
		clock:    cfg.Clock,
		policy:   cfg.Policy,
		log:      cfg.Logger,
		newID:    cfg.NewID,
		codeURL:  cfg.CodeURL,
		adds:     newAddGuard(),
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.policy.RequiredReviews == 0 && len(s.policy.AllowedExtensions) == 0 && s.policy.MaxFileSize == 0 {
		s.policy = airlock.DefaultPolicy()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.newID == nil {
		gen := &ulids{}
		s.newID = func() string { return gen.next(s.now()) }
	}
	return s
}

// Policy is the policy the service enforces.
func (s *Airlock) Policy() airlock.Policy { return s.policy }

// now is the service clock in UTC.
func (s *Airlock) now() time.Time { return s.clock().UTC() }

// effects collects what to do after a transaction commits.
type effects struct {
	events        []airlock.Event
	notifications []airlock.Notification
}

// changed records that r changed (a request.changed event after commit).
func (e *effects) changed(r *airlock.ReleaseRequest) {
	for i, ev := range e.events {
		if ev.RequestID == r.ID {
			e.events[i].Status = r.Status
			return
		}
	}
	e.events = append(e.events, airlock.Event{
		Type: airlock.EventRequestChanged, RequestID: r.ID, Workspace: r.Workspace, Status: r.Status,
	})
}

// write runs fn in one write transaction and, once it has committed, publishes the events
// and sends the notifications fn collected. fn may run more than once if the store retries.
//
// Effects leave in commit order: the transaction takes s.ordered once fn is done (it still
// holds the database's single writer, so no later transaction of this service can commit
// first) and releases it after its effects are out. Publishing and notifying never block,
// so the next writer waits only for that.
func (s *Airlock) write(ctx context.Context, fn func(tx Tx, eff *effects) error) error {
	var eff effects
	locked := false
	defer func() {
		if locked {
			s.ordered.Unlock()
		}
	}()
	err := s.store.InTx(ctx, func(tx Tx) error {
		eff = effects{}
		if err := fn(tx, &eff); err != nil {
			return err
		}
		if !locked {
			s.ordered.Lock()
			locked = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.afterCommit(ctx, eff)
	return nil
}

// afterCommit publishes live events, then tells the Notifier of the notifications queued
// in the outbox; neither can fail the action.
func (s *Airlock) afterCommit(ctx context.Context, eff effects) {
	if s.pub != nil && len(eff.events) > 0 {
		s.pub.Publish(eff.events...)
	}
	if s.notifier != nil {
		for _, n := range eff.notifications {
			s.notifier.Notify(context.WithoutCancel(ctx), n)
		}
	}
}

// view runs fn in a read-only transaction.
func (s *Airlock) view(ctx context.Context, fn func(tx Tx) error) error {
	return s.store.View(ctx, fn)
}

// audit builds a request-scoped audit event stamped with the service clock.
func (s *Airlock) audit(t airlock.AuditType, u airlock.User, r *airlock.ReleaseRequest, path string, extra map[string]string) airlock.AuditEvent {
	ev := airlock.NewAuditEvent(t, u, r, path, extra)
	ev.CreatedAt = s.now()
	return ev
}

// transit stores transition t of r, computed by the domain (airlock.Transit and its
// kin): the request in its new state with t's audit event, a request.changed event and t's
// job-server notification after commit.
func (s *Airlock) transit(ctx context.Context, tx Tx, eff *effects, r *airlock.ReleaseRequest, t airlock.Transition) error {
	t.Apply(r)
	if err := tx.UpdateRequest(ctx, r, t.Audit); err != nil {
		return err
	}
	eff.changed(r)
	if t.Notification != nil {
		// Queued with the change: both commit or neither does (docs/operations.md, "Uploads
		// and notifications"); a serving process's Notifier sends it from the outbox.
		q := airlock.QueueNotification(*t.Notification, s.now())
		if err := tx.EnqueueNotification(ctx, &q); err != nil {
			return err
		}
		eff.notifications = append(eff.notifications, *t.Notification)
	}
	return nil
}

// loadRequest reads request id for u inside tx: not_found when it does not exist or u may
// not view its workspace.
func loadRequest(ctx context.Context, tx Tx, u airlock.User, id string) (*airlock.ReleaseRequest, error) {
	if id == "" {
		return nil, airlock.Errorf(airlock.CodeNotFound, "Release request not found")
	}
	r, err := tx.GetRequest(ctx, id)
	return visibleRequest(u, id, r, err)
}

// visibleRequest is the outcome of a store read of request id as u may see it: not_found
// when the request does not exist or u may not view its workspace.
func visibleRequest(u airlock.User, id string, r *airlock.ReleaseRequest, err error) (*airlock.ReleaseRequest, error) {
	if err != nil {
		if airlock.ErrorCode(err) == airlock.CodeNotFound {
			return nil, airlock.Errorf(airlock.CodeNotFound, "Release request %s not found", id)
		}
		return nil, err
	}
	if err := airlock.CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return nil, airlock.Errorf(airlock.CodeNotFound, "Release request %s not found", id)
	}
	return r, nil
}
