package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// fullRequest is a request with two groups, files of every type, votes and comments.
func fullRequest(id string) *airlock.ReleaseRequest {
	r := newRequest(id, "ws", "alice")
	r.Status = airlock.StatusReturned
	r.LastSubmittedAt = ptr(at(2 * time.Hour))
	r.SubmittedReviews = map[string]time.Time{"carol": at(3 * time.Hour), "dave": at(4 * time.Hour)}
	r.ReviewTurn = 2
	r.TurnReviewers = []string{"carol", "dave"}
	r.ReleaseID = "rel-1"

	out := newFile("output/table.csv", "tables", airlock.FileTypeOutput)
	out.Reviews = map[string]*airlock.FileReview{
		"carol": {Reviewer: "carol", Status: airlock.VoteApproved, ReviewTurn: 1, CreatedAt: at(time.Minute), UpdatedAt: at(2 * time.Minute)},
		"dave":  {Reviewer: "dave", Status: airlock.VoteChangesRequested, ReviewTurn: 2, CreatedAt: at(3 * time.Minute), UpdatedAt: at(3 * time.Minute)},
	}
	sup := newFile("output/notes.txt", "tables", airlock.FileTypeSupporting)
	sup.RowCount, sup.ColCount = nil, nil
	wd := newFile("output/old.csv", "figures", airlock.FileTypeWithdrawn)
	wd.ReleasedAt, wd.ReleasedBy = ptr(at(5*time.Hour)), "carol"
	wd.Uploaded, wd.UploadedAt = true, ptr(at(6*time.Hour))
	wd.UploadAttempts, wd.UploadAttemptedAt, wd.UploadError = 3, ptr(at(6*time.Hour)), "boom"

	r.Groups = []*airlock.FileGroup{
		{
			Name: "tables", Context: "ctx", Controls: "ctl", CreatedAt: at(time.Second), UpdatedAt: at(2 * time.Second),
			Files: []*airlock.RequestFile{out, sup},
			Comments: []*airlock.Comment{
				{Author: "carol", Text: "first", Visibility: airlock.VisibilityPrivate, ReviewTurn: 1, CreatedAt: at(10 * time.Minute)},
				{Author: "alice", Text: "second **md**", Visibility: airlock.VisibilityPublic, ReviewTurn: 2, CreatedAt: at(11 * time.Minute)},
			},
		},
		{
			Name: "figures", CreatedAt: at(3 * time.Second), UpdatedAt: at(3 * time.Second),
			Files: []*airlock.RequestFile{wd},
		},
		{Name: "empty", CreatedAt: at(4 * time.Second), UpdatedAt: at(4 * time.Second)},
	}
	return r
}

func testRequestAggregateRoundTrip(t *testing.T, open Opener) {
	s := open(t).Store
	want := fullRequest("r1")
	insertRequest(t, s, want)
	for _, c := range want.Groups[0].Comments {
		if c.ID == "" {
			t.Fatal("InsertRequest did not set comment ids")
		}
	}
	got := getRequest(t, s, "r1")
	mustEqual(t, "request", got, want)

	// Groups come back in creation order, not by name; files in the order added.
	names := []string{}
	for _, g := range got.Groups {
		names = append(names, g.Name)
	}
	mustEqual(t, "group order", names, []string{"tables", "figures", "empty"})
}

func testGetRequestNotFound(t *testing.T, open Opener) {
	s := open(t).Store
	view(t, s, func(tx service.Tx) error {
		_, err := tx.GetRequest(ctx, "nope")
		wantCode(t, err, airlock.CodeNotFound)
		return nil
	})
}

