package release_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/release"
)

// benchFiles writes n files of size bytes into dir (random content) and returns the request
// value describing them as released output files.
func benchFiles(b *testing.B, dir string, n int, size int64) *airlock.ReleaseRequest {
	b.Helper()
	block := make([]byte, 1<<20)
	_, _ = rand.Read(block)
	at := time.Now()
	g := &airlock.FileGroup{Name: "bench"}
	for i := range n {
		name := fmt.Sprintf("output/file-%04d.csv", i)
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		fh, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		w := io.MultiWriter(fh, h)
		block[0] = byte(i) // distinct content per file
		for left := size; left > 0; {
			k := min(left, int64(len(block)))
			if _, err := w.Write(block[:k]); err != nil {
				b.Fatal(err)
			}
			left -= k
		}
		if err := fh.Close(); err != nil {
			b.Fatal(err)
		}
		g.Files = append(g.Files, &airlock.RequestFile{RelPath: name, FileType: airlock.FileTypeOutput,
			FileID: hex.EncodeToString(h.Sum(nil)), Size: size, ReleasedAt: &at, ReleasedBy: "bob"})
	}
	return &airlock.ReleaseRequest{Workspace: "ws", Status: airlock.StatusApproved, Groups: []*airlock.FileGroup{g}}
}

// uploaderConcurrency is the Uploader's default number of uploads in flight.
const uploaderConcurrency = 4

// benchmarkOutbox delivers the files of one request per iteration with the outbox target
// and, in the same run, copies the same files with cp; it reports the outbox's throughput
// and its ratio to cp's (1 = as fast as cp; cp does not fsync, the outbox does and also
// checks every byte's sha256), and to cp followed by sync -f of the copies (as durable as
// the outbox's).
func benchmarkOutbox(b *testing.B, n int, size int64) {
	base := b.TempDir()
	src := filepath.Join(base, "store")
	r := benchFiles(b, src, n, size)
	o, err := release.NewOutbox(filepath.Join(base, "released"), nil, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	files := release.ReleasedFiles(r)
	var cpTime, cpSyncTime, outTime time.Duration
	b.SetBytes(int64(n) * size)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		r.ID = fmt.Sprintf("req-%d", i)
		cpDst := filepath.Join(base, "cp", r.ID)
		if err := os.MkdirAll(cpDst, 0o755); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if out, err := exec.Command("cp", "-r", filepath.Join(src, "output"), cpDst).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v: %s", err, out)
		}
		cpTime += time.Since(start)
		// The same copy made durable, as the outbox makes it: sync the copied files.
		if out, err := exec.Command("sync", "-f", cpDst).CombinedOutput(); err != nil {
			b.Fatalf("sync: %v: %s", err, out)
		}
		cpSyncTime += time.Since(start)
		b.StartTimer()

		// Deliver as the uploader does: at most uploaderConcurrency files at a time.
		start = time.Now()
		sem := make(chan struct{}, uploaderConcurrency)
		errs := make(chan error, len(files))
		for _, f := range files {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				p := filepath.Join(src, filepath.FromSlash(f.RelPath))
				errs <- o.Upload(context.Background(), r, f, func() (io.ReadCloser, error) { return os.Open(p) })
			}()
		}
		for range files {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		outTime += time.Since(start)

		b.StopTimer()
		_ = os.RemoveAll(cpDst)
		_ = os.RemoveAll(filepath.Join(o.Dir(), r.Workspace, r.ID))
		b.StartTimer()
	}
	b.ReportMetric(cpTime.Seconds()/outTime.Seconds(), "throughput_vs_cp")
	b.ReportMetric(cpSyncTime.Seconds()/outTime.Seconds(), "throughput_vs_cp+sync")
	b.ReportMetric(float64(int64(b.N)*int64(n)*size)/cpTime.Seconds()/1e6, "cp_MB/s")
}

func BenchmarkOutbox_500x1MB(b *testing.B) { benchmarkOutbox(b, 500, 1_000_000) }

func BenchmarkOutbox_1GiB(b *testing.B) {
	if testing.Short() {
		b.Skip("1 GiB benchmark skipped with -short")
	}
	benchmarkOutbox(b, 1, 1<<30)
}

// benchmarkUploader measures delivery end to end: the Uploader, through the real service
// (an attempt and a delivery recorded in SQLite per file), from the stored copies to the
// outbox, against cp of the same files in the same run.
func benchmarkUploader(b *testing.B, n int, size int64) {
	e := newEnv(b, envConfig{})
	dir := filepath.Join(e.dataDir, "released")
	o, err := release.NewOutbox(dir, e.clock.Now, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	src := filepath.Join(e.wsRoot, "ws1", "output")
	var cpTime, upTime time.Duration
	b.SetBytes(int64(n) * size)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		// Fresh content each iteration: released files cannot be released again.
		_ = os.RemoveAll(src)
		ws := benchFiles(b, filepath.Dir(src), n, size)
		var paths []string
		for _, f := range release.ReleasedFiles(ws) {
			paths = append(paths, f.RelPath)
		}
		id := e.reviewedRequestOf(paths, nil)
		if _, err := e.svc.Release(context.Background(), bob, id); err != nil {
			b.Fatal(err)
		}
		cpDst := filepath.Join(e.dataDir, "cp", fmt.Sprint(i))
		if err := os.MkdirAll(cpDst, 0o755); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if out, err := exec.Command("cp", "-r", src, cpDst).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v: %s", err, out)
		}
		cpTime += time.Since(start)
		u := &release.Uploader{Svc: e.svc, Target: o, Clock: e.clock.Now, Logger: discardLogger()}
		b.StartTimer()

		start = time.Now()
		if err := u.RunOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
		upTime += time.Since(start)

		b.StopTimer()
		if st := u.Stats(); st.DeliveredFiles != int64(n) {
			b.Fatalf("delivered %d of %d files", st.DeliveredFiles, n)
		}
		_ = os.RemoveAll(cpDst)
		_ = os.RemoveAll(filepath.Join(dir, "ws1", id))
		b.StartTimer()
	}
	b.ReportMetric(cpTime.Seconds()/upTime.Seconds(), "throughput_vs_cp")
}

func BenchmarkUploader_Outbox_500x1MB(b *testing.B) { benchmarkUploader(b, 500, 1_000_000) }

func BenchmarkUploader_Outbox_1GiB(b *testing.B) {
	if testing.Short() {
		b.Skip("1 GiB benchmark skipped with -short")
	}
	benchmarkUploader(b, 1, 1<<30)
}
