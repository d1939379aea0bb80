package postgres_test

import (
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/postgres"
	"github.com/trelab/airlock/backend/store/storetest"
)

// The store implements the service's port.
var _ service.Store = (*postgres.Store)(nil)

// postgres.TxPort and service.Tx are one type (func types are assignable only when their
// parameter types are identical).
var _ func(func(service.Tx) error) func(postgres.TxPort) error = func(f func(service.Tx) error) func(postgres.TxPort) error { return f }

func TestMain(m *testing.M) { pgtest.Main(m) }

// openStore opens a store on a fresh database and returns it with the database's URL.
func openStore(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	url := newDatabase(t)
	s, err := postgres.Open(url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, url
}

// newDatabase is a fresh, migrated database.
func newDatabase(t testing.TB) string {
	return pgtest.NewFrom(t, "migrated", func(url string) error {
		s, err := postgres.Open(url)
		if err != nil {
			return err
		}
		return s.Close()
	})
}

// rawDB connects to the database directly, bypassing the store.
func rawDB(t testing.TB, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The store contract (backend/store/storetest), on a fresh PostgreSQL database per test.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t testing.TB) storetest.DB {
		s, url := openStore(t)
		return storetest.DB{
			Store: s,
			Raw:   rawDB(t, url),
			Again: func(t testing.TB) storetest.Store {
				other, err := postgres.Open(url)
				if err != nil {
					t.Fatalf("Open again: %v", err)
				}
				t.Cleanup(func() { _ = other.Close() })
				return other
			},
			Reopen: func() (storetest.Store, error) { return postgres.Open(url) },
			DropAuditGuards: []string{`DROP TRIGGER audit_log_no_update ON audit_log`,
				`DROP TRIGGER audit_log_no_delete ON audit_log`},
		}
	})
}
