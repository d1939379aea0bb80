package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlstore"
)

// A fresh database is migrated; opening it again (another process) applies nothing twice
// and sees the data.
func testMigratedAndReopened(t *testing.T, open Opener) {
	d := open(t)
	s := d.Store
	v, err := s.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want >= 1", v, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.PingRead(ctx); err != nil {
		t.Fatalf("PingRead: %v", err)
	}
	insertRequest(t, s, newRequest("r1", "ws", "alice"))
	s2 := d.Again(t)
	v2, err := s2.SchemaVersion(ctx)
	if err != nil || v2 != v {
		t.Fatalf("SchemaVersion of a second store = %d, %v; want %d", v2, err, v)
	}
	if r := getRequest(t, s2, "r1"); r.Author != "alice" {
		t.Fatalf("request not seen by a second store: %+v", r)
	}
	var n, distinct int
	if err := d.Raw.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != v || distinct != v {
		t.Fatalf("schema_migrations has %d rows (%d distinct), want %d", n, distinct, v)
	}
}

// RequestsAuditedAfter: the requests with audit events newer than a mark, each once with
// its current status, and the new mark (the newest id, whichever store appended it).
func testRequestsAuditedAfter(t *testing.T, open Opener) {
	d := open(t)
	s, other := d.Store, d.Again(t)
	r1, r2, r3 := newRequest("r1", "ws1", "alice"), newRequest("r2", "ws2", "bob"), newRequest("r3", "ws1", "carol")
	insertRequest(t, s, r1)
	mark, _ := s.LastAuditID(ctx)
	insertRequest(t, other, r2)
	insertRequest(t, s, r3)
	inTx(t, s, func(tx service.Tx) error {
		r2.Status = airlock.StatusWithdrawn
		if err := tx.UpdateRequest(ctx, r2, event(airlock.AuditRequestWithdraw, "bob", r2, "", nil)); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, airlock.NewWorkspaceAuditEvent(airlock.AuditWorkspaceFileView, airlock.User{Username: "dan"}, "ws1", "a.csv", nil))
	})
	want, _ := s.LastAuditID(ctx)
	refs, next, err := s.RequestsAuditedAfter(ctx, mark)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "requests", refs, []sqlstore.RequestRef{
		{ID: "r2", Workspace: "ws2", Status: airlock.StatusWithdrawn},
		{ID: "r3", Workspace: "ws1", Status: airlock.StatusPending},
	})
	if next != want || next != mark+4 {
		t.Fatalf("next mark %d, want %d (the newest of four new events)", next, mark+4)
	}
	refs, again, err := s.RequestsAuditedAfter(ctx, next)
	if err != nil || len(refs) != 0 || again != next {
		t.Fatalf("nothing newer: %v, %d, %v", refs, again, err)
	}
	refs, again, err = s.RequestsAuditedAfter(ctx, next+10)
	if err != nil || len(refs) != 0 || again != next+10 {
		t.Fatalf("a mark past the newest: %v, %d, %v; want none and the mark kept", refs, again, err)
	}
}

// LastAuditID follows the newest event, whichever store appended it.
func testLastAuditID(t *testing.T, open Opener) {
	d := open(t)
	s, other := d.Store, d.Again(t)
	last, err := s.LastAuditID(ctx)
	if err != nil || last != 0 {
		t.Fatalf("empty log: last id %d, %v", last, err)
	}
	insertRequest(t, s, newRequest("r1", "ws1", "alice"))
	first, _ := s.LastAuditID(ctx)
	insertRequest(t, other, newRequest("r2", "ws2", "bob"))
	second, err := s.LastAuditID(ctx)
	if err != nil || first <= 0 || second <= first {
		t.Fatalf("last ids %d then %d (%v); want growing", first, second, err)
	}
	evs := listAudit(t, s, airlock.AuditFilter{Limit: 1})
	if len(evs) != 1 || evs[0].ID != second {
		t.Fatalf("newest event %+v, want id %d", evs, second)
	}
}

