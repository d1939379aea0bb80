package storetest

import (
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

func testGroupsAndFiles(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	insertRequest(t, s, r)

	// A file in a group that does not exist yet creates the group.
	f := newFile("out/a.csv", "tables", airlock.FileTypeOutput)
	inTx(t, s, func(tx service.Tx) error {
		return tx.InsertFile(ctx, "r1", f, event(airlock.AuditRequestFileAdd, "alice", r, f.RelPath, nil))
	})
	got := getRequest(t, s, "r1")
	if len(got.Groups) != 1 || got.Groups[0].Name != "tables" {
		t.Fatalf("groups = %+v", got.Groups)
	}
	mustEqual(t, "file", got.Groups[0].Files, []*airlock.RequestFile{f})

	// UpsertGroup saves context and controls and stamps the change time.
	g := got.Groups[0]
	created := g.CreatedAt
	g.Context, g.Controls = "the context", "the controls"
	ev := event(airlock.AuditRequestEdit, "alice", r, "", map[string]string{"group": "tables"})
	ev.CreatedAt = at(time.Hour)
	inTx(t, s, func(tx service.Tx) error { return tx.UpsertGroup(ctx, "r1", g, ev) })
	got = getRequest(t, s, "r1")
	if gg := got.Groups[0]; gg.Context != "the context" || gg.Controls != "the controls" ||
		!gg.CreatedAt.Equal(created) || !gg.UpdatedAt.Equal(at(time.Hour)) {
		t.Fatalf("group after edit = %+v", gg)
	}
	// A new group through UpsertGroup comes after the existing one.
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpsertGroup(ctx, "r1", &airlock.FileGroup{Name: "figures", Context: "c"},
			event(airlock.AuditRequestEdit, "alice", r, "", map[string]string{"group": "figures"}))
	})
	got = getRequest(t, s, "r1")
	if len(got.Groups) != 2 || got.Groups[1].Name != "figures" || got.Groups[1].Context != "c" {
		t.Fatalf("groups after new group = %+v", got.Groups)
	}

	// Same relpath again, even in another group: conflict.
	dup := newFile("out/a.csv", "figures", airlock.FileTypeSupporting)
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.InsertFile(ctx, "r1", dup, event(airlock.AuditRequestFileAdd, "alice", r, dup.RelPath, nil))
	})
	wantCode(t, err, airlock.CodeConflict)

	// UpdateFile moves the file and replaces content and release fields.
	f.Group, f.FileType = "figures", airlock.FileTypeSupporting
	f.FileID, f.Size, f.Timestamp = "sha-new", 99, at(2*time.Hour)
	f.JobID, f.Commit, f.Repo, f.RowCount, f.ColCount = "job2", "def", "repo2", nil, ptr(7)
	f.ReleasedAt, f.ReleasedBy = ptr(at(3*time.Hour)), "carol"
	f.Uploaded, f.UploadedAt, f.UploadError = true, ptr(at(4*time.Hour)), "last error"
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpdateFile(ctx, "r1", f, event(airlock.AuditRequestFileUpdate, "alice", r, f.RelPath, nil))
	})
	got = getRequest(t, s, "r1")
	if len(got.Groups[0].Files) != 0 {
		t.Fatalf("file still in old group: %+v", got.Groups[0].Files)
	}
	mustEqual(t, "updated file", got.Groups[1].Files, []*airlock.RequestFile{f})

	// UpdateFile into a new group creates it.
	f.Group = "brand-new"
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpdateFile(ctx, "r1", f, event(airlock.AuditRequestFileUpdate, "alice", r, f.RelPath, nil))
	})
	if got = getRequest(t, s, "r1"); got.File("out/a.csv") == nil || got.Group("brand-new") == nil ||
		len(got.Group("brand-new").Files) != 1 {
		t.Fatalf("file not moved to a new group: %+v", got.Groups)
	}

	// Unknown file or request: not_found.
	err = s.InTx(ctx, func(tx service.Tx) error {
		return tx.UpdateFile(ctx, "r1", newFile("nope.csv", "tables", airlock.FileTypeOutput),
			event(airlock.AuditRequestFileUpdate, "alice", r, "nope.csv", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)
	err = s.InTx(ctx, func(tx service.Tx) error {
		return tx.UpsertGroup(ctx, "nope", &airlock.FileGroup{Name: "x"},
			event(airlock.AuditRequestEdit, "alice", nil, "", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)
}

func testUpdateFileKeepsUploadAttempts(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	f := newFile("a.csv", "default", airlock.FileTypeOutput)
	f.ReleasedAt, f.ReleasedBy = ptr(at(time.Hour)), "carol"
	r.Groups = []*airlock.FileGroup{{Name: "default", CreatedAt: at(0), UpdatedAt: at(0), Files: []*airlock.RequestFile{f}}}
	insertRequest(t, s, r)

	inTx(t, s, func(tx service.Tx) error {
		if err := tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(2*time.Hour), ""); err != nil {
			return err
		}
		return tx.RecordUploadAttempt(ctx, "r1", "a.csv", at(3*time.Hour), "timeout")
	})
	got := getRequest(t, s, "r1").File("a.csv")
	if got.UploadAttempts != 2 || !got.UploadAttemptedAt.Equal(at(3*time.Hour)) || got.UploadError != "timeout" {
		t.Fatalf("after two attempts: attempts=%d at=%v err=%q", got.UploadAttempts, got.UploadAttemptedAt, got.UploadError)
	}
	// A stale copy saved through UpdateFile does not roll the counter back.
	f.Uploaded, f.UploadedAt, f.UploadError = true, ptr(at(4*time.Hour)), ""
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpdateFile(ctx, "r1", f, event(airlock.AuditRequestFileUpload, "carol", r, "a.csv", nil))
	})
	got = getRequest(t, s, "r1").File("a.csv")
	if got.UploadAttempts != 2 || !got.Uploaded || got.UploadError != "" {
		t.Fatalf("after upload: %+v", got)
	}

	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.RecordUploadAttempt(ctx, "r1", "nope.csv", at(0), "")
	})
	wantCode(t, err, airlock.CodeNotFound)
}

