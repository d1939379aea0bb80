package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

func requestVersion(t *testing.T, tx service.Tx, id string) airlock.RequestVersion {
	t.Helper()
	v, err := tx.RequestVersion(ctx, id)
	if err != nil {
		t.Fatalf("RequestVersion(%s): %v", id, err)
	}
	return v
}

// TestRequestVersionMovesWithEveryChange: every kind of write to a request (its row,
// groups, files, votes, comments, upload bookkeeping) moves its version and no other
// request's; a release moves the releases counter; and a write by another connection — a
// second process — moves them as well (the triggers are in the database).
func testRequestVersionMovesWithEveryChange(t *testing.T, open Opener) {
	d := open(t)
	s := d.Store
	r := newRequest("r1", "ws", "alice")
	g := &airlock.FileGroup{Name: "g", CreatedAt: at(0), UpdatedAt: at(0)}
	g.Files = []*airlock.RequestFile{newFile("a.csv", "g", airlock.FileTypeOutput), newFile("b.csv", "g", airlock.FileTypeOutput)}
	r.Groups = []*airlock.FileGroup{g}
	insertRequest(t, s, r)
	insertRequest(t, s, newRequest("r2", "ws", "bob"))

	var v1, v2 airlock.RequestVersion
	view(t, s, func(tx service.Tx) error {
		v1 = requestVersion(t, tx, "r1")
		v2 = requestVersion(t, tx, "r2")
		_, err := tx.RequestVersion(ctx, "nope")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})

	ev := func(ty airlock.AuditType) airlock.AuditEvent { return event(ty, "carol", r, "a.csv", nil) }
	var commentID string
	writes := []struct {
		name     string
		fn       func(tx service.Tx) error
		releases bool
		comments bool
		edits    bool
	}{
		{"status", func(tx service.Tx) error {
			r.Status = airlock.StatusSubmitted
			return tx.UpdateRequest(ctx, r, ev(airlock.AuditRequestSubmit))
		}, false, false, false},
		{"group", func(tx service.Tx) error {
			g.Context = "context"
			return tx.UpsertGroup(ctx, "r1", g, ev(airlock.AuditRequestEdit))
		}, false, false, false},
		{"vote", func(tx service.Tx) error {
			return tx.UpsertReview(ctx, "r1", "a.csv", &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteApproved,
				ReviewTurn: 1, CreatedAt: at(0), UpdatedAt: at(0)}, ev(airlock.AuditRequestFileApprove))
		}, false, false, false},
		{"vote changed", func(tx service.Tx) error {
			return tx.UpsertReview(ctx, "r1", "a.csv", &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteChangesRequested,
				ReviewTurn: 1, CreatedAt: at(0), UpdatedAt: at(time.Minute)}, ev(airlock.AuditRequestFileRequestChanges))
		}, false, false, false},
		{"vote reset", func(tx service.Tx) error {
			return tx.DeleteReview(ctx, "r1", "a.csv", "carol", ev(airlock.AuditRequestFileResetReview))
		}, false, false, false},
		{"comment", func(tx service.Tx) error {
			c := &airlock.Comment{Author: "carol", Text: "hm", Visibility: airlock.VisibilityPrivate, ReviewTurn: 1, CreatedAt: at(0)}
			err := tx.InsertComment(ctx, "r1", "g", c, ev(airlock.AuditRequestComment))
			commentID = c.ID
			return err
		}, false, true, false},
		{"comment published", func(tx service.Tx) error {
			return tx.SetCommentVisibility(ctx, "r1", commentID, airlock.VisibilityPublic, ev(airlock.AuditRequestCommentVisibilityPub))
		}, false, true, true},
		{"comment deleted", func(tx service.Tx) error {
			return tx.DeleteComment(ctx, "r1", commentID, ev(airlock.AuditRequestCommentDelete))
		}, false, true, true},
		{"file added", func(tx service.Tx) error {
			return tx.InsertFile(ctx, "r1", newFile("c.csv", "g", airlock.FileTypeSupporting), ev(airlock.AuditRequestFileAdd))
		}, false, false, false},
		{"file withdrawn", func(tx service.Tx) error { return tx.DeleteFile(ctx, "r1", "c.csv") }, false, false, false},
		{"file released", func(tx service.Tx) error {
			f := g.Files[0]
			f.ReleasedAt, f.ReleasedBy = ptr(at(time.Hour)), "carol"
			return tx.UpdateFile(ctx, "r1", f, ev(airlock.AuditRequestFileRelease))
		}, true, false, false},
		{"upload attempt", func(tx service.Tx) error {
			return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(2*time.Hour), "refused")
		}, false, false, false},
	}
	for _, w := range writes {
		inTx(t, s, w.fn)
		view(t, s, func(tx service.Tx) error {
			n1, n2 := requestVersion(t, tx, "r1"), requestVersion(t, tx, "r2")
			if n1.Request <= v1.Request {
				t.Errorf("%s: r1's version stayed %d", w.name, n1.Request)
			}
			if w.comments != (n1.Comments != v1.Comments) {
				t.Errorf("%s: r1's comments counter %d → %d", w.name, v1.Comments, n1.Comments)
			}
			if n2.Request != v2.Request || n2.Comments != v2.Comments || n2.CommentEdits != v2.CommentEdits {
				t.Errorf("%s: r2's counters moved from %+v to %+v", w.name, v2, n2)
			}
			if w.edits != (n1.CommentEdits != v1.CommentEdits) {
				t.Errorf("%s: r1's comment edits counter %d → %d", w.name, v1.CommentEdits, n1.CommentEdits)
			}
			if w.releases != (n1.Releases != v1.Releases) {
				t.Errorf("%s: releases counter %d → %d", w.name, v1.Releases, n1.Releases)
			}
			v1 = n1
			return nil
		})
	}

	// Another connection to the same file, as another process would write.
	if _, err := d.Raw.Exec(`UPDATE file_groups SET controls = 'by hand' WHERE request_id = 'r1'`); err != nil {
		t.Fatal(err)
	}
	view(t, s, func(tx service.Tx) error {
		if n1 := requestVersion(t, tx, "r1"); n1.Request <= v1.Request {
			t.Errorf("a write by another connection left r1's version at %d", n1.Request)
		}
		return nil
	})
}

