package postgres_test

import (
	"reflect"
	"testing"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/postgres"
)

// RequestsAuditedAfter: the requests with audit events newer than a mark, each once with
// its current status, and the new mark.
func TestRequestsAuditedAfter(t *testing.T) {
	s, _ := openStore(t)
	create := func(id, ws, author string) *airlock.ReleaseRequest {
		r := &airlock.ReleaseRequest{ID: id, Workspace: ws, Author: author, Status: airlock.StatusPending}
		if err := s.InTx(ctx, func(tx service.Tx) error {
			return tx.InsertRequest(ctx, r, airlock.AuditEvent{Type: airlock.AuditRequestCreate, User: author})
		}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	create("r1", "ws1", "alice")
	mark, err := s.LastAuditID(ctx)
	if err != nil || mark != 1 {
		t.Fatalf("mark %d, %v", mark, err)
	}
	r2 := create("r2", "ws2", "bob")
	create("r3", "ws1", "carol")
	if err := s.InTx(ctx, func(tx service.Tx) error {
		r2.Status = airlock.StatusWithdrawn
		if err := tx.UpdateRequest(ctx, r2, airlock.AuditEvent{Type: airlock.AuditRequestWithdraw, User: "bob", Request: "r2", Workspace: "ws2"}); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, airlock.NewWorkspaceAuditEvent(airlock.AuditWorkspaceFileView, airlock.User{Username: "dan"}, "ws1", "a.csv", nil))
	}); err != nil {
		t.Fatal(err)
	}
	refs, next, err := s.RequestsAuditedAfter(ctx, mark)
	if err != nil {
		t.Fatal(err)
	}
	want := []postgres.RequestRef{
		{ID: "r2", Workspace: "ws2", Status: airlock.StatusWithdrawn},
		{ID: "r3", Workspace: "ws1", Status: airlock.StatusPending},
	}
	if !reflect.DeepEqual(refs, want) || next != 5 {
		t.Fatalf("RequestsAuditedAfter = %+v, %d; want %+v, 5", refs, next, want)
	}
	refs, again, err := s.RequestsAuditedAfter(ctx, next)
	if err != nil || len(refs) != 0 || again != next {
		t.Fatalf("nothing newer: %v, %d, %v", refs, again, err)
	}
}
