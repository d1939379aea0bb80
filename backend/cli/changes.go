package cli

import (
	"context"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// ChangePollInterval is how often a running backend checks whether another process (an
// operator's `airlock request close`, say) committed changes to the database.
const ChangePollInterval = time.Second

// followExternalChanges tells live clients about requests changed by another process
// while the backend runs: every interval it reads the database's data version, which only
// commits by other connections move, and when it moved publishes request.changed for every
// request audited since the last look (every change to a request is audited). The server's
// own changes are published by the service when they commit; the few of them that fall in
// the same interval as an outside change are published twice, which is harmless (events are
// invalidations).
func (b *Backend) followExternalChanges(ctx context.Context, interval time.Duration) {
	st := b.Store
	warn := func(err error) {
		if ctx.Err() == nil {
			b.Logger.Warn("following changes by other processes", "err", err)
		}
	}
	var ver, mark int64
	start := func() error {
		m, err := st.LastAuditID(ctx)
		if err != nil {
			return err
		}
		v, err := st.DataVersion(ctx)
		if err != nil {
			return err
		}
		again, err := st.LastAuditID(ctx)
		if err != nil {
			return err
		}
		ver, mark = v, m
		if again != m {
			// Something committed between the two reads: look at it on the first tick.
			ver = -1
		}
		return nil
	}
	started := start() == nil
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !started {
			if err := start(); err != nil {
				warn(err)
				continue
			}
			started = true
			continue
		}
		// The newest audit id before the data version: when the version has not moved, no
		// other process committed before either read, so everything up to m is ours.
		m, err := st.LastAuditID(ctx)
		if err != nil {
			warn(err)
			continue
		}
		v, err := st.DataVersion(ctx)
		if err != nil {
			warn(err)
			continue
		}
		if v == ver {
			mark = m
			continue
		}
		refs, last, err := st.RequestsAuditedAfter(ctx, mark)
		if err != nil {
			warn(err)
			continue
		}
		ver, mark = v, last
		if len(refs) == 0 {
			continue
		}
		events := make([]airlock.Event, len(refs))
		for i, r := range refs {
			events[i] = airlock.Event{Type: airlock.EventRequestChanged, RequestID: r.ID, Workspace: r.Workspace, Status: r.Status}
		}
		b.Logger.Info("requests changed by another process", "requests", len(refs))
		b.pub.Publish(events...)
	}
}
