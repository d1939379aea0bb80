// Package sqlstore is the SQL that store/sqlite and store/postgres share: every method of
// service.Tx, the sessions and login tokens, the audit chain and its verification, the
// change queries, the migration runner and the row scanning, written once over
// database/sql. What differs between the two databases is a Dialect: how placeholders are
// spelled, the boolean and JSON expressions, how an inserted row's id comes back, how a
// write transaction starts and what it locks, where the audit chain's head is kept, and
// which errors are constraint violations. Each store package keeps what is its own (opening
// its pools, its embedded migrations, SQLite's data_version follower, PostgreSQL's bus and
// claims) and builds its Store on a DB.
//
// The tables and columns are the same in both stores (a test of store/postgres compares
// them), times are fixed-width UTC text and JSON is text, so every query below runs
// unchanged on both but for the Dialect's fragments. No rule of the workflow is here:
// constraints only guard the shape of the data.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/trelab/airlock/backend/airlock"
)

// Dialect is what differs between the databases under the shared SQL. Queries are written
// with ? placeholders; the fields are fixed per store (store/sqlite and store/postgres each
// build one) and never change after New.
type Dialect struct {
	// Name prefixes internal errors ("sqlite", "postgres").
	Name string
	// Rebind rewrites a query's ? placeholders into the database's own ($1, $2, … on
	// PostgreSQL: NumberPlaceholders); nil keeps them.
	Rebind func(query string) string
	// True and False are the boolean literals as the schema's partial indexes need them:
	// SQLite uses its index on "uploaded = 0" only for a query that says the same (1 and
	// 0); PostgreSQL reads "uploaded = false" as its index's "NOT uploaded".
	True, False string
	// JSONText is an expression reading key of the JSON text in column as text.
	JSONText func(column, key string) string
	// ReturningID: an inserted row's id comes back through INSERT … RETURNING id;
	// otherwise through the driver's LastInsertId.
	ReturningID bool

	// WriteLock runs first in every write transaction (PostgreSQL: the advisory lock that
	// serialises writers across processes); empty when the connection's BEGIN already takes
	// the write lock (SQLite's writer begins IMMEDIATE).
	WriteLock string
	// ReadTx are the options of View's read-only snapshot transactions.
	ReadTx sql.TxOptions
	// LockRow ends a SELECT of one row that a write transaction is about to change, so that
	// a concurrent transaction skips it instead of waiting (PostgreSQL: FOR UPDATE SKIP
	// LOCKED); empty where the write lock already keeps every other writer out.
	LockRow string

	// AuditHead reads the audit chain's head in the writing transaction: the highest id
	// ever given out and the hash of the newest row ("" when there is none), locking it
	// against other writers where the write lock does not already.
	AuditHead string
	// MoveAuditHead, when not empty, stores the new head (id, hash) after an append.
	MoveAuditHead string
	// AuditSequence is the highest audit id ever given out (VerifyAudit: rows removed from
	// the end of the chain show as missing ids).
	AuditSequence string
	// NewestAuditID is the id of the newest audit event, 0 when there is none.
	NewestAuditID string

	// MigrationsTable creates the schema_migrations table if it is missing.
	MigrationsTable string
	// MigrationLock, when not empty, runs first in every migration's transaction
	// (PostgreSQL: an advisory lock, so replicas starting together migrate once).
	MigrationLock string

	// IsUnique, IsForeignKey and IsPrimaryKey classify constraint violations; IsPrimaryKey
	// is told the table whose primary key is in question.
	IsUnique     func(error) bool
	IsForeignKey func(error) bool
	IsPrimaryKey func(err error, table string) bool
}

// DB is a store over a writer pool and a reader pool: the shared part of store/sqlite's
// and store/postgres's Store, which embed it. It is safe for concurrent use.
type DB struct {
	d      *Dialect
	writer *sql.DB // write transactions, and the single-statement session writes
	reader *sql.DB // View and the single-statement reads
}

// New returns a DB on the two pools (which may be one and the same); Close closes both.
func New(d Dialect, writer, reader *sql.DB) *DB {
	return &DB{d: &d, writer: writer, reader: reader}
}

// Close closes both pools.
func (s *DB) Close() error {
	var errs []error
	if s.reader != nil && s.reader != s.writer {
		errs = append(errs, s.reader.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return s.d.errorf("close: %w", err)
	}
	return nil
}

// Ping checks that both pools can reach the database.
func (s *DB) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return s.d.errorf("ping writer: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return s.d.errorf("ping reader: %w", err)
	}
	return nil
}