func testUpdateRequest(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	insertRequest(t, s, r)

	r.Status = airlock.StatusSubmitted
	r.LastSubmittedAt = ptr(at(time.Hour))
	r.SubmittedReviews = map[string]time.Time{"carol": at(2 * time.Hour)}
	r.ReviewTurn = 1
	r.TurnReviewers = []string{"dave"}
	r.ReleaseID = "rel-9"
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpdateRequest(ctx, r, event(airlock.AuditRequestSubmit, "alice", r, "", nil))
	})
	mustEqual(t, "updated request", getRequest(t, s, "r1"), r)

	// Only the listed fields are saved.
	changed := *r
	changed.Author, changed.Workspace, changed.Project = "mallory", "other", "other"
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpdateRequest(ctx, &changed, event(airlock.AuditRequestEdit, "alice", r, "", nil))
	})
	mustEqual(t, "request after update of unsaved fields", getRequest(t, s, "r1"), r)

	ghost := newRequest("ghost", "ws", "bob")
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.UpdateRequest(ctx, ghost, event(airlock.AuditRequestSubmit, "bob", ghost, "", nil))
	})
	wantCode(t, err, airlock.CodeNotFound)
}

func testInsertRequestConflicts(t *testing.T, open Opener) {
	s := open(t).Store
	insertRequest(t, s, newRequest("r1", "ws", "alice"))

	err := s.InTx(ctx, func(tx service.Tx) error {
		r := newRequest("r1", "other-ws", "bob")
		return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "bob", r, "", nil))
	})
	wantCode(t, err, airlock.CodeConflict)
	wantMessage(t, err, "Request r1 already exists.")

	// A second active request of the same author in the workspace says so instead.
	err = s.InTx(ctx, func(tx service.Tx) error {
		r := newRequest("r2", "ws", "alice")
		return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "alice", r, "", nil))
	})
	wantCode(t, err, airlock.CodeConflict)
	wantMessage(t, err, "alice already has an active request in workspace ws.")
}

// wantMessage checks the message a coded error gives its reader.
func wantMessage(t testing.TB, err error, msg string) {
	t.Helper()
	var ae *airlock.Error
	if !errors.As(err, &ae) || ae.Message != msg {
		t.Fatalf("error %v; want the message %q", err, msg)
	}
}

func testOneActiveRequestPerAuthorAndWorkspace(t *testing.T, open Opener) {
	s := open(t).Store
	r1 := newRequest("r1", "ws", "alice")
	insertRequest(t, s, r1)

	insert := func(r *airlock.ReleaseRequest) error {
		return s.InTx(ctx, func(tx service.Tx) error {
			return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, r.Author, r, "", nil))
		})
	}
	// Every status the domain calls active blocks a second request (the schema's partial
	// unique index lists the same statuses).
	var active, closed []airlock.Status
	for _, st := range airlock.Statuses {
		if st.IsActive() {
			active = append(active, st)
		} else {
			closed = append(closed, st)
		}
	}
	if len(active) == 0 || len(closed) == 0 {
		t.Fatalf("the domain's statuses: %v active, %v not", active, closed)
	}
	for _, st := range active {
		r1.Status = st
		inTx(t, s, func(tx service.Tx) error {
			return tx.UpdateRequest(ctx, r1, event(airlock.AuditRequestEdit, "alice", r1, "", nil))
		})
		r2 := newRequest("r2", "ws", "alice")
		r2.Status = airlock.StatusPending
		err := insert(r2)
		wantCode(t, err, airlock.CodeConflict)
	}
	// Other authors and other workspaces are independent.
	if err := insert(newRequest("r3", "ws", "bob")); err != nil {
		t.Fatalf("another author: %v", err)
	}
	if err := insert(newRequest("r4", "ws2", "alice")); err != nil {
		t.Fatalf("another workspace: %v", err)
	}
	// Every other status frees the slot (an APPROVED request may still be uploading).
	update := func(r *airlock.ReleaseRequest) {
		inTx(t, s, func(tx service.Tx) error {
			return tx.UpdateRequest(ctx, r, event(airlock.AuditRequestEdit, r.Author, r, "", nil))
		})
	}
	for i, st := range closed {
		r1.Status = st
		update(r1)
		probe := newRequest(fmt.Sprintf("probe-%d", i), "ws", "alice")
		if err := insert(probe); err != nil {
			t.Fatalf("a new request beside one %s: %v", st, err)
		}
		probe.Status = airlock.StatusWithdrawn
		update(probe)
	}
	r5 := newRequest("r5", "ws", "alice")
	if err := insert(r5); err != nil {
		t.Fatalf("new request after the old one closed: %v", err)
	}
	// Re-activating the closed one would make two: refused by the schema.
	r1.Status = airlock.StatusReturned
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.UpdateRequest(ctx, r1, event(airlock.AuditRequestEdit, "alice", r1, "", nil))
	})
	wantCode(t, err, airlock.CodeConflict)

	view(t, s, func(tx service.Tx) error {
		cur, err := tx.FindCurrentRequest(ctx, "ws", "alice")
		if err != nil {
			return err
		}
		if cur == nil || cur.ID != "r5" {
			t.Fatalf("FindCurrentRequest = %+v, want r5", cur)
		}
		none, err := tx.FindCurrentRequest(ctx, "ws3", "alice")
		if err != nil {
			return err
		}
		if none != nil {
			t.Fatalf("FindCurrentRequest in an unused workspace = %+v, want nil", none)
		}
		return nil
	})
}

