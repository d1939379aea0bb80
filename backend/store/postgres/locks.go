package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockCheckEvery is how often a connection holding claims is checked: when it is lost, so
// are its locks, and the work they guard is told to stop.
const lockCheckEvery = time.Second

// Locks hands out claims that hold across every server of one database: PostgreSQL session
// advisory locks, all taken on one connection of this server's. A claim lasts until it is
// released or the connection ends — a server that is killed loses its claims as soon as
// PostgreSQL notices the connection gone, and another server takes the work over. When the
// connection is lost while claims are held, each claim's context is cancelled, so the work
// it guards stops instead of running on unguarded.
type Locks struct {
	dsn string
	log *slog.Logger

	mu   sync.Mutex
	conn *pgx.Conn
	held map[int64]*claim

	stop chan struct{}
	wg   sync.WaitGroup
}

// claim is one held lock.
type claim struct{ cancel context.CancelFunc }

// NewLocks returns the claims of one server on the database at url; Close releases them.
func NewLocks(url string, log *slog.Logger) *Locks {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Locks{dsn: url, log: log, held: map[int64]*claim{}, stop: make(chan struct{})}
	l.wg.Add(1)
	go l.keep()
	return l
}

// LockKey is the advisory lock number of a claim's name.
func LockKey(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return int64(h.Sum64())
}

// Claim takes the claim called name unless another holder (on any server, or this one) has
// it. ok is false when it is taken. While held, ctx (derived from parent) stays alive;
// it is cancelled when the claim is released or lost. release is idempotent.
func (l *Locks) Claim(parent context.Context, name string) (ctx context.Context, release func(), ok bool, err error) {
	key := LockKey(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, mine := l.held[key]; mine {
		return nil, nil, false, nil
	}
	if l.conn == nil {
		c, err := pgx.Connect(parent, l.dsn)
		if err != nil {
			return nil, nil, false, fmt.Errorf("claims: %w", err)
		}
		l.conn = c
	}
	if err := l.conn.QueryRow(parent, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		l.lostLocked(err)
		return nil, nil, false, fmt.Errorf("claims: %w", err)
	}
	if !ok {
		return nil, nil, false, nil
	}
	ctx, cancel := context.WithCancel(parent)
	c := &claim{cancel: cancel}
	l.held[key] = c
	var once sync.Once
	release = func() {
		once.Do(func() {
			cancel()
			l.unlock(key, c)
		})
	}
	return ctx, release, true, nil
}

// unlock releases key if this claim still holds it (a lost connection released it already).
func (l *Locks) unlock(key int64, c *claim) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[key] != c {
		return
	}
	delete(l.held, key)
	if l.conn == nil {
		return
	}
	ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	var released bool
	if err := l.conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", key).Scan(&released); err != nil {
		// Ending the connection releases every lock it holds.
		l.lostLocked(err)
	}
}

// lostLocked ends the connection and cancels every claim it held.
func (l *Locks) lostLocked(err error) {
	if len(l.held) > 0 {
		l.log.Warn("claims: connection lost; the work it guarded is stopped", "claims", len(l.held), "err", err)
	}
	for k, c := range l.held {
		c.cancel()
		delete(l.held, k)
	}
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
	}
}

// keep checks the connection every lockCheckEvery while claims are held.
func (l *Locks) keep() {
	defer l.wg.Done()
	t := time.NewTicker(lockCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		if l.conn != nil && len(l.held) > 0 {
			ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
			if err := l.conn.Ping(ctx); err != nil {
				l.lostLocked(err)
			}
			done()
		}
		l.mu.Unlock()
	}
}

// Close cancels and releases every claim and closes the connection.
func (l *Locks) Close() {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, c := range l.held {
		c.cancel()
		delete(l.held, k)
	}
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
	}
}
