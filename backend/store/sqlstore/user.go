package sqlstore

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
	return upsertUser(ctx, t.c, u, refreshedAt)
}

// GetUser returns a cached user record and when it was refreshed, or not_found.
func (t *Tx) GetUser(ctx context.Context, username string) (airlock.User, time.Time, error) {
	return getUser(ctx, t.c, username)
}

// UpsertUser caches a user record in its own transaction.
func (s *DB) UpsertUser(ctx context.Context, u airlock.User, refreshedAt time.Time) error {
	return s.inTx(ctx, func(t *Tx) error { return upsertUser(ctx, t.c, u, refreshedAt) })
}

// GetUser reads a cached user record outside any caller transaction.
func (s *DB) GetUser(ctx context.Context, username string) (u airlock.User, refreshedAt time.Time, err error) {
	err = s.view(ctx, func(t *Tx) error {
		u, refreshedAt, err = getUser(ctx, t.c, username)
		return err
	})
	return u, refreshedAt, err
}

func upsertUser(ctx context.Context, cn conn, u airlock.User, refreshedAt time.Time) error {
	if u.Username == "" {
		return airlock.Errorf(airlock.CodeInvalid, "A user needs a username.")
	}
	data, err := json.Marshal(u)
	if err != nil {
		return cn.errorf("encode user %s: %w", u.Username, err)
	}
	_, err = cn.exec(ctx, `INSERT INTO users (username, fullname, data, refreshed_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (username) DO UPDATE SET
			fullname = excluded.fullname, data = excluded.data, refreshed_at = excluded.refreshed_at`,
		u.Username, u.Fullname, string(data), fmtTime(refreshedAt))
	return cn.wrap(err, "upsert user", "", "")
}

func getUser(ctx context.Context, cn conn, username string) (airlock.User, time.Time, error) {
	var data, refreshed string
	err := cn.queryRow(ctx, `SELECT data, refreshed_at FROM users WHERE username = ?`, username).
		Scan(&data, &refreshed)
	if err != nil {
		return airlock.User{}, time.Time{}, cn.wrap(err, "get user", fmt.Sprintf("User %s not found.", username), "")
	}
	var u airlock.User
	if err := json.Unmarshal([]byte(data), &u); err != nil {
		return airlock.User{}, time.Time{}, cn.errorf("decode user %s: %w", username, err)
	}
	at, err := parseTime(refreshed)
	if err != nil {
		return airlock.User{}, time.Time{}, err
	}
	return u, at, nil
}