func testStatusCheckConstraint(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	r.Status = "BOGUS"
	err := s.InTx(ctx, func(tx service.Tx) error {
		return tx.InsertRequest(ctx, r, event(airlock.AuditRequestCreate, "alice", r, "", nil))
	})
	if err == nil {
		t.Fatal("a request with an unknown status was stored")
	}
	// Every real status is accepted.
	for i, st := range airlock.Statuses {
		r := newRequest("ok"+itoa(i), "ws"+itoa(i), "alice")
		r.Status = st
		insertRequest(t, s, r)
	}
}

func ids(rs []*airlock.ReleaseRequest) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func testListRequests(t *testing.T, open Opener) {
	s := open(t).Store
	mk := func(id, ws, author string, st airlock.Status, created time.Duration) {
		r := newRequest(id, ws, author)
		r.Status, r.CreatedAt = st, at(created)
		insertRequest(t, s, r)
	}
	mk("a1", "ws1", "alice", airlock.StatusSubmitted, 3)
	mk("a2", "ws2", "alice", airlock.StatusReleased, 1)
	mk("b1", "ws1", "bob", airlock.StatusReviewed, 2)
	mk("c1", "ws2", "carol", airlock.StatusPending, 4)

	list := func(f service.RequestFilter) []string {
		var rs []*airlock.ReleaseRequest
		view(t, s, func(tx service.Tx) error {
			var err error
			rs, err = tx.ListRequests(ctx, f)
			return err
		})
		return ids(rs)
	}
	mustEqual(t, "all, oldest first", list(service.RequestFilter{}), []string{"a2", "b1", "a1", "c1"})
	mustEqual(t, "workspace", list(service.RequestFilter{Workspace: "ws1"}), []string{"b1", "a1"})
	mustEqual(t, "author", list(service.RequestFilter{Author: "alice"}), []string{"a2", "a1"})
	mustEqual(t, "statuses", list(service.RequestFilter{Statuses: []airlock.Status{
		airlock.StatusSubmitted, airlock.StatusReviewed}}), []string{"b1", "a1"})
	mustEqual(t, "exclude author", list(service.RequestFilter{ExcludeAuthor: "alice",
		Statuses: []airlock.Status{airlock.StatusSubmitted, airlock.StatusReviewed, airlock.StatusPending}}),
		[]string{"b1", "c1"})
	mustEqual(t, "no match", list(service.RequestFilter{Workspace: "ws1", Author: "carol"}), []string{})
}

// Listing many requests loads each one whole and attaches children to the right parent.
func testListRequestsLoadsAggregates(t *testing.T, open Opener) {
	s := open(t).Store
	want := map[string]*airlock.ReleaseRequest{}
	for _, id := range []string{"x1", "x2", "x3"} {
		r := fullRequest(id)
		r.Workspace = "ws-" + id
		insertRequest(t, s, r)
		want[id] = r
	}
	var rs []*airlock.ReleaseRequest
	view(t, s, func(tx service.Tx) error {
		var err error
		rs, err = tx.ListRequests(ctx, service.RequestFilter{Author: "alice"})
		return err
	})
	if len(rs) != 3 {
		t.Fatalf("got %d requests", len(rs))
	}
	for _, r := range rs {
		mustEqual(t, "listed "+r.ID, r, want[r.ID])
	}
}

