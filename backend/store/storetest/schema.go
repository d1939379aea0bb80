package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/trelab/airlock/backend/store/sqlstore"
)

// A database that a newer binary migrated (its schema_migrations holds a version this
// binary does not have) is refused on open, with one line naming both versions and saying
// what to do, and nothing is written: not a migration, not a row.
func testRefusesANewerSchema(t *testing.T, open Opener) {
	d := open(t)
	insertRequest(t, d.Store, newRequest("r1", "ws", "alice"))
	v, err := d.Store.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	future := fmt.Sprintf("%04d_from_a_newer_release.sql", v+1)
	if _, err := d.Raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		v+1, future, "2031-01-01T00:00:00.000000000Z"); err != nil {
		t.Fatal(err)
	}
	// Forget the binary's own last migration too: a store that did not refuse would apply
	// it again (a write), so its absence afterwards shows that nothing ran.
	if _, err := d.Raw.Exec(`DELETE FROM schema_migrations WHERE version = $1`, v); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, d)

	s, err := d.Reopen()
	if err == nil {
		_ = s.Close()
		t.Fatal("a store opened a database migrated by a newer binary")
	}
	var newer *sqlstore.NewerSchemaError
	if !errors.As(err, &newer) {
		t.Fatalf("refusal is %T (%v), want a *sqlstore.NewerSchemaError", err, err)
	}
	if newer.Database != v+1 || newer.Binary != v || newer.Name != future {
		t.Fatalf("refusal names database %d (%s) and binary %d; want %d (%s) and %d",
			newer.Database, newer.Name, newer.Binary, v+1, future, v)
	}
	msg := err.Error()
	for _, want := range []string{fmt.Sprintf("schema version %d", v+1), fmt.Sprintf("up to %d", v), future,
		"upgrade this binary", "nothing was changed"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("refusal is more than one line: %q", msg)
	}
	if after := snapshot(t, d); !reflect.DeepEqual(after, before) {
		t.Fatalf("the refused open wrote to the database:\nbefore %v\n after %v", before, after)
	}
}

// snapshot is what a refused open must leave as it was: the migrations applied and the
// number of rows of the tables a store writes.
func snapshot(t *testing.T, d DB) []string {
	t.Helper()
	var out []string
	rows, err := d.Raw.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var name, at string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s", v, name, at))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"requests", "audit_log", "sessions", "users"} {
		var n int
		if err := d.Raw.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s: %d rows", table, n))
	}
	return out
}
