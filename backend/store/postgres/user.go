package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// UpsertUser caches a job-server user record and when it was refreshed.
func (t *Tx) UpsertUser(ctx context.Context, u airlock.User, refreshedAt time.Time) error {
	if err := t.writable(); err != nil {
		return err
	}
	return upsertUser(ctx, t.tx, u, refreshedAt)
}

// GetUser returns a cached user record and when it was refreshed, or not_found.
func (t *Tx) GetUser(ctx context.Context, username string) (airlock.User, time.Time, error) {
	return getUser(ctx, t.tx, username)
}

// UpsertUser caches a user record in its own transaction.
func (s *Store) UpsertUser(ctx context.Context, u airlock.User, refreshedAt time.Time) error {
	return s.inTx(ctx, func(t *Tx) error { return upsertUser(ctx, t.tx, u, refreshedAt) })
}

// GetUser reads a cached user record outside any caller transaction.
func (s *Store) GetUser(ctx context.Context, username string) (u airlock.User, refreshedAt time.Time, err error) {
	err = s.view(ctx, func(t *Tx) error {
		u, refreshedAt, err = getUser(ctx, t.tx, username)
		return err
	})
	return u, refreshedAt, err
}

func upsertUser(ctx context.Context, tx *pgTx, u airlock.User, refreshedAt time.Time) error {
	if u.Username == "" {
		return airlock.Errorf(airlock.CodeInvalid, "A user needs a username.")
	}
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("postgres: encode user %s: %w", u.Username, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO users (username, fullname, data, refreshed_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (username) DO UPDATE SET
			fullname = excluded.fullname, data = excluded.data, refreshed_at = excluded.refreshed_at`,
		u.Username, u.Fullname, string(data), fmtTime(refreshedAt))
	return wrap(err, "upsert user", "", "")
}

func getUser(ctx context.Context, tx *pgTx, username string) (airlock.User, time.Time, error) {
	var data, refreshed string
	err := tx.QueryRowContext(ctx, `SELECT data, refreshed_at FROM users WHERE username = ?`, username).
		Scan(&data, &refreshed)
	if err != nil {
		return airlock.User{}, time.Time{}, wrap(err, "get user", fmt.Sprintf("User %s not found.", username), "")
	}
	var u airlock.User
	if err := json.Unmarshal([]byte(data), &u); err != nil {
		return airlock.User{}, time.Time{}, fmt.Errorf("postgres: decode user %s: %w", username, err)
	}
	at, err := parseTime(refreshed)
	if err != nil {
		return airlock.User{}, time.Time{}, err
	}
	return u, at, nil
}
