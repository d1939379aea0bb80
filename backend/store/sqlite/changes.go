package sqlite

import (
	"context"
	"fmt"

	"github.com/trelab/airlock/backend/airlock"
)

// DataVersion is SQLite's data_version as the store's writer connection sees it: it changes
// when another connection — in practice another process, such as an operator command —
// commits to the database, and not when this store commits (its writes all go through that
// connection; its readers are read-only). A server polls it to notice changes made behind
// its back.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.writer.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: data version: %w", err)
	}
	return v, nil
}

// LastAuditID is the id of the newest audit event (0 when there is none).
func (s *Store) LastAuditID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.reader.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM audit_log`).Scan(&id); err != nil {
		return 0, fmt.Errorf("sqlite: last audit id: %w", err)
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
// newest audit event it saw (after when there is none).
func (s *Store) RequestsAuditedAfter(ctx context.Context, after int64) ([]RequestRef, int64, error) {
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, after, fmt.Errorf("sqlite: requests audited after %d: %w", after, err)
	}
	defer func() { _ = tx.Rollback() }()
	last := after
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), ?) FROM audit_log WHERE id > ?`, after, after).Scan(&last); err != nil {
		return nil, after, fmt.Errorf("sqlite: requests audited after %d: %w", after, err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT r.id, r.workspace, r.status FROM requests r
		WHERE r.id IN (SELECT DISTINCT request_id FROM audit_log WHERE id > ? AND id <= ? AND request_id <> '')
		ORDER BY r.id`, after, last)
	if err != nil {
		return nil, after, fmt.Errorf("sqlite: requests audited after %d: %w", after, err)
	}
	defer rows.Close()
	var out []RequestRef
	for rows.Next() {
		var r RequestRef
		if err := rows.Scan(&r.ID, &r.Workspace, &r.Status); err != nil {
			return nil, after, fmt.Errorf("sqlite: requests audited after %d: %w", after, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, after, fmt.Errorf("sqlite: requests audited after %d: %w", after, err)
	}
	return out, last, nil
}
