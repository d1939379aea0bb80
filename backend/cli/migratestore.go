package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/trelab/airlock/backend/store/postgres"
	"github.com/trelab/airlock/backend/store/sqlite"
)

// migrateTables are the tables migrate-store copies, parents before children (the foreign
// keys hold at every row). The stores' schemas have the same tables and columns (a test of
// store/postgres compares them); each keeps its own schema_migrations. audit_head and
// change_counters are PostgreSQL's bookkeeping and are set after the copy.
var migrateTables = []string{
	"users", "requests", "file_groups", "request_files", "file_reviews", "comments",
	"audit_log", "sessions", "login_tokens", "login_failure", "notification",
}

// migrateStore copies the SQLite database of the data directory into an empty PostgreSQL
// database (docs/operations.md, "Moving from SQLite to PostgreSQL"): in one transaction,
// with every table's count compared before the commit and the audit chain verified after.
func migrateStore(ctx context.Context, env *Env, args []string) error {
	s, rest, err := commandSettings(env, "migrate-store", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("airlock migrate-store takes no arguments (got %q): %w", rest[0], errUsage)
	}
	target := postgresURL(s)
	if target == "" {
		return fmt.Errorf("airlock migrate-store needs --database postgres://… (the empty PostgreSQL database to copy into): %w", errUsage)
	}
	source := filepath.Join(s.DataDir, DatabaseFile)
	// Opening the SQLite store brings its schema up to date (the copy reads every column).
	st, err := sqlite.Open(source)
	if err != nil {
		return fmt.Errorf("database %s: %w", source, err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	src, err := sql.Open("sqlite3", "file:"+source+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return err
	}
	defer src.Close()
	// Creating the PostgreSQL store applies its migrations.
	pg, err := postgres.Open(target)
	if err != nil {
		return err
	}
	defer pg.Close()
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(context.Background())

	// One read transaction on SQLite: a consistent snapshot even if a command writes.
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer stx.Rollback()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if err := refuseNonEmpty(ctx, tx); err != nil {
		return err
	}
	for _, table := range migrateTables {
		n, err := copyTable(ctx, stx, tx, table)
		if err != nil {
			return fmt.Errorf("copying %s: %w", table, err)
		}
		var got int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("copying %s: %d rows in SQLite, %d in PostgreSQL; nothing was committed", table, n, got)
		}
		fmt.Fprintf(env.Stdout, "%-14s %d rows\n", table, n)
	}
	if err := setBookkeeping(ctx, stx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing the copy: %w", err)
	}
	checked, bad, err := pg.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("verifying the audit log on PostgreSQL: %w", err)
	}
	if bad != 0 {
		return fmt.Errorf("the audit log copied to PostgreSQL does not verify: event %d does not match the chain (%d events checked)", bad, checked)
	}
	fmt.Fprintf(env.Stdout, "copied into %s; audit log intact: %d events checked\n", pg.URL(), checked)
	return nil
}

// refuseNonEmpty refuses a target that holds anything a server or a command wrote.
func refuseNonEmpty(ctx context.Context, tx pgx.Tx) error {
	var held []string
	for _, table := range migrateTables {
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%d %s", n, strings.ReplaceAll(table, "_", " ")))
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("the PostgreSQL database is not empty (it holds %s): migrate-store copies into an empty database only", strings.Join(held, ", "))
	}
	return nil
}

// copyTable streams every row of table from SQLite into PostgreSQL (COPY), converting what
// the two stores keep differently (SQLite's 0/1 flags are PostgreSQL booleans), and moves
// the table's id sequence past the copied ids. It returns the number of rows copied.
func copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, table string) (int64, error) {
	rows, err := dst.Query(ctx, `SELECT column_name, data_type, is_identity FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return 0, err
	}
	var cols, types []string
	identity := ""
	for rows.Next() {
		var c, t, ident string
		if err := rows.Scan(&c, &t, &ident); err != nil {
			return 0, err
		}
		cols, types = append(cols, c), append(types, t)
		if ident == "YES" {
			identity = c
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(cols) == 0 {
		return 0, fmt.Errorf("PostgreSQL has no table %s", table)
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
	}
	srows, err := src.QueryContext(ctx, "SELECT "+strings.Join(quoted, ", ")+" FROM "+table)
	if err != nil {
		return 0, fmt.Errorf("reading SQLite: %w", err)
	}
	defer srows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var convErr error
	n, err := dst.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if !srows.Next() {
			return nil, srows.Err()
		}
		if err := srows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			if out[i], convErr = convert(v, types[i]); convErr != nil {
				return nil, fmt.Errorf("column %s: %w", cols[i], convErr)
			}
		}
		return out, nil
	}))
	if err != nil {
		return 0, err
	}
	if identity != "" {
		// The next id follows the largest copied, or SQLite's sequence when it is further
		// on (ids of deleted rows are never given again).
		next := int64(0)
		if err := dst.QueryRow(ctx, fmt.Sprintf(`SELECT COALESCE(MAX(%q), 0) FROM %s`, identity, table)).Scan(&next); err != nil {
			return 0, err
		}
		var seq sql.NullInt64
		if err := src.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq); err != nil && !errors.Is(err, sql.ErrNoRows) {
			if !strings.Contains(err.Error(), "no such table") {
				return 0, err
			}
		}
		next = max(next, seq.Int64)
		if next > 0 {
			if _, err := dst.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), $3)`, table, identity, next); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// convert turns a value read from SQLite into what PostgreSQL's column of type typ takes.
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		}
	case "bigint", "integer", "smallint":
		if x, ok := v.(int64); ok {
			return x, nil
		}
	case "text":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	}
	return nil, fmt.Errorf("cannot copy a %T into a %s column", v, typ)
}

// setBookkeeping moves PostgreSQL's chain head to the last copied audit event and its change
// counters to SQLite's.
func setBookkeeping(ctx context.Context, src *sql.Tx, dst pgx.Tx) error {
	var id int64
	var hash string
	err := dst.QueryRow(ctx, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&id, &hash)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return err
	default:
		if _, err := dst.Exec(ctx, `UPDATE audit_head SET last_id = $1, hash = $2`, id, hash); err != nil {
			return fmt.Errorf("moving the audit chain's head: %w", err)
		}
	}
	rows, err := src.QueryContext(ctx, `SELECT name, n FROM change_counters`)
	if err != nil {
		return fmt.Errorf("reading SQLite's change counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		if _, err := dst.Exec(ctx, `INSERT INTO change_counters (name, n) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET n = GREATEST(change_counters.n, EXCLUDED.n)`, name, n); err != nil {
			return fmt.Errorf("setting the change counter %s: %w", name, err)
		}
	}
	return rows.Err()
}
