package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one embedded migration file, NNNN_description.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the migrations in folder dir of fsys in order; they must be numbered
// 1, 2, … without gaps.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("bad migration file name %q", name)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 1, 2, ... without gaps; found %s", m.Name)
		}
	}
	return out, nil
}

// NewerSchemaError is the refusal to open a database that a newer binary has migrated: it
// holds a migration this binary does not know, whose tables and rules this binary would
// not keep. Nothing was written.
type NewerSchemaError struct {
	Store    string // "sqlite", "postgres"
	Database int    // the newest migration applied to the database
	Name     string // its file name
	Binary   int    // the newest migration this binary has
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("%s: the database is at schema version %d (%s) but this binary knows versions up to %d: "+
		"a newer airlock has migrated it; upgrade this binary to that release or later (nothing was changed)",
		e.Store, e.Database, e.Name, e.Binary)
}

// Migrate applies the pending migrations of ms to the database on db, each in its own
// transaction (holding the dialect's migration lock, if any), after checking that the
// database holds no migration newer than ms's last: that is refused with a
// *NewerSchemaError before anything is written.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, ms []Migration) error {
	for _, m := range ms {
		if err := applyMigration(ctx, db, &d, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, d *Dialect, m Migration, known int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return d.errorf("migration %s: begin: %w", m.Name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	c := conn{q: tx, d: d}
	if d.MigrationLock != "" {
		if _, err := c.exec(ctx, d.MigrationLock); err != nil {
			return d.errorf("migration %s: lock: %w", m.Name, err)
		}
	}
	if _, err := c.exec(ctx, d.MigrationsTable); err != nil {
		return d.errorf("create schema_migrations: %w", err)
	}
	var newest int
	var newestName string
	err = c.queryRow(ctx, `SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1`).
		Scan(&newest, &newestName)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return d.errorf("migration %s: %w", m.Name, err)
	}
	if newest > known {
		return &NewerSchemaError{Store: d.Name, Database: newest, Name: newestName, Binary: known}
	}
	var n int
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return d.errorf("migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return d.errorf("migration %s: %w", m.Name, err)
	}
	if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, fmtTime(time.Now())); err != nil {
		return d.errorf("migration %s: record: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return d.errorf("migration %s: commit: %w", m.Name, err)
	}
	return nil
}
