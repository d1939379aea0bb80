package cli

import (
	"context"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/store/sqlite"
)

// ChangePollInterval is how often a running backend checks whether another process (an
// operator's `airlock request close`, say) committed changes to the database.
const ChangePollInterval = time.Second

// followExternalChanges tells live clients about requests changed by another process
// while the backend runs (sqlite.Follower finds them), as request.changed. The server's
// own changes are published by the service when they commit; the few of them that fall in
// the same interval as an outside change are published twice, which is harmless (events are
// invalidations).
//
// On PostgreSQL there is no data version to poll (and there the other processes are
// mostly other replicas): nothing is followed here.
func (b *Backend) followExternalChanges(ctx context.Context, interval time.Duration) {
	st, ok := b.Store.(*sqlite.Store)
	if !ok {
		return
	}
	sqlite.NewFollower(st).Run(ctx, interval, func(refs []sqlite.RequestRef) {
		events := make([]airlock.Event, len(refs))
		for i, r := range refs {
			events[i] = airlock.Event{Type: airlock.EventRequestChanged, RequestID: r.ID, Workspace: r.Workspace, Status: r.Status}
		}
		b.Logger.Info("requests changed by another process", "requests", len(refs))
		b.pub.Publish(events...)
		// A command (`airlock request close`) queues its notification for this server.
		b.Notifier.Wake()
	}, func(err error) {
		b.Logger.Warn("following changes by other processes", "err", err)
	})
}