func testForeignKeysAreEnforced(t *testing.T, open Opener) {
	s := open(t).Store
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.InsertFile(ctx, "no-such-request", newFile("a.csv", "default", airlock.FileTypeOutput),
			event(airlock.AuditRequestFileAdd, "alice", nil, "a.csv", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)
}

func testViewIsReadOnly(t *testing.T, open Opener) {
	s := open(t).Store
	err := s.View(ctx, func(tx service.Tx) error {
		r := newRequest("r1", "ws", "alice")
		return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "alice", r, "", nil))
	})
	if err == nil {
		t.Fatal("InsertRequest inside View succeeded")
	}
	err = s.View(ctx, func(tx service.Tx) error {
		return tx.AppendAudit(ctx, event(airlock.AuditWorkspaceFileView, "alice", nil, "x", nil))
	})
	if err == nil {
		t.Fatal("AppendAudit inside View succeeded")
	}
	view(t, s, func(tx service.Tx) error {
		_, err := tx.GetRequest(ctx, "r1")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})
}

func testInTxRollsBackOnError(t *testing.T, open Opener) {
	s := open(t).Store
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx service.Tx) error {
		r := newRequest("r1", "ws", "alice")
		if err := tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "alice", r, "", nil)); err != nil {
			return err
		}
		// The transaction sees its own write.
		if _, err := tx.GetRequest(ctx, "r1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v, want boom", err)
	}
	view(t, s, func(tx service.Tx) error {
		_, err := tx.GetRequest(ctx, "r1")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})
	if evs := listAudit(t, s, airlock.AuditFilter{}); len(evs) != 0 {
		t.Fatalf("rolled-back transaction left %d audit rows", len(evs))
	}
}

func testInTxRollsBackOnPanic(t *testing.T, open Opener) {
	s := open(t).Store
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic was swallowed")
			}
		}()
		_ = s.InTx(ctx, func(tx service.Tx) error {
			r := newRequest("r1", "ws", "alice")
			if err := tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "alice", r, "", nil)); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	// The writer connection is usable again and nothing was committed.
	insertRequest(t, s, newRequest("r2", "ws", "bob"))
	view(t, s, func(tx service.Tx) error {
		_, err := tx.GetRequest(ctx, "r1")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})
}

// Several goroutines, and a second store on the same database (another process: an
// operator command, another replica), write at once: none fails, and the audit chain holds.
func testConcurrentWriters(t *testing.T, open Opener) {
	d := open(t)
	s, other := d.Store, d.Again(t)

	const workers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := 0; w < workers; w++ {
		st := s
		if w%2 == 1 {
			st = other
		}
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("r-%d-%d", w, i)
				err := st.InTx(ctx, func(tx service.Tx) error {
					r := newRequest(id, fmt.Sprintf("ws-%d-%d", w, i), "alice")
					if err := tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "alice", r, "", nil)); err != nil {
						return err
					}
					g := &airlock.FileGroup{Name: "default"}
					return tx.UpsertGroup(ctx, id, g, event(airlock.AuditRequestEdit, "alice", r, "", nil))
				})
				if err != nil {
					errs <- err
				}
			}
		}(w)
		go func() { // readers alongside
			defer wg.Done()
			for i := 0; i < each; i++ {
				err := st.View(ctx, func(tx service.Tx) error {
					_, err := tx.ListRequests(ctx, service.RequestFilter{Author: "alice"})
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent access failed: %v", err)
	}
	var rs []*airlock.ReleaseRequest
	view(t, s, func(tx service.Tx) error {
		var err error
		rs, err = tx.ListRequests(ctx, service.RequestFilter{})
		return err
	})
	if len(rs) != workers*each {
		t.Fatalf("got %d requests, want %d", len(rs), workers*each)
	}
	if evs := listAudit(t, s, airlock.AuditFilter{}); len(evs) != 2*workers*each {
		t.Fatalf("got %d audit rows, want %d", len(evs), 2*workers*each)
	}
	checked, bad, err := s.VerifyAudit(ctx)
	if err != nil || bad != 0 || checked != 2*workers*each {
		t.Fatalf("VerifyAudit = %d, %d, %v; want %d, 0, nil", checked, bad, err, 2*workers*each)
	}
}
