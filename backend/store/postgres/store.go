// Package postgres is the PostgreSQL implementation of service.Store, beside store/sqlite
// and with the same behaviour: the same tables and columns (times as fixed-width UTC text,
// so they round-trip to the nanosecond and sort as text; JSON as text), its own embedded,
// append-only migrations, a hash-chained audit log and the same change counters kept by
// triggers. It talks to the server through pgx's database/sql driver with bounded pools.
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
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/trelab/airlock/backend/airlock"
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

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	url    string
	writer *pool
	reader *pool
}

// Open connects to the database at url (postgres://… or postgresql://…), applies pending
// migrations and checks both pools.
func Open(dbURL string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", Redact(dbURL), err)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(lockTimeout.Milliseconds(), 10)
	cfg.RuntimeParams["application_name"] = "airlock"
	open := func(n int) *pool {
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxIdleTime(5 * time.Minute)
		return &pool{db}
	}
	s := &Store{url: dbURL, writer: open(writerConns), reader: open(readerConns)}
	if err := s.migrate(context.Background()); err != nil {
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
		return fmt.Errorf("postgres: close: %w", err)
	}
	return nil
}

// URL is the database URL without its password.
func (s *Store) URL() string { return Redact(s.url) }

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("postgres: ping writer: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("postgres: ping reader: %w", err)
	}
	return nil
}

// PingRead checks that the database can be read, on a reader connection: it never waits
// behind the write lock. /healthz uses it.
func (s *Store) PingRead(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("postgres: read: %w", err)
	}
	return nil
}

// SchemaVersion is the number of the last applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.reader.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
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
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
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
			return nil, fmt.Errorf("postgres: bad migration file name %q", name)
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %s: %w", name, err)
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("postgres: migrations must be numbered 1, 2, ... without gaps; found %s", m.name)
		}
	}
	return out, nil
}

// migrate applies pending migrations, each in its own transaction holding the migration
// lock, so that replicas started together apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
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
		return fmt.Errorf("postgres: migration %s: begin: %w", m.name, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
		return fmt.Errorf("postgres: migration %s: lock: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY NOT NULL,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("postgres: migration %s: %w", m.name, err)
	}
	if n > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("postgres: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, fmtTime(time.Now())); err != nil {
		return fmt.Errorf("postgres: migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: migration %s: commit: %w", m.name, err)
	}
	return nil
}

// Tx is one transaction; it implements service.Tx (TxPort).
type Tx struct {
	tx       *pgTx
	readOnly bool
}

// InTx runs fn in one write transaction holding the write lock. fn's error rolls
// everything back. Calling InTx again from inside fn would wait for the lock it holds.
func (s *Store) InTx(ctx context.Context, fn func(TxPort) error) error {
	return s.inTx(ctx, func(t *Tx) error { return fn(t) })
}

func (s *Store) inTx(ctx context.Context, fn func(*Tx) error) (err error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("postgres: take the write lock: %w", err)
	}
	if err := fn(&Tx{tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction on a consistent snapshot (repeatable read).
func (s *Store) View(ctx context.Context, fn func(TxPort) error) error {
	return s.view(ctx, func(t *Tx) error { return fn(t) })
}

func (s *Store) view(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return fmt.Errorf("postgres: begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(&Tx{tx: tx, readOnly: true})
}

// errReadOnly is returned by mutations attempted inside View.
var errReadOnly = errors.New("postgres: write attempted in a read-only transaction")

func (t *Tx) writable() error {
	if t.readOnly {
		return errReadOnly
	}
	return nil
}

// --- connections ------------------------------------------------------------------------

// The store's queries are written with ? placeholders, as store/sqlite's are, and turned
// into PostgreSQL's $1, $2, … once per query text.

// pool is a connection pool whose queries take ? placeholders.
type pool struct{ *sql.DB }

func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return p.DB.ExecContext(ctx, rebind(q), args...)
}

func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return p.DB.QueryContext(ctx, rebind(q), args...)
}

func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return p.DB.QueryRowContext(ctx, rebind(q), args...)
}

func (p *pool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*pgTx, error) {
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pgTx{tx}, nil
}

// pgTx is a transaction whose queries take ? placeholders.
type pgTx struct{ tx *sql.Tx }

func (t *pgTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, rebind(q), args...)
}

func (t *pgTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, rebind(q), args...)
}

func (t *pgTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, rebind(q), args...)
}

func (t *pgTx) Commit() error   { return t.tx.Commit() }
func (t *pgTx) Rollback() error { return t.tx.Rollback() }

var rebound sync.Map // query text with ? → with $n

// rebind numbers the ? placeholders of q outside quoted text: the store's queries are
// fixed strings (or built from fixed parts), so each is rewritten once.
func rebind(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}

// --- errors -----------------------------------------------------------------------------

// notFound is the coded error for a missing row.
func notFound(format string, args ...any) error {
	return airlock.Errorf(airlock.CodeNotFound, format, args...)
}

// isUnique reports a UNIQUE or PRIMARY KEY violation (SQLSTATE 23505).
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isForeignKey reports a FOREIGN KEY violation (SQLSTATE 23503).
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// wrap translates a database error at the boundary: no rows → not_found with notFoundMsg,
// a unique/primary key violation → conflict with conflictMsg, anything else an internal
// error prefixed with "postgres: op". Empty messages disable the translation.
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
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// mustAffect turns an update or delete that touched no row into not_found.
func mustAffect(res sql.Result, op, notFoundMsg string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if n == 0 {
		return notFound("%s", notFoundMsg)
	}
	return nil
}

// --- values -----------------------------------------------------------------------------

// timeLayout is fixed-width so stored times sort as text (the columns compare bytes,
// COLLATE "C"). PostgreSQL's timestamps keep microseconds; the domain's times have
// nanoseconds and must round-trip exactly, as they do on SQLite.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
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