// PingRead checks that the database can be read, on a reader connection only: it never
// waits behind a writer. /healthz uses it.
func (s *DB) PingRead(ctx context.Context) error {
	var one int
	if err := s.read().queryRow(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return s.d.errorf("read: %w", err)
	}
	return nil
}

// SchemaVersion is the number of the last applied migration.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.read().queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, s.d.errorf("schema version: %w", err)
	}
	return v, nil
}

// Tx is one transaction; it implements service.Tx (TxPort).
type Tx struct {
	c        conn
	readOnly bool
}

// InTx runs fn in one write transaction holding the write lock. fn's error rolls
// everything back. Calling InTx again from inside fn would wait for the lock it holds.
func (s *DB) InTx(ctx context.Context, fn func(TxPort) error) error {
	return s.inTx(ctx, func(t *Tx) error { return fn(t) })
}

func (s *DB) inTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return s.d.errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	t := &Tx{c: conn{q: tx, d: s.d}}
	if s.d.WriteLock != "" {
		if _, err := tx.ExecContext(ctx, s.d.WriteLock); err != nil {
			_ = tx.Rollback()
			return s.d.errorf("take the write lock: %w", err)
		}
	}
	if err := fn(t); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.d.errorf("commit: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction on a consistent snapshot.
func (s *DB) View(ctx context.Context, fn func(TxPort) error) error {
	return s.view(ctx, func(t *Tx) error { return fn(t) })
}

func (s *DB) view(ctx context.Context, fn func(*Tx) error) error {
	opts := s.d.ReadTx
	tx, err := s.reader.BeginTx(ctx, &opts)
	if err != nil {
		return s.d.errorf("begin read: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(&Tx{c: conn{q: tx, d: s.d}, readOnly: true})
}

// errReadOnly is returned by mutations attempted inside View.
var errReadOnly = errors.New("store: write attempted in a read-only transaction")

func (t *Tx) writable() error {
	if t.readOnly {
		return errReadOnly
	}
	return nil
}

// write and read are single statements on a pool, outside any transaction.
func (s *DB) write() conn { return conn{q: s.writer, d: s.d} }
func (s *DB) read() conn  { return conn{q: s.reader, d: s.d} }

// --- connections ------------------------------------------------------------------------

// querier is a *sql.Tx or a *sql.DB.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs the shared queries, written with ? placeholders, in the dialect's spelling.
type conn struct {
	q querier
	d *Dialect
}

func (c conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if c.d.Rebind != nil {
		q = c.d.Rebind(q)
	}
	return c.q.ExecContext(ctx, q, args...)
}

func (c conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if c.d.Rebind != nil {
		q = c.d.Rebind(q)
	}
	return c.q.QueryContext(ctx, q, args...)
}

func (c conn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if c.d.Rebind != nil {
		q = c.d.Rebind(q)
	}
	return c.q.QueryRowContext(ctx, q, args...)
}

// insertID runs an INSERT of one row and returns the row's id.
func (c conn) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	if c.d.ReturningID {
		var id int64
		err := c.queryRow(ctx, q+` RETURNING id`, args...).Scan(&id)
		return id, err
	}
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// --- errors -----------------------------------------------------------------------------

// errorf is an internal error prefixed with the dialect's name.
func (d *Dialect) errorf(format string, args ...any) error {
	return fmt.Errorf(d.Name+": "+format, args...)
}

func (c conn) errorf(format string, args ...any) error { return c.d.errorf(format, args...) }

// notFound is the coded error for a missing row.
func notFound(format string, args ...any) error {
	return airlock.Errorf(airlock.CodeNotFound, format, args...)
}

// wrap translates a database error at the boundary: no rows → not_found with notFoundMsg,
// a unique/primary key violation → conflict with conflictMsg, anything else an internal
// error prefixed with the dialect's name and op. Empty messages disable the translation.
func (c conn) wrap(err error, op, notFoundMsg, conflictMsg string) error {
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
	if conflictMsg != "" && c.d.IsUnique(err) {
		return airlock.WrapError(airlock.CodeConflict, err, "%s", conflictMsg)
	}
	return c.errorf("%s: %w", op, err)
}

// mustAffect turns an update or delete that touched no row into not_found.
func (c conn) mustAffect(res sql.Result, op, notFoundMsg string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return c.errorf("%s: %w", op, err)
	}
	if n == 0 {
		return notFound("%s", notFoundMsg)
	}
	return nil
}
