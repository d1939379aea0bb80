package storetest

import (
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// paths returns the relpaths of r's files, group by group.
func paths(r *airlock.ReleaseRequest) []string {
	out := []string{}
	for _, f := range r.AllFiles() {
		out = append(out, f.RelPath)
	}
	return out
}

// GetRequestForUpload loads the request row and groups with only the asked file and one
// other released file not yet uploaded, whatever the request's size.
func testGetRequestForUpload(t *testing.T, open Opener) {
	s := open(t).Store
	r := newRequest("r1", "ws", "alice")
	r.Status, r.ReviewTurn, r.ReleaseID = airlock.StatusApproved, 2, "rel-1"
	r.TurnReviewers = []string{"carol", "dave"}
	released := at(time.Hour)
	g1 := &airlock.FileGroup{Name: "g1", Context: "c1", Controls: "k1", CreatedAt: at(0), UpdatedAt: at(0)}
	g2 := &airlock.FileGroup{Name: "g2", Context: "c2", Controls: "k2", CreatedAt: at(0), UpdatedAt: at(0)}
	add := func(g *airlock.FileGroup, relpath string, rel, up bool) {
		f := newFile(relpath, g.Name, airlock.FileTypeOutput)
		f.Reviews["carol"] = &airlock.FileReview{Reviewer: "carol", Status: airlock.VoteApproved,
			ReviewTurn: 1, CreatedAt: at(0), UpdatedAt: at(0)}
		if rel {
			f.ReleasedAt, f.ReleasedBy = &released, "carol"
		}
		if up {
			f.Uploaded, f.UploadedAt = true, &released
		}
		g.Files = append(g.Files, f)
	}
	add(g1, "a.csv", true, true)   // uploaded
	add(g1, "b.csv", false, false) // not released
	add(g2, "c.csv", true, false)  // pending
	add(g2, "d.csv", true, false)  // pending
	r.Groups = []*airlock.FileGroup{g1, g2}
	insertRequest(t, s, r)

	load := func(id, relpath string) (*airlock.ReleaseRequest, error) {
		var got *airlock.ReleaseRequest
		err := s.View(ctx, func(tx service.Tx) error {
			var err error
			got, err = tx.GetRequestForUpload(ctx, id, relpath)
			return err
		})
		return got, err
	}
	full := getRequest(t, s, "r1")

	got, err := load("r1", "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	// The request row is whole.
	mustEqual(t, "request row", []any{got.ID, got.Workspace, got.Project, got.Organisations, got.Author,
		got.Status, got.CreatedAt, got.ReviewTurn, got.TurnReviewers, got.ReleaseID},
		[]any{full.ID, full.Workspace, full.Project, full.Organisations, full.Author,
			full.Status, full.CreatedAt, full.ReviewTurn, full.TurnReviewers, full.ReleaseID})
	mustEqual(t, "groups", []string{got.Groups[0].Name, got.Groups[1].Name}, []string{"g1", "g2"})
	mustEqual(t, "group context", got.Groups[1].Context, "c2")
	// The asked file with its fields (no votes), and the first other pending file.
	mustEqual(t, "files for a.csv", paths(got), []string{"a.csv", "c.csv"})
	f, want := got.File("a.csv"), full.File("a.csv")
	want.Reviews = map[string]*airlock.FileReview{}
	mustEqual(t, "a.csv", f, want)

	got, err = load("r1", "c.csv")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "files for c.csv", paths(got), []string{"c.csv", "d.csv"})
	if airlock.AllUploaded(got) {
		t.Fatal("AllUploaded on the partial aggregate with d.csv pending")
	}

	// Once every other released file is uploaded, the partial aggregate holds only the
	// asked file, and AllUploaded answers as on the whole request.
	inTx(t, s, func(tx service.Tx) error {
		d := full.File("d.csv")
		d.Uploaded, d.UploadedAt = true, &released
		return tx.UpdateFile(ctx, "r1", d, event(airlock.AuditRequestFileUpload, "carol", full, "d.csv", nil))
	})
	got, err = load("r1", "c.csv")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "files for c.csv, d.csv uploaded", paths(got), []string{"c.csv"})
	got.File("c.csv").Uploaded = true
	if !airlock.AllUploaded(got) {
		t.Fatal("AllUploaded is false with every released file uploaded")
	}

	// A file not on the request is absent; an unknown request is not_found.
	got, err = load("r1", "nope.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got.File("nope.csv") != nil {
		t.Fatal("a file not on the request was loaded")
	}
	_, err = load("r2", "a.csv")
	wantCode(t, err, airlock.CodeNotFound)
}
