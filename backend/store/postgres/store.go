// Package postgres is the PostgreSQL implementation of service.Store, beside store/sqlite
// and with the same behaviour: the same tables and columns (times as fixed-width UTC text,
// so they round-trip to the nanosecond and sort as text; JSON as text), its own embedded,
// append-only migrations, a hash-chained audit log and the same change counters kept by
// triggers. The SQL itself is store/sqlstore's, shared with store/sqlite; this package
// opens bounded pools through pgx's database/sql driver, keeps PostgreSQL's dialect and
// migrations, and carries what only PostgreSQL has: the live bus between replicas
// (LISTEN/NOTIFY) and claims held across servers (advisory locks).
//
// Write transactions are serialised across every process using the database (several
// `airlock serve` replicas, an operator's command): each takes one transaction-level
// advisory lock first, so the service's read-check-write transactions see what the one
// before them committed, as they do on SQLite's single writer. The audit chain's head is a
// row of its own (audit_head), updated by every append in the writing transaction. No rule
// of the workflow is in SQL: constraints only guard the shape of the data and the one
// active request per author and workspace, as in SQLite.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/trelab/airlock/backend/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys (pg_advisory_xact_lock takes a bigint): one for write transactions,
// one for applying migrations. Both are "airlock" in ASCII with a suffix.
const (
	writeLockKey     int64 = 0x6169726c6f636b01
	migrationLockKey int64 = 0x6169726c6f636b02
)

// Pool sizes: write transactions wait for the write lock on a connection of their own, so
// they get a small pool and readers a larger one; both are bounded so that N replicas stay
// within the server's max_connections (N × (writerConns + readerConns)).
const (
	writerConns = 4
	readerConns = 12
)

// lockTimeout bounds how long a write transaction waits for the write lock (a stuck
// transaction elsewhere fails writes with an error instead of hanging them).
const lockTimeout = 30 * time.Second

// TxPort is service.Tx spelled out (see sqlstore.TxPort).
type TxPort = sqlstore.TxPort

// shared is the SQL both stores run (store/sqlstore), embedded so that its methods are the
// Store's: InTx, View, the sessions, the audit chain, the change queries.
type shared = sqlstore.DB

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	*shared
	url string
}

// dialect is PostgreSQL's spelling of the shared SQL: $n placeholders, real booleans, jsonb
// to read the JSON text, ids through RETURNING, the write lock taken first in every write
// transaction, a claimed row skipped by other claimers (FOR UPDATE SKIP LOCKED), snapshots
// at repeatable read, and the audit chain's head in audit_head, locked by every append
// (FOR UPDATE) and moved in the same transaction, so that ids have no gaps and the head
// says how long the chain must be.
var dialect = sqlstore.Dialect{
	Name:   "postgres",
	Rebind: sqlstore.NumberPlaceholders,
	True:   "true",
	False:  "false",
	JSONText: func(column, key string) string {
		return "(" + column + "::jsonb ->> '" + key + "')"
	},
	ReturningID:   true,
	WriteLock:     fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, writeLockKey),
	ReadTx:        sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead},
	LockRow:       " FOR UPDATE SKIP LOCKED",
	AuditHead:     `SELECT last_id, hash FROM audit_head FOR UPDATE`,
	MoveAuditHead: `UPDATE audit_head SET last_id = ?, hash = ?`,
	AuditSequence: `SELECT last_id FROM audit_head`,
	NewestAuditID: `SELECT last_id FROM audit_head`,
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`,
	MigrationLock: fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, migrationLockKey),
	// SQLSTATE 23505 is unique_violation (a primary key too), 23503 foreign_key_violation.
	IsUnique:     func(err error) bool { return sqlState(err) == "23505" },
	IsForeignKey: func(err error) bool { return sqlState(err) == "23503" },
	IsPrimaryKey: func(err error, table string) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == table+"_pkey"
	},
}

// sqlState is the SQLSTATE of a PostgreSQL error, "" for any other error.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Open connects to the database at url (postgres://… or postgresql://…), applies pending
// migrations and checks both pools. A database migrated by a newer binary is refused
// (*sqlstore.NewerSchemaError) before anything is written.
func Open(dbURL string) (*Store, error) {
	ms, err := sqlstore.Migrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", Redact(dbURL), err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(lockTimeout.Milliseconds(), 10)
	cfg.RuntimeParams["application_name"] = "airlock"
	open := func(n int) *sql.DB {
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return db
	}
	writer := open(writerConns)
	s := &Store{shared: sqlstore.New(dialect, writer, open(readerConns)), url: dbURL}
	if err := sqlstore.Migrate(context.Background(), writer, dialect, ms); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.Ping(context.Background()); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// IsURL reports whether s names a PostgreSQL database (postgres:// or postgresql://).
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns url without its password, for messages and logs.
func Redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "postgres://…"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// URL is the database URL without its password.
func (s *Store) URL() string { return Redact(s.url) }
