package postgres_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/trelab/airlock/backend/store/sqlite"
)

// The two stores keep the same tables and columns: a SQLite migration without its
// PostgreSQL twin (or the other way round) fails here. PostgreSQL's audit_head (the chain's
// head row) and SQLite's own sqlite_sequence are the only tables of one store alone.
func TestSchemaMatchesSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "airlock.db")
	lite, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = lite.Close()
	ldb, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer ldb.Close()
	want := columns(t, ldb, `SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT IN ('sqlite_sequence')`)

	_, url := openStore(t)
	got := columns(t, rawDB(t, url), `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name NOT IN ('audit_head')`)
	if !slices.Equal(got, want) {
		for _, c := range want {
			if !slices.Contains(got, c) {
				t.Errorf("PostgreSQL lacks %s", c)
			}
		}
		for _, c := range got {
			if !slices.Contains(want, c) {
				t.Errorf("SQLite lacks %s", c)
			}
		}
	}
}

func columns(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