// TestGetRequestWithoutComments: the partial load is the whole aggregate but for the
// comments.
func testGetRequestWithoutComments(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	g := &airlock.FileGroup{Name: "g", Context: "c", Controls: "k", CreatedAt: at(0), UpdatedAt: at(0)}
	f := newFile("a.csv", "g", airlock.FileTypeOutput)
	f.Reviews["carol"] = &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteApproved, ReviewTurn: 1, CreatedAt: at(0), UpdatedAt: at(0)}
	g.Files = []*airlock.RequestFile{f}
	g.Comments = []*airlock.Comment{{Author: "carol", Text: "hm", Visibility: airlock.VisibilityPublic, ReviewTurn: 1, CreatedAt: at(0)}}
	r.Groups = []*airlock.FileGroup{g}
	insertRequest(t, s, r)

	whole := getRequest(t, s, "r1")
	require.Len(t, whole.Groups[0].Comments, 1)
	view(t, s, func(tx service.Tx) error {
		part, err := tx.GetRequestWithoutComments(ctx, "r1")
		require.NoError(t, err)
		whole.Groups[0].Comments = nil
		mustEqual(t, "partial aggregate", part, whole)
		_, err = tx.GetRequestWithoutComments(ctx, "nope")
		wantCode(t, err, airlock.CodeNotFound)

		// The current request and lists that ask for it come without comments too.
		cur, err := tx.FindCurrentRequest(ctx, "ws", "alice")
		require.NoError(t, err)
		mustEqual(t, "current request", cur, whole)
		id, err := tx.CurrentRequestID(ctx, "ws", "alice")
		require.NoError(t, err)
		mustEqual(t, "current request id", id, "r1")
		id, err = tx.CurrentRequestID(ctx, "ws", "bob")
		require.NoError(t, err)
		mustEqual(t, "no current request", id, "")
		list, err := tx.ListRequests(ctx, airlock.RequestFilter{Workspace: "ws", WithoutComments: true})
		require.NoError(t, err)
		mustEqual(t, "listed without comments", list, []*airlock.ReleaseRequest{whole})
		list, err = tx.ListRequests(ctx, airlock.RequestFilter{Workspace: "ws"})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Len(t, list[0].Groups[0].Comments, 1, "a list asked with comments has them")
		return nil
	})
}

// TestCommentsAfter: the comments added after a known id, by group, oldest first.
func testCommentsAfter(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	r.Groups = []*airlock.FileGroup{{Name: "g", CreatedAt: at(0), UpdatedAt: at(0)}, {Name: "h", CreatedAt: at(0), UpdatedAt: at(0)}}
	insertRequest(t, s, r)
	insertRequest(t, s, newRequest("r2", "ws", "bob"))
	var ids []string
	add := func(req, group, text string) {
		inTx(t, s, func(tx service.Tx) error {
			c := &airlock.Comment{Author: "carol", Text: text, Visibility: airlock.VisibilityPublic, ReviewTurn: 1, CreatedAt: at(time.Minute)}
			if req == "r2" {
				inTx := tx.UpsertGroup(ctx, "r2", &airlock.FileGroup{Name: group, CreatedAt: at(0), UpdatedAt: at(0)}, event(airlock.AuditRequestEdit, "bob", r, "", nil))
				if inTx != nil {
					return inTx
				}
			}
			err := tx.InsertComment(ctx, req, group, c, event(airlock.AuditRequestComment, "carol", r, "", nil))
			ids = append(ids, c.ID)
			return err
		})
	}
	add("r1", "g", "one")
	add("r1", "h", "two")
	add("r2", "g", "elsewhere")
	add("r1", "g", "three")
	view(t, s, func(tx service.Tx) error {
		first, _ := strconv.ParseInt(ids[0], 10, 64)
		got, err := tx.CommentsAfter(ctx, "r1", first)
		require.NoError(t, err)
		require.Len(t, got["g"], 1)
		require.Len(t, got["h"], 1)
		require.Len(t, got, 2)
		mustEqual(t, "new comment in g", got["g"][0].Text, "three")
		mustEqual(t, "new comment in h", got["h"][0].Text, "two")
		all, err := tx.CommentsAfter(ctx, "r1", 0)
		require.NoError(t, err)
		mustEqual(t, "ids in g", []string{all["g"][0].ID, all["g"][1].ID}, []string{ids[0], ids[3]})
		mustEqual(t, "comment", *all["g"][0], airlock.Comment{ID: ids[0], Author: "carol", Text: "one",
			Visibility: airlock.VisibilityPublic, ReviewTurn: 1, CreatedAt: at(time.Minute)})
		return nil
	})
}
