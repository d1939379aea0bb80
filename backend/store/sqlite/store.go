// Package sqlite is the SQLite implementation of service.Store: one database file in WAL
// mode, one writer connection, a pool of read-only readers, embedded append-only
// migrations and a hash-chained audit log. The SQL itself is store/sqlstore's, shared with
// store/postgres; this package opens the file, keeps SQLite's dialect and its migrations,
// and follows changes other processes commit (DataVersion, Follower).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/trelab/airlock/backend/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeoutMS is how long a connection waits for a lock held by another connection (or
// another process, such as an operator command) before failing with SQLITE_BUSY.
const busyTimeoutMS = 10000

// stmtCacheSize is how many prepared statements each connection keeps for reuse: the
// store's queries are fixed strings, and preparing them again took a third of the time of
// a small write transaction.
const stmtCacheSize = 64

// readerConns is the size of the read-only connection pool for View.
const readerConns = 8

// TxPort is service.Tx spelled out (see sqlstore.TxPort).
type TxPort = sqlstore.TxPort

// shared is the SQL both stores run (store/sqlstore), embedded so that its methods are the
// Store's: InTx, View, the sessions, the audit chain, the change queries.
type shared = sqlstore.DB

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	*shared
	path   string
	writer *sql.DB // one connection: every write transaction is serialised here
}

// dialect is SQLite's spelling of the shared SQL. The writer's transactions begin
// IMMEDIATE (WriterDSN), which takes the database's write lock, so nothing more is locked;
// the audit chain's head is the newest row, and the highest id ever given out is in
// sqlite_sequence (audit_log is AUTOINCREMENT).
var dialect = sqlstore.Dialect{
	Name:  "sqlite",
	True:  "1",
	False: "0",
	JSONText: func(column, key string) string {
		return "json_extract(" + column + ", '$." + key + "')"
	},
	ReadTx: sql.TxOptions{ReadOnly: true},
	AuditHead: `SELECT (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'audit_log'),
		COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '')`,
	AuditSequence: `SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'audit_log'`,
	NewestAuditID: `SELECT COALESCE(MAX(id), 0) FROM audit_log`,
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`,
	IsUnique: func(err error) bool {
		code, ok := constraintCode(err)
		return ok && (code == sqlite3.ErrConstraintUnique || code == sqlite3.ErrConstraintPrimaryKey)
	},
	IsForeignKey: func(err error) bool {
		code, ok := constraintCode(err)
		return ok && code == sqlite3.ErrConstraintForeignKey
	},
	IsPrimaryKey: func(err error, _ string) bool {
		code, ok := constraintCode(err)
		return ok && code == sqlite3.ErrConstraintPrimaryKey
	},
}

// constraintCode is the extended result code of a SQLite error.
func constraintCode(err error) (sqlite3.ErrNoExtended, bool) {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode, true
	}
	return 0, false
}

// migrations lists the embedded migrations in order.
func migrations() ([]sqlstore.Migration, error) {
	ms, err := sqlstore.Migrations(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// Open opens (creating if needed) the database file at path and applies pending
// migrations. A database migrated by a newer binary is refused (*sqlstore.NewerSchemaError)
// before anything is written.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	uri := "file:" + escapePath(path)
	writer, err := sql.Open("sqlite3", WriterDSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := sqlstore.Migrate(context.Background(), writer, dialect, ms); err != nil {
		_ = writer.Close()
		return nil, err
	}

	reader, err := sql.Open("sqlite3", uri+fmt.Sprintf(
		"?_busy_timeout=%d&_foreign_keys=on&_txlock=deferred&_query_only=true&_stmt_cache_size=%d",
		busyTimeoutMS, stmtCacheSize))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// As many idle connections as open ones: under load, a connection closed for want of
	// an idle slot is opened again moments later, paying the open (files, locks, schema)
	// and losing its cached statements.
	reader.SetMaxOpenConns(readerConns)
	reader.SetMaxIdleConns(readerConns)
	s := &Store{shared: sqlstore.New(dialect, writer, reader), path: path, writer: writer}
	if err := s.Ping(context.Background()); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// WriterDSN is the data source name (mattn/go-sqlite3) of the store's writer connection for
// the database file at path: WAL, foreign keys, synchronous=NORMAL, immediate transactions,
// the busy timeout and the statement cache. Benchmarks open their baselines with it, so
// that both sides run with the same driver and pragmas.
func WriterDSN(path string) string {
	return "file:" + escapePath(path) + fmt.Sprintf(
		"?_busy_timeout=%d&_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=%d",
		busyTimeoutMS, stmtCacheSize)
}

// escapePath makes a file path safe inside a file: URI.
func escapePath(p string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return r.Replace(p)
}

// Path is the database file path.
func (s *Store) Path() string { return s.path }

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
