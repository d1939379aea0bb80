package render

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The benchmarks run over a 1M-row CSV (about 50 MB) and report each figure also as a ratio
// to a plain line count over the same file, measured in the same run ("x-linecount").

var bigCSV struct {
	once sync.Once
	path string
	dir  string
	base time.Duration
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bigCSV.dir != "" {
		_ = os.RemoveAll(bigCSV.dir)
	}
	os.Exit(code)
}

func millionRows(b *testing.B) string {
	bigCSV.once.Do(func() {
		dir, err := os.MkdirTemp("", "airlock-render-bench-")
		if err != nil {
			b.Fatal(err)
		}
		bigCSV.dir = dir
		bigCSV.path = filepath.Join(dir, "million.csv")
		f, err := os.Create(bigCSV.path)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fmt.Fprintln(w, "region,age_band,sex,count,rate_midpoint6,label")
		for i := 0; i < 1_000_000; i++ {
			fmt.Fprintf(w, "Region %d,%d-%d,%s,%d,%.2f,\"text, with comma %d\"\n",
				i%9, i%8*10, i%8*10+9, []string{"F", "M"}[i%2], (i*7919)%100000, float64(i%97)/3, i)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		bigCSV.base = lineCountTime(b, bigCSV.path)
	})
	return bigCSV.path
}

// lineCountTime is the best of five plain line counts over the file.
func lineCountTime(b *testing.B, path string) time.Duration {
	best := time.Duration(1 << 62)
	buf := make([]byte, seqBufSize)
	for range 5 {
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			k, err := f.Read(buf)
			n += bytes.Count(buf[:k], []byte{'\n'})
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		_ = f.Close()
		if n != 1_000_001 {
			b.Fatalf("line count %d", n)
		}
		best = min(best, time.Since(start))
	}
	return best
}

func reportRatio(b *testing.B) {
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp/float64(bigCSV.base.Nanoseconds()), "x-linecount")
}

func benchTable(b *testing.B, fresh bool, q TableQuery) {
	path := millionRows(b)
	tables := NewTables(TablesConfig{})
	defer tables.Close()
	ctx := context.Background()
	run := func(t *Tables) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		tbl, err := t.Table(ctx, "million", f, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(tbl.Rows) != q.Limit {
			b.Fatalf("%d rows", len(tbl.Rows))
		}
	}
	if !fresh {
		run(tables) // warm the cache
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if fresh {
			b.StopTimer()
			t := NewTables(TablesConfig{Background: 1})
			t.Close() // no background indexing competing with the measurement
			b.StartTimer()
			run(t)
		} else {
			run(tables)
		}
	}
	b.StopTimer()
	reportRatio(b)
}

func BenchmarkLineCountBaseline(b *testing.B) {
	path := millionRows(b)
	for i := 0; i < b.N; i++ {
		lineCountTime(b, path)
	}
	b.ReportMetric(float64(bigCSV.base.Microseconds())/1000, "ms-best-of-5")
}

func BenchmarkTable1M_FirstPageCold(b *testing.B) {
	benchTable(b, true, TableQuery{Limit: 100, Sort: -1})
}

func BenchmarkTable1M_PageDeepWarm(b *testing.B) {
	benchTable(b, false, TableQuery{Offset: 900_000, Limit: 1000, Sort: -1})
}

func BenchmarkTable1M_SortedPageCold(b *testing.B) {
	benchTable(b, true, TableQuery{Limit: 100, Sort: 3, Desc: true})
}

func BenchmarkTable1M_SortedPageWarm(b *testing.B) {
	benchTable(b, false, TableQuery{Offset: 500_000, Limit: 1000, Sort: 3})
}

func BenchmarkTable1M_SortTextCold(b *testing.B) {
	benchTable(b, true, TableQuery{Limit: 100, Sort: 5})
}

func BenchmarkTable1M_SearchCold(b *testing.B) {
	benchTable(b, true, TableQuery{Limit: 100, Sort: -1, Q: "comma 99"})
}

func BenchmarkTable1M_IndexOnlyCold(b *testing.B) {
	benchTable(b, true, TableQuery{Offset: 10, Limit: 100, Sort: -1})
}
