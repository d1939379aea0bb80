package sqlstore

import (
	"context"

	"github.com/trelab/airlock/backend/airlock"
)

// LastAuditID is the id of the newest audit event (0 when there is none).
func (s *DB) LastAuditID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.read().queryRow(ctx, s.d.NewestAuditID).Scan(&id); err != nil {
		return 0, s.d.errorf("last audit id: %w", err)
	}
	return id, nil
}

// RequestRef names a request and its current status.
type RequestRef struct {
	ID        string
	Workspace string
	Status    airlock.Status
}

// RequestsAuditedAfter lists the requests with an audit event newer than audit id after
// (every change to a request is audited), with their current status, and the id of the
// newest audit event it saw (after when there is none), on one snapshot. Audit ids are
// given out under the write lock (or the chain head's) and committed in order, so nothing
// below the newest id can appear later.
func (s *DB) RequestsAuditedAfter(ctx context.Context, after int64) ([]RequestRef, int64, error) {
	var out []RequestRef
	last := after
	err := s.view(ctx, func(t *Tx) error {
		var newest int64
		if err := t.c.queryRow(ctx, s.d.NewestAuditID).Scan(&newest); err != nil {
			return err
		}
		last = max(newest, after)
		rows, err := t.c.query(ctx, `
			SELECT r.id, r.workspace, r.status FROM requests r
			WHERE r.id IN (SELECT DISTINCT request_id FROM audit_log WHERE id > ? AND id <= ? AND request_id <> '')
			ORDER BY r.id`, after, last)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r RequestRef
			if err := rows.Scan(&r.ID, &r.Workspace, &r.Status); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, after, s.d.errorf("requests audited after %d: %w", after, err)
	}
	return out, last, nil
}
