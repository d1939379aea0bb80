package service_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// BenchmarkUploadBookkeeping500Files is the uploader's bookkeeping for an approved request
// of 500 released files: per file, RecordUploadAttempt then MarkUploaded (the last one
// moves the request to RELEASED), each its own transaction with its audit event. Bytes are
// not moved (the release package's benchmarks time delivery end to end).
//
// Baseline, timed in the same run on a second approved request of 500 files: the same
// number of bare store transactions writing what the two calls write at least (an attempt
// count; a file update and its audit event). x_bare_writes is the ratio, and
// per_file_vs_full_load the cost of one file's bookkeeping in units of one raw load of the
// whole 500-file aggregate (which each call once made, twice per file).
func BenchmarkUploadBookkeeping500Files(b *testing.B) {
	const n = 500
	env := testenv.NewEnv(b, testenv.WithoutReleaser())
	ctx := testenv.Ctx()
	var svcT, bareT, loadT time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		svcPaths := benchPaths(fmt.Sprintf("output/%d", i), "svc", 0, n)
		barePaths := benchPaths(fmt.Sprintf("output/%d", i), "bare", 0, n)
		files := make(map[string]string, 2*n)
		for _, p := range append(svcPaths, barePaths...) {
			files[p] = "content of " + p + "\n"
		}
		env.WriteFiles(b, testenv.Workspace, files)
		bare := benchApprovedRequest(b, env, barePaths, 100)
		bareT += bareBookkeeping(b, env, bare, barePaths)
		id := benchApprovedRequest(b, env, svcPaths, 100)
		start := time.Now()
		benchMust(b, env.Store.View(ctx, func(tx service.Tx) error {
			_, err := tx.GetRequest(ctx, id)
			return err
		}))
		loadT += time.Since(start)
		b.StartTimer()

		start = time.Now()
		for _, p := range svcPaths {
			benchMust(b, env.Svc.RecordUploadAttempt(ctx, id, p, nil))
			benchMust(b, env.Svc.MarkUploaded(ctx, id, p))
		}
		svcT += time.Since(start)

		b.StopTimer()
		r := env.Request(b, id)
		if r.Status != airlock.StatusReleased {
			b.Fatalf("request is %s after the uploads", r.Status)
		}
		for _, f := range r.AllFiles() {
			if !f.Uploaded || f.UploadAttempts != 1 {
				b.Fatalf("%s: uploaded %v after %d attempts", f.RelPath, f.Uploaded, f.UploadAttempts)
			}
		}
		b.StartTimer()
	}
	perFile := svcT.Seconds() / float64(b.N*n)
	b.ReportMetric(perFile*1e6, "µs/file")
	b.ReportMetric(svcT.Seconds()/bareT.Seconds(), "x_bare_writes")
	b.ReportMetric(perFile/(loadT.Seconds()/float64(b.N)), "per_file_vs_full_load")
}

// bareBookkeeping writes, for each file of approved request id, what the uploader's two
// calls write at least, in two store transactions, and returns the time taken. The upload
// fields are left as they were (the attempt is counted, the file is not marked uploaded).
func bareBookkeeping(b *testing.B, env *testenv.Env, id string, paths []string) time.Duration {
	b.Helper()
	ctx := testenv.Ctx()
	r := env.Request(b, id)
	at := env.Clock.Now()
	start := time.Now()
	for _, p := range paths {
		benchMust(b, env.Store.InTx(ctx, func(tx service.Tx) error {
			return tx.RecordUploadAttempt(ctx, id, p, at, "")
		}))
		f := r.File(p)
		benchMust(b, env.Store.InTx(ctx, func(tx service.Tx) error {
			ev := airlock.NewAuditEvent(airlock.AuditRequestFileView, testenv.Checker1(), r, p, map[string]string{"group": f.Group})
			ev.CreatedAt = at
			return tx.UpdateFile(ctx, id, f, ev)
		}))
	}
	return time.Since(start)
}
