package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/trelab/airlock/backend/airlock"
)

// The notification outbox (migration 0006). The single writer serialises every claim: a
// transaction that reads a row to take it is the only writer until it commits.

const notificationColumns = `id, request_id, event_type, note, state, created_at, claimed_by, claimed_at,
	attempts, finished_at, last_error`

// EnqueueNotification queues q (pending) and sets q.ID, the commit order.
func (t *Tx) EnqueueNotification(ctx context.Context, q *airlock.QueuedNotification) error {
	if err := t.writable(); err != nil {
		return err
	}
	note, err := json.Marshal(q.Note)
	if err != nil {
		return fmt.Errorf("sqlite: encode notification %s: %w", q.EventType, err)
	}
	res, err := t.tx.ExecContext(ctx, `INSERT INTO notification (request_id, event_type, note, state, created_at)
		VALUES (?, ?, ?, ?, ?)`, q.RequestID, q.EventType, string(note), string(q.State), fmtTime(orNow(q.CreatedAt)))
	if err != nil {
		return wrap(err, "enqueue notification", "", "")
	}
	if q.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("sqlite: enqueue notification: %w", err)
	}
	return nil
}

// NotificationQueue returns at most limit notifications that may be worked on next, in
// commit order: those pending or sending with no earlier row of their request pending or
// sending.
func (t *Tx) NotificationQueue(ctx context.Context, limit int) ([]airlock.QueuedNotification, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+notificationColumns+` FROM notification n
		WHERE n.state IN ('pending', 'sending')
		AND NOT EXISTS (SELECT 1 FROM notification e WHERE e.request_id = n.request_id AND e.id < n.id
			AND e.state IN ('pending', 'sending'))
		ORDER BY n.id LIMIT ?`, limit)
	if err != nil {
		return nil, wrap(err, "notification queue", "", "")
	}
	return scanNotifications(rows)
}

// LockNotification reads notification id to change it; ok is false when there is none.
// (PostgreSQL's store also skips a row another transaction holds.)
func (t *Tx) LockNotification(ctx context.Context, id int64) (airlock.QueuedNotification, bool, error) {
	if err := t.writable(); err != nil {
		return airlock.QueuedNotification{}, false, err
	}
	q, err := scanNotification(t.tx.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notification WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return airlock.QueuedNotification{}, false, nil
	}
	if err != nil {
		return airlock.QueuedNotification{}, false, wrap(err, "lock notification", "", "")
	}
	return q, true, nil
}

// UpdateNotification saves q's state, claim, attempts, finish time and last error.
func (t *Tx) UpdateNotification(ctx context.Context, q airlock.QueuedNotification) error {
	if err := t.writable(); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE notification SET state = ?, claimed_by = ?, claimed_at = ?,
		attempts = ?, finished_at = ?, last_error = ? WHERE id = ?`,
		string(q.State), q.ClaimedBy, fmtTimePtr(q.ClaimedAt), q.Attempts, fmtTimePtr(q.FinishedAt), q.LastError, q.ID)
	if err != nil {
		return wrap(err, "update notification", "", "")
	}
	return mustAffect(res, "update notification", fmt.Sprintf("Notification %d not found.", q.ID))
}

// ListNotifications returns request id's notifications (every request's for ""), in
// commit order.
func (t *Tx) ListNotifications(ctx context.Context, requestID string) ([]airlock.QueuedNotification, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+notificationColumns+` FROM notification
		WHERE ? = '' OR request_id = ? ORDER BY id`, requestID, requestID)
	if err != nil {
		return nil, wrap(err, "list notifications", "", "")
	}
	return scanNotifications(rows)
}

// CountNotifications counts the notifications in each state (states without any are
// absent).
func (t *Tx) CountNotifications(ctx context.Context) (map[airlock.NotificationState]int, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT state, COUNT(*) FROM notification GROUP BY state`)
	if err != nil {
		return nil, wrap(err, "count notifications", "", "")
	}
	defer rows.Close()
	out := map[airlock.NotificationState]int{}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, wrap(err, "count notifications", "", "")
		}
		out[airlock.NotificationState(state)] = n
	}
	return out, wrap(rows.Err(), "count notifications", "", "")
}

func scanNotifications(rows *sql.Rows) ([]airlock.QueuedNotification, error) {
	defer rows.Close()
	var out []airlock.QueuedNotification
	for rows.Next() {
		q, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, wrap(rows.Err(), "read notifications", "", "")
}

func scanNotification(r rowScanner) (airlock.QueuedNotification, error) {
	var q airlock.QueuedNotification
	var note, state, created string
	var claimed, finished sql.NullString
	if err := r.Scan(&q.ID, &q.RequestID, &q.EventType, &note, &state, &created, &q.ClaimedBy, &claimed,
		&q.Attempts, &finished, &q.LastError); err != nil {
		return q, err
	}
	if err := json.Unmarshal([]byte(note), &q.Note); err != nil {
		return q, fmt.Errorf("sqlite: decode notification %d: %w", q.ID, err)
	}
	q.State = airlock.NotificationState(state)
	var err error
	if q.CreatedAt, err = parseTime(created); err != nil {
		return q, err
	}
	if q.ClaimedAt, err = parseTimePtr(claimed); err != nil {
		return q, err
	}
	if q.FinishedAt, err = parseTimePtr(finished); err != nil {
		return q, err
	}
	return q, nil
}
