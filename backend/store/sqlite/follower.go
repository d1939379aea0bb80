package sqlite

import (
	"context"
	"time"

	"github.com/trelab/airlock/backend/store/sqlstore"
)

// RequestRef names a request and its current status.
type RequestRef = sqlstore.RequestRef

// Follower notices requests changed by another process (an operator's `airlock request
// close`, say) while this store is open. A look reads the database's data version, which
// only commits by other connections move (see DataVersion), and when it has moved lists
// every request audited since the last look (every change to a request is audited).
//
// The store's own commits that fall between two looks with an outside commit are listed
// too; callers treat the answer as "these may have changed", never as a record of who
// changed what. Check and Run are for one goroutine at a time.
type Follower struct {
	store   *Store
	started bool
	ver     int64 // data version at the last look; -1 makes the next look list
	mark    int64 // newest audit id already reported (or the store's own)
}

// NewFollower returns a follower of s; its first look only takes the starting point.
func NewFollower(s *Store) *Follower {
	return &Follower{store: s}
}

// start takes the starting point: the data version and the newest audit id.
func (f *Follower) start(ctx context.Context) error {
	m, err := f.store.LastAuditID(ctx)
	if err != nil {
		return err
	}
	v, err := f.store.DataVersion(ctx)
	if err != nil {
		return err
	}
	again, err := f.store.LastAuditID(ctx)
	if err != nil {
		return err
	}
	f.ver, f.mark, f.started = v, m, true
	if again != m {
		// Something committed between the two reads: look at it on the next look.
		f.ver = -1
	}
	return nil
}

// Check looks once and returns the requests changed by other processes since the last
// look (none on the first look, which only takes the starting point, or when nothing
// moved). After an error the next look tries again from the same point.
func (f *Follower) Check(ctx context.Context) ([]RequestRef, error) {
	if !f.started {
		return nil, f.start(ctx)
	}
	// The newest audit id before the data version: when the version has not moved, no
	// other process committed before either read, so everything up to m is ours.
	m, err := f.store.LastAuditID(ctx)
	if err != nil {
		return nil, err
	}
	v, err := f.store.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	if v == f.ver {
		f.mark = m
		return nil, nil
	}
	refs, last, err := f.store.RequestsAuditedAfter(ctx, f.mark)
	if err != nil {
		return nil, err
	}
	f.ver, f.mark = v, last
	return refs, nil
}

// Run looks at once and then every interval until ctx ends, passing each non-empty answer
// to report and each error to fail (both on Run's goroutine).
func (f *Follower) Run(ctx context.Context, interval time.Duration, report func([]RequestRef), fail func(error)) {
	look := func() {
		refs, err := f.Check(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				fail(err)
			}
		case len(refs) > 0:
			report(refs)
		}
	}
	look()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			look()
		}
	}
}
