package sqlite_test

import (
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

func requestVersion(t *testing.T, tx service.Tx, id string) (int64, int64) {
	t.Helper()
	v, rel, err := tx.RequestVersion(ctx, id)
	if err != nil {
		t.Fatalf("RequestVersion(%s): %v", id, err)
	}
	return v, rel
}

// TestRequestVersionMovesWithEveryChange: every kind of write to a request (its row,
// groups, files, votes, comments, upload bookkeeping) moves its version and no other
// request's; a release moves the releases counter; and a write by another connection — a
// second process — moves them as well (the triggers are in the database).
func TestRequestVersionMovesWithEveryChange(t *testing.T) {
	s, path := openStore(t)
	r := newRequest("r1", "ws", "alice")
	g := &airlock.FileGroup{Name: "g", CreatedAt: at(0), UpdatedAt: at(0)}
	g.Files = []*airlock.RequestFile{newFile("a.csv", "g", airlock.FileTypeOutput), newFile("b.csv", "g", airlock.FileTypeOutput)}
	r.Groups = []*airlock.FileGroup{g}
	insertRequest(t, s, r)
	insertRequest(t, s, newRequest("r2", "ws", "bob"))

	var v1, v2, rel int64
	view(t, s, func(tx service.Tx) error {
		v1, rel = requestVersion(t, tx, "r1")
		v2, _ = requestVersion(t, tx, "r2")
		_, _, err := tx.RequestVersion(ctx, "nope")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})

	ev := func(ty airlock.AuditType) airlock.AuditEvent { return event(ty, "carol", r, "a.csv", nil) }
	var commentID string
	writes := []struct {
		name     string
		fn       func(tx service.Tx) error
		releases bool
	}{
		{"status", func(tx service.Tx) error {
			r.Status = airlock.StatusSubmitted
			return tx.UpdateRequest(ctx, r, ev(airlock.AuditRequestSubmit))
		}, false},
		{"group", func(tx service.Tx) error {
			g.Context = "context"
			return tx.UpsertGroup(ctx, "r1", g, ev(airlock.AuditRequestEdit))
		}, false},
		{"vote", func(tx service.Tx) error {
			return tx.UpsertReview(ctx, "r1", "a.csv", &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteApproved,
				ReviewTurn: 1, CreatedAt: at(0), UpdatedAt: at(0)}, ev(airlock.AuditRequestFileApprove))
		}, false},
		{"vote changed", func(tx service.Tx) error {
			return tx.UpsertReview(ctx, "r1", "a.csv", &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteChangesRequested,
				ReviewTurn: 1, CreatedAt: at(0), UpdatedAt: at(time.Minute)}, ev(airlock.AuditRequestFileRequestChanges))
		}, false},
		{"vote reset", func(tx service.Tx) error {
			return tx.DeleteReview(ctx, "r1", "a.csv", "carol", ev(airlock.AuditRequestFileResetReview))
		}, false},
		{"comment", func(tx service.Tx) error {
			c := &airlock.Comment{Author: "carol", Text: "hm", Visibility: airlock.VisibilityPrivate, ReviewTurn: 1, CreatedAt: at(0)}
			err := tx.InsertComment(ctx, "r1", "g", c, ev(airlock.AuditRequestComment))
			commentID = c.ID
			return err
		}, false},
		{"comment published", func(tx service.Tx) error {
			return tx.SetCommentVisibility(ctx, "r1", commentID, airlock.VisibilityPublic, ev(airlock.AuditRequestCommentVisibilityPub))
		}, false},
		{"comment deleted", func(tx service.Tx) error {
			return tx.DeleteComment(ctx, "r1", commentID, ev(airlock.AuditRequestCommentDelete))
		}, false},
		{"file added", func(tx service.Tx) error {
			return tx.InsertFile(ctx, "r1", newFile("c.csv", "g", airlock.FileTypeSupporting), ev(airlock.AuditRequestFileAdd))
		}, false},
		{"file withdrawn", func(tx service.Tx) error { return tx.DeleteFile(ctx, "r1", "c.csv") }, false},
		{"file released", func(tx service.Tx) error {
			f := g.Files[0]
			f.ReleasedAt, f.ReleasedBy = ptr(at(time.Hour)), "carol"
			return tx.UpdateFile(ctx, "r1", f, ev(airlock.AuditRequestFileRelease))
		}, true},
		{"upload attempt", func(tx service.Tx) error {
			return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(2*time.Hour), "refused")
		}, false},
	}
	for _, w := range writes {
		inTx(t, s, w.fn)
		view(t, s, func(tx service.Tx) error {
			nv1, nrel := requestVersion(t, tx, "r1")
			nv2, _ := requestVersion(t, tx, "r2")
			if nv1 <= v1 {
				t.Errorf("%s: r1's version stayed %d", w.name, nv1)
			}
			if nv2 != v2 {
				t.Errorf("%s: r2's version moved from %d to %d", w.name, v2, nv2)
			}
			if w.releases != (nrel != rel) {
				t.Errorf("%s: releases counter %d → %d", w.name, rel, nrel)
			}
			v1, rel = nv1, nrel
			return nil
		})
	}

	// Another connection to the same file, as another process would write.
	if _, err := rawDB(t, path).Exec(`UPDATE file_groups SET controls = 'by hand' WHERE request_id = 'r1'`); err != nil {
		t.Fatal(err)
	}
	view(t, s, func(tx service.Tx) error {
		if nv1, _ := requestVersion(t, tx, "r1"); nv1 <= v1 {
			t.Errorf("a write by another connection left r1's version at %d", nv1)
		}
		return nil
	})
}
