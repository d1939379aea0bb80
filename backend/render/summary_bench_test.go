package render

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// benchCSVMB is the size of the benchmark's generated CSV in MB (AIRLOCK_BENCH_CSV_MB, default
// 100): the benchmark only runs under -bench, so make test never writes it.
func benchCSVMB(b *testing.B) int {
	if v := os.Getenv("AIRLOCK_BENCH_CSV_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("AIRLOCK_BENCH_CSV_MB=%q is not a whole number of MB", v)
		}
		return n
	}
	return 100
}

// writeSummaryBenchCSV writes a table of at least mb MB in the shape the checks look at: labels,
// count columns (some small, some not rounded), a total column, redactions, rates,
// percentages, a midpoint-6 column and quoted text.
func writeSummaryBenchCSV(b *testing.B, path string, mb int) (size int64, lines int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "region,age_band,sex,count,deaths,total,rate_per_1000,percent,events_midpoint6,mean_cost,note")
	lines = 1
	sexes := []string{"F", "M"}
	for i := 0; size < int64(mb)*1_000_000; i++ {
		count := (i * 7919) % 100000
		deaths := (i * 31) % 500
		dv := strconv.Itoa(deaths)
		if i%50 == 0 {
			dv = "[REDACTED]"
		}
		n, _ := fmt.Fprintf(w, "Region %d,%d-%d,%s,%d,%s,%d,%.2f,%.1f,%d,%.2f,\"note, %d\"\n",
			i%9, i%8*10, i%8*10+9, sexes[i%2], count, dv, count+deaths, float64(i%997)/3,
			float64(i%1000)/10, (i%40)*6+3, float64(i%5000)/7, i)
		size += int64(n)
		lines++
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size(), lines
}

// countLines is the baseline: a plain line count of the file, read with the buffer size the
// summary reads with.
func countLines(b *testing.B, path string) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, seqBufSize)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSummary100MB summarises and checks a generated 100 MB CSV (OpenSAFELY rules) and
// reports MB/s and the time as a multiple of a line count over the same file in the same run
// (best of five, after the file is in the page cache).
func BenchmarkSummary100MB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "summary.csv")
	size, lines := writeSummaryBenchCSV(b, path, benchCSVMB(b))
	base := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		if n := countLines(b, path); n != lines {
			b.Fatalf("line count %d, want %d", n, lines)
		}
		base = min(base, time.Since(start))
	}
	rules := DefaultRules()
	b.SetBytes(size)
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		s, err := Summarize(context.Background(), f, rules)
		_ = f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if s.Rows != lines-1 || len(s.Warnings) == 0 {
			b.Fatalf("%d rows, %d warnings", s.Rows, len(s.Warnings))
		}
	}
	b.StopTimer()
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if cpu := float64((processCPU() - cpu0).Nanoseconds()) / float64(b.N); cpu > 0 {
		// On a shared machine the wall time includes waiting for a core; this does not.
		b.ReportMetric(float64(size)/1e6/(cpu/1e9), "MB/s-cpu")
	}
	b.ReportMetric(float64(size)/1e6/(perOp/1e9), "MB/s")
	b.ReportMetric(perOp/float64(base.Nanoseconds()), "x-linecount")
	b.ReportMetric(float64(base.Microseconds())/1000, "ms-linecount")
}
