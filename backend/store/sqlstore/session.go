package sqlstore

import (
	"context"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// Sessions and login tokens are auth bookkeeping: single statements on the writer, outside
// the service's transactions, never audited. Only hashes of session ids and login tokens
// are stored.

// CreateSession starts a login's session in one write transaction: it stores the user's
// record (refreshed at createdAt) and the session by the hash of its id, purging expired
// sessions on the way. One transaction, not two: a login waits for the single writer once.
func (s *DB) CreateSession(ctx context.Context, u airlock.User, idHash, csrfToken string, createdAt, expiresAt time.Time) error {
	return s.inTx(ctx, func(t *Tx) error {
		if err := upsertUser(ctx, t.c, u, createdAt); err != nil {
			return err
		}
		if _, err := t.c.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`,
			fmtTime(createdAt)); err != nil {
			return t.c.errorf("purge sessions: %w", err)
		}
		_, err := t.c.exec(ctx, `INSERT INTO sessions
			(id_hash, username, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			idHash, u.Username, csrfToken, fmtTime(createdAt), fmtTime(expiresAt))
		return t.c.wrap(err, "create session", "", "Session already exists.")
	})
}

// GetSession returns a session's user, CSRF token and expiry, or not_found. Expiry is the
// caller's to check.
func (s *DB) GetSession(ctx context.Context, idHash string) (username, csrfToken string, expiresAt time.Time, err error) {
	var exp string
	err = s.read().queryRow(ctx, `SELECT username, csrf_token, expires_at FROM sessions
		WHERE id_hash = ?`, idHash).Scan(&username, &csrfToken, &exp)
	if err != nil {
		return "", "", time.Time{}, s.read().wrap(err, "get session", "Session not found.", "")
	}
	if expiresAt, err = parseTime(exp); err != nil {
		return "", "", time.Time{}, err
	}
	return username, csrfToken, expiresAt, nil
}

// TouchSession moves a session's expiry, or returns not_found.
func (s *DB) TouchSession(ctx context.Context, idHash string, expiresAt time.Time) error {
	res, err := s.write().exec(ctx, `UPDATE sessions SET expires_at = ? WHERE id_hash = ?`,
		fmtTime(expiresAt), idHash)
	if err != nil {
		return s.d.errorf("touch session: %w", err)
	}
	return s.write().mustAffect(res, "touch session", "Session not found.")
}

// DeleteSession removes a session; removing an unknown one is not an error (logout is
// idempotent).
func (s *DB) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.write().exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return s.d.errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of a user (job-server took their access away),
// and their unused login tokens; it reports how many sessions there were.
func (s *DB) DeleteUserSessions(ctx context.Context, username string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(t *Tx) error {
		res, err := t.c.exec(ctx, `DELETE FROM sessions WHERE username = ?`, username)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = t.c.exec(ctx, `DELETE FROM login_tokens WHERE username = ?`, username)
		return err
	})
	if err != nil {
		return 0, s.d.errorf("delete sessions of %s: %w", username, err)
	}
	return int(n), nil
}

// InsertLoginToken stores the hash of a single-use login token.
func (s *DB) InsertLoginToken(ctx context.Context, username, tokenHash string, expiresAt time.Time) error {
	_, err := s.write().exec(ctx, `INSERT INTO login_tokens (token_hash, username, expires_at)
		VALUES (?, ?, ?)`, tokenHash, username, fmtTime(expiresAt))
	return s.write().wrap(err, "insert login token", "", "Login token already exists.")
}

// ConsumeLoginToken uses up a login token: true when the token existed for that user and
// had not expired at now. The token is gone afterwards either way, so it works once;
// expired tokens are purged on the way.
func (s *DB) ConsumeLoginToken(ctx context.Context, username, tokenHash string, now time.Time) (bool, error) {
	var ok bool
	err := s.inTx(ctx, func(t *Tx) error {
		res, err := t.c.exec(ctx, `DELETE FROM login_tokens
			WHERE token_hash = ? AND username = ? AND expires_at > ?`, tokenHash, username, fmtTime(now))
		if err != nil {
			return t.c.errorf("consume login token: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return t.c.errorf("consume login token: %w", err)
		}
		ok = n == 1
		if _, err := t.c.exec(ctx, `DELETE FROM login_tokens WHERE expires_at <= ? OR token_hash = ?`,
			fmtTime(now), tokenHash); err != nil {
			return t.c.errorf("purge login tokens: %w", err)
		}
		return nil
	})
	return ok, err
}