func testDeleteFileRemovesVotes(t *testing.T, open Opener) {
	d := open(t)
	s := d.Store
	r := fullRequest("r1")
	insertRequest(t, s, r)
	auditBefore := len(listAudit(t, s, airlock.AuditFilter{}))

	inTx(t, s, func(tx service.Tx) error { return tx.DeleteFile(ctx, "r1", "output/table.csv") })
	got := getRequest(t, s, "r1")
	if got.File("output/table.csv") != nil {
		t.Fatal("file still there")
	}
	if got.File("output/notes.txt") == nil {
		t.Fatal("another file was deleted too")
	}
	var votes int
	if err := d.Raw.QueryRow(`SELECT COUNT(*) FROM file_reviews`).Scan(&votes); err != nil {
		t.Fatal(err)
	}
	if votes != 0 {
		t.Fatalf("%d votes left after deleting their file", votes)
	}
	if n := len(listAudit(t, s, airlock.AuditFilter{})); n != auditBefore {
		t.Fatalf("DeleteFile wrote audit rows: %d -> %d", auditBefore, n)
	}
	// The relpath can be added again (the replace flow).
	inTx(t, s, func(tx service.Tx) error {
		return tx.InsertFile(ctx, "r1", newFile("output/table.csv", "tables", airlock.FileTypeOutput),
			event(airlock.AuditRequestFileUpdate, "alice", r, "output/table.csv", nil))
	})
	err := s.InTx(ctx, func(tx service.Tx) error { return tx.DeleteFile(ctx, "r1", "nope") })
	wantCode(t, err, airlock.CodeNotFound)
}

func testFileTypeCheckConstraint(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	insertRequest(t, s, r)
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.InsertFile(ctx, "r1", newFile("a.csv", "default", "CODE"),
			event(airlock.AuditRequestFileAdd, "alice", r, "a.csv", nil))
	})
	if err == nil {
		t.Fatal("a file of type CODE was stored")
	}
}

