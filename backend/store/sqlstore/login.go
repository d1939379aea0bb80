package sqlstore

import (
	"context"
	"time"
)

// Failed logins are auth bookkeeping like sessions: written on the writer outside the
// service's transactions, never audited. The limiter in auth owns what they mean; the store
// only keeps them, one row per failure and key.

// pruneLoginFailures is the most expired failures one RecordLoginFailure removes, so that
// recording a failure stays quick however many have expired; every failure adds at most two
// rows, so pruning keeps up.
const pruneLoginFailures = 500

// RecordLoginFailure stores a failed login at time at under each of keys, and removes
// failures recorded at or before since (at most pruneLoginFailures of them, oldest first), in
// one transaction.
func (s *DB) RecordLoginFailure(ctx context.Context, keys []string, at, since time.Time) error {
	return s.inTx(ctx, func(t *Tx) error {
		for _, k := range keys {
			if _, err := t.c.exec(ctx, `INSERT INTO login_failure (limit_key, failed_at) VALUES (?, ?)`,
				k, fmtTime(at)); err != nil {
				return s.d.errorf("record login failure: %w", err)
			}
		}
		_, err := t.c.exec(ctx, `DELETE FROM login_failure WHERE id IN
			(SELECT id FROM login_failure WHERE failed_at <= ? ORDER BY failed_at LIMIT ?)`,
			fmtTime(since), pruneLoginFailures)
		if err != nil {
			return s.d.errorf("prune login failures: %w", err)
		}
		return nil
	})
}

// LoginFailures returns the times of key's failures after since, newest first, at most limit
// of them.
func (s *DB) LoginFailures(ctx context.Context, key string, since time.Time, limit int) ([]time.Time, error) {
	rows, err := s.read().query(ctx, `SELECT failed_at FROM login_failure
		WHERE limit_key = ? AND failed_at > ? ORDER BY failed_at DESC LIMIT ?`, key, fmtTime(since), limit)
	if err != nil {
		return nil, s.d.errorf("read login failures: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, s.d.errorf("read login failures: %w", err)
		}
		at, err := parseTime(v)
		if err != nil {
			return nil, err
		}
		out = append(out, at)
	}
	if err := rows.Err(); err != nil {
		return nil, s.d.errorf("read login failures: %w", err)
	}
	return out, nil
}

// ClearLoginFailures removes every failure recorded under key.
func (s *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := s.write().exec(ctx, `DELETE FROM login_failure WHERE limit_key = ?`, key); err != nil {
		return s.d.errorf("clear login failures: %w", err)
	}
	return nil
}
