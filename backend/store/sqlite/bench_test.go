package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// BenchmarkGetRequest100Files loads one request aggregate with 100 files in 5 groups, two
// votes per file and 20 comments.
func BenchmarkGetRequest100Files(b *testing.B) {
	s, _ := openStore(b)
	r := newRequest("r1", "ws", "alice")
	for g := 0; g < 5; g++ {
		grp := &airlock.FileGroup{Name: fmt.Sprintf("group-%d", g), Context: "c", Controls: "k",
			CreatedAt: at(0), UpdatedAt: at(0)}
		for i := 0; i < 20; i++ {
			f := newFile(fmt.Sprintf("output/%d/file-%02d.csv", g, i), grp.Name, airlock.FileTypeOutput)
			for _, rev := range []string{"carol", "dave"} {
				f.Reviews[rev] = &airlock.FileReview{Reviewer: rev, Status: airlock.VoteApproved,
					ReviewTurn: 1, CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
			}
			grp.Files = append(grp.Files, f)
		}
		for i := 0; i < 4; i++ {
			grp.Comments = append(grp.Comments, &airlock.Comment{Author: "carol", Text: "looks fine",
				Visibility: airlock.VisibilityPublic, ReviewTurn: 1, CreatedAt: at(time.Hour)})
		}
		r.Groups = append(r.Groups, grp)
	}
	insertRequest(b, s, r)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		err := s.View(ctx, func(tx service.Tx) error {
			got, err := tx.GetRequest(ctx, "r1")
			if err == nil && len(got.OutputFiles()) != 100 {
				b.Fatalf("loaded %d output files", len(got.OutputFiles()))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendAudit appends one audit row per write transaction.
func BenchmarkAppendAudit(b *testing.B) {
	s, _ := openStore(b)
	ev := airlock.AuditEvent{Type: airlock.AuditRequestFileView, User: "carol", Workspace: "ws",
		Request: "r1", Path: "group/output/file.csv",
		Extra: map[string]string{"group": "group", "review_turn": "1"}, CreatedAt: at(0)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.InTx(ctx, func(tx service.Tx) error { return tx.AppendAudit(ctx, ev) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAudit verifies a chain of 10,000 rows.
func BenchmarkVerifyAudit(b *testing.B) {
	s, _ := openStore(b)
	const n = 10000
	err := s.InTx(ctx, func(tx service.Tx) error {
		for i := 0; i < n; i++ {
			if err := tx.AppendAudit(ctx, airlock.AuditEvent{Type: airlock.AuditRequestFileView, User: "carol",
				Workspace: "ws", Request: "r1", Extra: map[string]string{"review_turn": "1"}, CreatedAt: at(0)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if checked, bad, err := s.VerifyAudit(ctx); err != nil || bad != 0 || checked != n {
			b.Fatalf("VerifyAudit = %d, %d, %v", checked, bad, err)
		}
	}
}