func testReviews(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	r.Groups = []*airlock.FileGroup{{Name: "default", CreatedAt: at(0), UpdatedAt: at(0),
		Files: []*airlock.RequestFile{newFile("a.csv", "default", airlock.FileTypeOutput)}}}
	insertRequest(t, s, r)

	v := &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteApproved, ReviewTurn: 1,
		CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpsertReview(ctx, "r1", "a.csv", v, event(airlock.AuditRequestFileApprove, "carol", r, "a.csv", nil))
	})
	mustEqual(t, "vote", getRequest(t, s, "r1").File("a.csv").Reviews, map[string]*airlock.FileReview{"carol": v})

	// Voting again overwrites status, turn and update time; creation time stays.
	v2 := &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteChangesRequested, ReviewTurn: 2,
		CreatedAt: at(2 * time.Hour), UpdatedAt: at(2 * time.Hour)}
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpsertReview(ctx, "r1", "a.csv", v2, event(airlock.AuditRequestFileRequestChanges, "carol", r, "a.csv", nil))
	})
	got := getRequest(t, s, "r1").File("a.csv").Reviews
	want := &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteChangesRequested, ReviewTurn: 2,
		CreatedAt: at(time.Hour), UpdatedAt: at(2 * time.Hour)}
	mustEqual(t, "overwritten vote", got, map[string]*airlock.FileReview{"carol": want})

	// Zero times are stamped with the event time.
	v3 := &airlock.FileReview{Reviewer: "dave", Status: airlock.VoteUndecided}
	ev := event(airlock.AuditRequestFileUndecided, "system", r, "a.csv", nil)
	ev.CreatedAt = at(5 * time.Hour)
	inTx(t, s, func(tx service.Tx) error { return tx.UpsertReview(ctx, "r1", "a.csv", v3, ev) })
	if d := getRequest(t, s, "r1").File("a.csv").Reviews["dave"]; d == nil ||
		!d.CreatedAt.Equal(at(5*time.Hour)) || !d.UpdatedAt.Equal(at(5*time.Hour)) {
		t.Fatalf("stamped vote = %+v", d)
	}

	// An unknown vote value is refused by the schema.
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.UpsertReview(ctx, "r1", "a.csv", &airlock.FileReview{Reviewer: "erin", Status: "REJECTED"},
			event(airlock.AuditRequestFileApprove, "erin", r, "a.csv", nil))
	})
	if err == nil {
		t.Fatal("vote REJECTED stored")
	}

	inTx(t, s, func(tx service.Tx) error {
		return tx.DeleteReview(ctx, "r1", "a.csv", "carol", event(airlock.AuditRequestFileResetReview, "carol", r, "a.csv", nil))
	})
	if _, ok := getRequest(t, s, "r1").File("a.csv").Reviews["carol"]; ok {
		t.Fatal("vote not deleted")
	}
	err = s.InTx(ctx, func(tx service.Tx) error {
		return tx.DeleteReview(ctx, "r1", "a.csv", "carol", event(airlock.AuditRequestFileResetReview, "carol", r, "a.csv", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)
	err = s.InTx(ctx, func(tx service.Tx) error {
		return tx.UpsertReview(ctx, "r1", "nope.csv", v, event(airlock.AuditRequestFileApprove, "carol", r, "nope.csv", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)
}

func testComments(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	r.Groups = []*airlock.FileGroup{{Name: "default", CreatedAt: at(0), UpdatedAt: at(0)}}
	insertRequest(t, s, r)
	other := newRequest("r2", "ws", "bob")
	other.Groups = []*airlock.FileGroup{{Name: "default", CreatedAt: at(0), UpdatedAt: at(0)}}
	insertRequest(t, s, other)

	c1 := &airlock.Comment{Author: "carol", Text: "one", Visibility: airlock.VisibilityPrivate, ReviewTurn: 1, CreatedAt: at(time.Hour)}
	c2 := &airlock.Comment{Author: "dave", Text: "two", Visibility: airlock.VisibilityPublic, ReviewTurn: 1}
	inTx(t, s, func(tx service.Tx) error {
		if err := tx.InsertComment(ctx, "r1", "default", c1, event(airlock.AuditRequestComment, "carol", r, "", nil)); err != nil {
			return err
		}
		ev := event(airlock.AuditRequestComment, "dave", r, "", nil)
		ev.CreatedAt = at(2 * time.Hour)
		return tx.InsertComment(ctx, "r1", "default", c2, ev)
	})
	if c1.ID == "" || c2.ID == "" || c1.ID == c2.ID {
		t.Fatalf("comment ids = %q, %q", c1.ID, c2.ID)
	}
	if !c2.CreatedAt.Equal(at(2 * time.Hour)) {
		t.Fatalf("zero comment time not stamped: %v", c2.CreatedAt)
	}
	mustEqual(t, "comments oldest first", getRequest(t, s, "r1").Groups[0].Comments, []*airlock.Comment{c1, c2})

	inTx(t, s, func(tx service.Tx) error {
		return tx.SetCommentVisibility(ctx, "r1", c1.ID, airlock.VisibilityPublic,
			event(airlock.AuditRequestCommentVisibilityPub, "carol", r, "", nil))
	})
	if got := getRequest(t, s, "r1").Groups[0].Comments[0]; got.Visibility != airlock.VisibilityPublic {
		t.Fatalf("visibility = %s", got.Visibility)
	}
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.SetCommentVisibility(ctx, "r1", c1.ID, "SECRET",
			event(airlock.AuditRequestCommentVisibilityPub, "carol", r, "", nil))
	})
	if err == nil {
		t.Fatal("visibility SECRET stored")
	}

	// Another request's id, an unknown id and a malformed id are all not_found.
	for _, id := range []string{c1.ID, "999", "abc", "-1", ""} {
		err := s.InTx(ctx, func(tx service.Tx) error {
			return tx.DeleteComment(ctx, "r2", id, event(airlock.AuditRequestCommentDelete, "carol", other, "", nil))
		})
		wantCode(t, err, airlock.CodeNotFound)
		err = s.InTx(ctx, func(tx service.Tx) error {
			return tx.SetCommentVisibility(ctx, "r2", id, airlock.VisibilityPublic,
				event(airlock.AuditRequestCommentVisibilityPub, "carol", other, "", nil))
		})
		wantCode(t, err, airlock.CodeNotFound)
	}
	// Unknown group: not_found.
	err = s.InTx(ctx, func(tx service.Tx) error {
		return tx.InsertComment(ctx, "r1", "nope", &airlock.Comment{Author: "carol", Text: "x", Visibility: airlock.VisibilityPublic},
			event(airlock.AuditRequestComment, "carol", r, "", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)

	inTx(t, s, func(tx service.Tx) error {
		return tx.DeleteComment(ctx, "r1", c1.ID, event(airlock.AuditRequestCommentDelete, "carol", r, "", nil))
	})
	mustEqual(t, "comments after delete", getRequest(t, s, "r1").Groups[0].Comments, []*airlock.Comment{c2})

	// Ids are never reused after a delete.
	c3 := &airlock.Comment{Author: "carol", Text: "three", Visibility: airlock.VisibilityPublic, CreatedAt: at(3 * time.Hour)}
	inTx(t, s, func(tx service.Tx) error {
		return tx.InsertComment(ctx, "r1", "default", c3, event(airlock.AuditRequestComment, "carol", r, "", nil))
	})
	if c3.ID == c1.ID || c3.ID == c2.ID {
		t.Fatalf("comment id %s reused", c3.ID)
	}
}

// Warning counts and acknowledgement notes are stored and read back; a file never counted
// reads back as nil (not as zero warnings).
func testWarningsAndAcknowledgements(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	insertRequest(t, s, r)
	counted := newFile("out/a.csv", "tables", airlock.FileTypeOutput)
	counted.Warnings = &airlock.WarningCounts{Info: 1, Warn: 2, Block: 3}
	never := newFile("out/b.csv", "tables", airlock.FileTypeOutput)
	inTx(t, s, func(tx service.Tx) error {
		for _, f := range []*airlock.RequestFile{counted, never} {
			if err := tx.InsertFile(ctx, "r1", f, event(airlock.AuditRequestFileAdd, "alice", r, f.RelPath, nil)); err != nil {
				return err
			}
		}
		return nil
	})
	got := getRequest(t, s, "r1")
	mustEqual(t, "counted", got.File("out/a.csv").Warnings, counted.Warnings)
	if w := got.File("out/b.csv").Warnings; w != nil {
		t.Fatalf("never counted file reads back with counts %+v", w)
	}

	// UpdateFile replaces the counts (a new copy), and can store zero warnings.
	counted.Warnings = &airlock.WarningCounts{}
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpdateFile(ctx, "r1", counted, event(airlock.AuditRequestFileUpdate, "alice", r, counted.RelPath, nil))
	})
	mustEqual(t, "zero", getRequest(t, s, "r1").File("out/a.csv").Warnings, &airlock.WarningCounts{})

	// A vote keeps its note; a later vote without one clears it.
	rv := &airlock.FileReview{Reviewer: "bob", Status: airlock.VoteApproved, ReviewTurn: 1, Acknowledgement: "seen the small counts"}
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpsertReview(ctx, "r1", "out/a.csv", rv, event(airlock.AuditRequestFileApprove, "bob", r, "out/a.csv", nil))
	})
	if got := getRequest(t, s, "r1").File("out/a.csv").Vote("bob"); got == nil || got.Acknowledgement != "seen the small counts" {
		t.Fatalf("vote after approve = %+v", got)
	}
	rv2 := &airlock.FileReview{Reviewer: "bob", Status: airlock.VoteChangesRequested, ReviewTurn: 1}
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpsertReview(ctx, "r1", "out/a.csv", rv2, event(airlock.AuditRequestFileRequestChanges, "bob", r, "out/a.csv", nil))
	})
	if got := getRequest(t, s, "r1").File("out/a.csv").Vote("bob"); got == nil || got.Acknowledgement != "" {
		t.Fatalf("vote after request changes = %+v", got)
	}
}
