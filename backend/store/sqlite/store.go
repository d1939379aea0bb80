// Package sqlite is the SQLite implementation of service.Store: one database file in WAL
// mode, one writer connection, a pool of read-only readers, embedded append-only
// migrations and a hash-chained audit log.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/trelab/airlock/backend/airlock"
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

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	path   string
	writer *sql.DB // one connection: every write transaction is serialised here
	reader *sql.DB // read-only connections for View
}

// Open opens (creating if needed) the database file at path and applies pending
// migrations.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
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

	s := &Store{path: path, writer: writer}
	if err := s.migrate(context.Background()); err != nil {
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
	s.reader = reader
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

// Close closes both pools.
func (s *Store) Close() error {
	var errs []error
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Path is the database file path.
func (s *Store) Path() string { return s.path }

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping writer: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping reader: %w", err)
	}
	return nil
}

// PingRead checks that the database can be read, on a reader connection only: it never
// waits behind the single writer (a long write transaction holds the writer's connection,
// and in WAL mode readers go on reading the last committed state). /healthz uses it.
func (s *Store) PingRead(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlite: read: %w", err)
	}
	return nil
}

// SchemaVersion is the number of the last applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.reader.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in order. File names are NNNN_description.sql.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlite: bad migration file name %q", name)
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("sqlite: read migration %s: %w", name, err)
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migrations must be numbered 1, 2, ... without gaps; found %s", m.name)
		}
	}
	return out, nil
}

// migrate applies pending migrations, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := s.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migration) (err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migration %s: begin: %w", m.name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	if n > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, fmtTime(time.Now())); err != nil {
		return fmt.Errorf("sqlite: migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migration %s: commit: %w", m.name, err)
	}
	return nil
}

// Tx is one transaction; it implements service.Tx (TxPort).
type Tx struct {
	tx       *sql.Tx
	readOnly bool
}

// InTx runs fn in one immediate write transaction. fn's error rolls everything back.
// Calling InTx again from inside fn would wait forever on the single writer connection.
func (s *Store) InTx(ctx context.Context, fn func(TxPort) error) error {
	return s.inTx(ctx, func(t *Tx) error { return fn(t) })
}

func (s *Store) inTx(ctx context.Context, fn func(*Tx) error) (err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(&Tx{tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction on a consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(TxPort) error) error {
	return s.view(ctx, func(t *Tx) error { return fn(t) })
}

func (s *Store) view(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(&Tx{tx: tx, readOnly: true})
}

// errReadOnly is returned by mutations attempted inside View.
var errReadOnly = errors.New("sqlite: write attempted in a read-only transaction")

func (t *Tx) writable() error {
	if t.readOnly {
		return errReadOnly
	}
	return nil
}

// --- errors -----------------------------------------------------------------------------

// notFound is the coded error for a missing row.
func notFound(format string, args ...any) error {
	return airlock.Errorf(airlock.CodeNotFound, format, args...)
}

// isUnique reports a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique ||
			se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

// isForeignKey reports a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	return false
}

// wrap translates a database error at the boundary: no rows → not_found with notFoundMsg,
// a unique/primary key violation → conflict with conflictMsg, anything else an internal
// error prefixed with "sqlite: op". Empty messages disable the translation.
func wrap(err error, op, notFoundMsg, conflictMsg string) error {
	if err == nil {
		return nil
	}
	var ae *airlock.Error
	if errors.As(err, &ae) {
		return err
	}
	if notFoundMsg != "" && errors.Is(err, sql.ErrNoRows) {
		return airlock.WrapError(airlock.CodeNotFound, err, "%s", notFoundMsg)
	}
	if conflictMsg != "" && isUnique(err) {
		return airlock.WrapError(airlock.CodeConflict, err, "%s", conflictMsg)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// mustAffect turns an update or delete that touched no row into not_found.
func mustAffect(res sql.Result, op, notFoundMsg string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if n == 0 {
		return notFound("%s", notFoundMsg)
	}
	return nil
}

// --- values -----------------------------------------------------------------------------

// timeLayout is fixed-width so stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	if t, ok := parseStoredTime(s); ok {
		return t, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// parseStoredTime reads a time in exactly timeLayout's fixed-width form without the
// general parser (aggregates hold a time per file, vote and comment, and time.Parse was a
// tenth of loading one); ok is false for anything else, which parseTime hands to
// time.Parse.
func parseStoredTime(s string) (time.Time, bool) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != '.' || s[29] != 'Z' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	var v [7]int
	for i, f := range [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 29}} {
		n, ok := num(f[0], f[1])
		if !ok {
			return time.Time{}, false
		}
		v[i] = n
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6], time.UTC)
	if t.Day() != v[2] {
		return time.Time{}, false // no such day in that month: time.Parse explains
	}
	return t, true
}

// fmtTimePtr stores nil as NULL.
func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// orNow returns t, or now when t is zero (the store stamps what the caller left unset).
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

func intPtr(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int64)
	return &n
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
