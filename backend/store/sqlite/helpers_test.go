package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlite"
	"github.com/trelab/airlock/backend/store/storetest"
)

// The store implements the service's port.
var _ service.Store = (*sqlite.Store)(nil)

// sqlite.TxPort and service.Tx are one type (func types are assignable only when their
// parameter types are identical).
var _ func(func(service.Tx) error) func(sqlite.TxPort) error = func(f func(service.Tx) error) func(sqlite.TxPort) error { return f }

var ctx = context.Background()

// The contract's fixtures (backend/store/storetest), under the names the tests use.
var (
	at            = storetest.At
	newRequest    = storetest.NewRequest
	newFile       = storetest.NewFile
	event         = storetest.Event
	mustEqual     = storetest.MustEqual
	inTx          = storetest.InTx
	view          = storetest.View
	insertRequest = storetest.InsertRequest
	getRequest    = storetest.GetRequest
	listAudit     = storetest.ListAudit
)

// openStore opens a fresh store in a temporary directory.
func openStore(t testing.TB) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "airlock.sqlite3")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

// rawDB opens the database file directly, bypassing the store (for tampering).
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+
		strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
