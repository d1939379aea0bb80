package sqlite_test

import (
	"testing"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
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
