package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlite"
)

// The store implements the service's port.
var _ service.Store = (*sqlite.Store)(nil)

// sqlite.TxPort and service.Tx are one type (func types are assignable only when their
// parameter types are identical).
var _ func(func(service.Tx) error) func(sqlite.TxPort) error = func(f func(service.Tx) error) func(sqlite.TxPort) error { return f }

var ctx = context.Background()

// t0 is a fixed UTC time with nanoseconds, to check exact round trips.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

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

func inTx(t testing.TB, s *sqlite.Store, fn func(tx service.Tx) error) {
	t.Helper()
	if err := s.InTx(ctx, fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

func view(t testing.TB, s *sqlite.Store, fn func(tx service.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

func mustEqual(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s differs:\n got: %s\nwant: %s", what, g, w)
	}
}

func event(ty airlock.AuditType, user string, r *airlock.ReleaseRequest, path string, extra map[string]string) airlock.AuditEvent {
	ev := airlock.AuditEvent{Type: ty, User: user, Path: path, Extra: map[string]string{}, CreatedAt: at(time.Minute)}
	for k, v := range extra {
		ev.Extra[k] = v
	}
	if r != nil {
		ev.Workspace, ev.Request = r.Workspace, r.ID
		ev.Extra["review_turn"] = itoa(r.ReviewTurn)
	}
	return ev
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// newRequest is a bare PENDING request.
func newRequest(id, ws, author string) *airlock.ReleaseRequest {
	return &airlock.ReleaseRequest{
		ID: id, Workspace: ws, Project: "project-" + ws, Organisations: []string{"org a", "org,b"},
		Author: author, Status: airlock.StatusPending, CreatedAt: at(0),
		SubmittedReviews: map[string]time.Time{},
	}
}

func newFile(relpath, group string, ft airlock.FileType) *airlock.RequestFile {
	return &airlock.RequestFile{
		RelPath: relpath, Group: group, FileType: ft,
		FileID: "sha-" + relpath, Size: 1234, Timestamp: at(-time.Hour),
		JobID: "job1", Commit: "abc123", Repo: "https://example.invalid/repo",
		RowCount: ptr(10), ColCount: ptr(3),
		Reviews: map[string]*airlock.FileReview{},
	}
}

// insertRequest stores r in its own transaction.
func insertRequest(t testing.TB, s *sqlite.Store, r *airlock.ReleaseRequest) {
	t.Helper()
	inTx(t, s, func(tx service.Tx) error {
		return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, r.Author, r, "", nil))
	})
}

func getRequest(t testing.TB, s *sqlite.Store, id string) *airlock.ReleaseRequest {
	t.Helper()
	var r *airlock.ReleaseRequest
	view(t, s, func(tx service.Tx) error {
		var err error
		r, err = tx.GetRequest(ctx, id)
		return err
	})
	return r
}

func listAudit(t testing.TB, s *sqlite.Store, f airlock.AuditFilter) []airlock.AuditEvent {
	t.Helper()
	var evs []airlock.AuditEvent
	view(t, s, func(tx service.Tx) error {
		var err error
		evs, err = tx.ListAudit(ctx, f)
		return err
	})
	return evs
}