func testPendingUploadsAndReleasedFileIDs(t *testing.T, open Opener) {
	s := open(t).Store
	r1 := newRequest("r1", "ws", "alice")
	r1.Status = airlock.StatusApproved
	f1 := newFile("a.csv", "default", airlock.FileTypeOutput)
	f1.ReleasedAt, f1.ReleasedBy = ptr(at(time.Hour)), "carol"
	f2 := newFile("b.csv", "default", airlock.FileTypeOutput)
	f2.FileID = "shared-content"
	f2.ReleasedAt, f2.ReleasedBy = ptr(at(time.Hour)), "carol"
	f2.Uploaded, f2.UploadedAt = true, ptr(at(2*time.Hour))
	r1.Groups = []*airlock.FileGroup{{Name: "default", CreatedAt: at(0), UpdatedAt: at(0),
		Files: []*airlock.RequestFile{f1, f2}}}
	insertRequest(t, s, r1)

	r2 := newRequest("r2", "ws", "bob") // nothing released
	r2.Groups = []*airlock.FileGroup{{Name: "default", CreatedAt: at(0), UpdatedAt: at(0),
		Files: []*airlock.RequestFile{newFile("c.csv", "default", airlock.FileTypeOutput)}}}
	insertRequest(t, s, r2)

	r3 := newRequest("r3", "other", "alice") // released, fully uploaded, other workspace
	r3.Status = airlock.StatusReleased
	f3 := newFile("d.csv", "default", airlock.FileTypeOutput)
	f3.ReleasedAt, f3.Uploaded = ptr(at(time.Hour)), true
	r3.Groups = []*airlock.FileGroup{{Name: "default", CreatedAt: at(0), UpdatedAt: at(0),
		Files: []*airlock.RequestFile{f3}}}
	insertRequest(t, s, r3)

	view(t, s, func(tx service.Tx) error {
		rs, err := tx.PendingUploads(ctx)
		if err != nil {
			return err
		}
		mustEqual(t, "pending uploads", ids(rs), []string{"r1"})
		mustEqual(t, "pending request loaded whole", rs[0], r1)

		got, err := tx.ReleasedFileIDs(ctx, "ws")
		if err != nil {
			return err
		}
		mustEqual(t, "released ids", got, map[string]bool{"sha-a.csv": true, "shared-content": true})
		got, err = tx.ReleasedFileIDs(ctx, "nowhere")
		if err != nil {
			return err
		}
		mustEqual(t, "released ids of an unknown workspace", got, map[string]bool{})
		return nil
	})

	// Uploading the last file empties the queue.
	f1.Uploaded, f1.UploadedAt = true, ptr(at(3*time.Hour))
	inTx(t, s, func(tx service.Tx) error {
		return tx.UpdateFile(ctx, "r1", f1, event(airlock.AuditRequestFileUpload, "carol", r1, "a.csv", nil))
	})
	view(t, s, func(tx service.Tx) error {
		rs, err := tx.PendingUploads(ctx)
		if len(rs) != 0 {
			t.Fatalf("pending uploads after upload = %v", ids(rs))
		}
		return err
	})
}

func testFindCurrentRequestIgnoresClosed(t *testing.T, open Opener) {
	s := open(t).Store
	for i, st := range []airlock.Status{airlock.StatusApproved, airlock.StatusReleased,
		airlock.StatusRejected, airlock.StatusWithdrawn} {
		r := newRequest("closed"+itoa(i), "ws", "alice")
		r.Status = st
		insertRequest(t, s, r)
	}
	view(t, s, func(tx service.Tx) error {
		cur, err := tx.FindCurrentRequest(ctx, "ws", "alice")
		if cur != nil {
			t.Fatalf("closed request returned as current: %s", cur.ID)
		}
		return err
	})
}
