package sqlite_test

import (
	"testing"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlite"
)

// TestDataVersionSeesOtherConnectionsOnly: the store's own commits leave DataVersion as it
// is; a commit by another connection to the same file (another process) changes it.
func TestDataVersionSeesOtherConnectionsOnly(t *testing.T) {
	s, path := openStore(t)
	v0, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := newRequest("r1", "ws", "alice")
	insertRequest(t, s, r)
	inTx(t, s, func(tx service.Tx) error {
		r.Status = airlock.StatusSubmitted
		return tx.UpdateRequest(ctx, r, event(airlock.AuditRequestSubmit, "alice", r, "", nil))
	})
	view(t, s, func(tx service.Tx) error { _, err := tx.GetRequest(ctx, "r1"); return err })
	if v, err := s.DataVersion(ctx); err != nil || v != v0 {
		t.Fatalf("after the store's own commits: data version %d (err %v), want %d", v, err, v0)
	}
	other := rawDB(t, path)
	if _, err := other.Exec(`UPDATE requests SET status = 'REJECTED' WHERE id = 'r1'`); err != nil {
		t.Fatal(err)
	}
	v1, err := s.DataVersion(ctx)
	if err != nil || v1 == v0 {
		t.Fatalf("after another connection committed: data version %d (err %v), want a change from %d", v1, err, v0)
	}
	if v, _ := s.DataVersion(ctx); v != v1 {
		t.Fatalf("data version moved without a commit: %d, then %d", v1, v)
	}
}

// TestRequestsAuditedAfter: the requests with audit events newer than a mark, each once
// with its current status, and the new mark.
func TestRequestsAuditedAfter(t *testing.T) {
	s, _ := openStore(t)
	last, err := s.LastAuditID(ctx)
	if err != nil || last != 0 {
		t.Fatalf("empty log: last id %d, %v", last, err)
	}
	r1, r2, r3 := newRequest("r1", "ws1", "alice"), newRequest("r2", "ws2", "bob"), newRequest("r3", "ws1", "carol")
	insertRequest(t, s, r1)
	mark, _ := s.LastAuditID(ctx)
	insertRequest(t, s, r2)
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
	mustEqual(t, "requests", refs, []sqlite.RequestRef{
		{ID: "r2", Workspace: "ws2", Status: airlock.StatusWithdrawn},
		{ID: "r3", Workspace: "ws1", Status: airlock.StatusPending},
	})
	if next != want || next <= mark {
		t.Fatalf("next mark %d, want %d", next, want)
	}
	refs, again, err := s.RequestsAuditedAfter(ctx, next)
	if err != nil || len(refs) != 0 || again != next {
		t.Fatalf("nothing newer: %v, %d, %v", refs, again, err)
	}
}
