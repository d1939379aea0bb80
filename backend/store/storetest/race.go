package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// Two writers (two stores on one database: two replicas) race on the same request, each
// reading it and changing it only if it is still as they read it, as the service's
// read-check-write transactions do. Write transactions are serialised, so each round ends
// in one valid state: exactly one of them submits, the other sees the submission; exactly
// one creates the author's active request, the other is refused; the votes of both land and
// the audit chain holds.
func testWritersRacingOnOneRequest(t *testing.T, open Opener) {
	d := open(t)
	stores := []Store{d.Store, d.Again(t)}
	const rounds = 10
	for round := range rounds {
		id := fmt.Sprintf("r%d", round)
		ws := fmt.Sprintf("ws%d", round)
		insertRequest(t, d.Store, newRequest(id, ws, "alice"))
		inTx(t, d.Store, func(tx service.Tx) error {
			r, err := tx.GetRequest(ctx, id)
			if err != nil {
				return err
			}
			return tx.InsertFile(ctx, id, newFile("a.csv", "default", airlock.FileTypeOutput),
				event(airlock.AuditRequestFileAdd, "alice", r, "a.csv", nil))
		})

		var wg sync.WaitGroup
		submitted := make([]bool, len(stores))
		created := make([]error, len(stores))
		voted := make([]error, len(stores))
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.InTx(ctx, func(tx service.Tx) error {
					r, err := tx.GetRequest(ctx, id)
					if err != nil {
						return err
					}
					if r.Status != airlock.StatusPending {
						return nil // the other one was first
					}
					r.Status = airlock.StatusSubmitted
					submitted[i] = true
					return tx.UpdateRequest(ctx, r, event(airlock.AuditRequestSubmit, "alice", r, "", nil))
				})
				if err != nil {
					t.Errorf("round %d, writer %d: submit: %v", round, i, err)
				}
				// both try to open bob's active request in the workspace
				created[i] = s.InTx(ctx, func(tx service.Tx) error {
					if cur, err := tx.CurrentRequestID(ctx, ws, "bob"); err != nil || cur != "" {
						return err
					}
					r := newRequest(fmt.Sprintf("%s-bob-%d", id, i), ws, "bob")
					return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "bob", r, "", nil))
				})
				reviewer := []string{"carol", "dave"}[i]
				voted[i] = s.InTx(ctx, func(tx service.Tx) error {
					r, err := tx.GetRequestWithoutComments(ctx, id)
					if err != nil {
						return err
					}
					return tx.UpsertReview(ctx, id, "a.csv", &airlock.FileReview{Reviewer: reviewer,
						Status: airlock.VoteApproved, ReviewTurn: r.ReviewTurn},
						event(airlock.AuditRequestFileApprove, reviewer, r, "a.csv", nil))
				})
			}()
		}
		wg.Wait()
		if n := count(submitted); n != 1 {
			t.Fatalf("round %d: %d writers submitted, want exactly 1", round, n)
		}
		for i, err := range created {
			if err != nil && airlock.ErrorCode(err) != airlock.CodeConflict {
				t.Fatalf("round %d, writer %d: creating: %v", round, i, err)
			}
		}
		for i, err := range voted {
			if err != nil {
				t.Fatalf("round %d, writer %d: voting: %v", round, i, err)
			}
		}
		r := getRequest(t, d.Store, id)
		if r.Status != airlock.StatusSubmitted || len(r.File("a.csv").Reviews) != 2 {
			t.Fatalf("round %d: status %s, %d votes", round, r.Status, len(r.File("a.csv").Reviews))
		}
		var bobs []*airlock.ReleaseRequest
		view(t, d.Store, func(tx service.Tx) error {
			var err error
			bobs, err = tx.ListRequests(ctx, service.RequestFilter{Workspace: ws, Author: "bob"})
			return err
		})
		if len(bobs) != 1 {
			t.Fatalf("round %d: bob has %d requests, want 1", round, len(bobs))
		}
		submits := listAudit(t, d.Store, airlock.AuditFilter{Request: id})
		n := 0
		for _, ev := range submits {
			if ev.Type == airlock.AuditRequestSubmit {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d submit events, want 1", round, n)
		}
	}
	if checked, bad, err := d.Store.VerifyAudit(ctx); err != nil || bad != 0 {
		t.Fatalf("VerifyAudit = %d, %d, %v", checked, bad, err)
	}
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
