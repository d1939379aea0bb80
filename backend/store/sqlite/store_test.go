package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trelab/airlock/backend/store/sqlite"
	"github.com/trelab/airlock/backend/store/storetest"
)

func TestOpenMigratesFromEmptyAndReopens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub dir?#%", "airlock.sqlite3")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want >= 1", v, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	insertRequest(t, s, newRequest("r1", "ws", "alice"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not at the given path: %v", err)
	}

	// Re-opening applies nothing twice and keeps the data.
	s2, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("re-Open: %v", err)
	}
	defer s2.Close()
	v2, err := s2.SchemaVersion(ctx)
	if err != nil || v2 != v {
		t.Fatalf("SchemaVersion after reopen = %d, %v; want %d", v2, err, v)
	}
	if r := getRequest(t, s2, "r1"); r.Author != "alice" {
		t.Fatalf("request lost across reopen: %+v", r)
	}

	db := rawDB(t, path)
	var n, distinct int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != v || distinct != v {
		t.Fatalf("schema_migrations has %d rows (%d distinct), want %d", n, distinct, v)
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenRejectsEmptyPath(t *testing.T) {
	if _, err := sqlite.Open(""); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
}

// The store contract (backend/store/storetest), on a fresh SQLite file per test.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB) storetest.DB {
		s, path := openStore(t)
		return storetest.DB{
			Store: s,
			Raw:   rawDB(t, path),
			Again: func(t testing.TB) storetest.Store {
				other, err := sqlite.Open(path)
				if err != nil {
					t.Fatalf("Open again: %v", err)
				}
				t.Cleanup(func() { _ = other.Close() })
				return other
			},
			Reopen:          func() (storetest.Store, error) { return sqlite.Open(path) },
			DropAuditGuards: []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`},
		}
	})
}
