package workspace

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// BenchmarkChangeToPublish measures the time from a change on disk to Publish, with the
// default debounce, over 1,000 changes (20 workspaces changing concurrently, one file
// change at a time each).
func BenchmarkChangeToPublish(b *testing.B) {
	const workspaces, perWorkspace = 20, 50
	root := b.TempDir()
	for i := range workspaces {
		writeFile(b, root, fmt.Sprintf("ws%02d/out/seed.csv", i), "seed")
	}
	var mu sync.Mutex
	waiters := map[string]chan time.Time{}
	rec := &recorder{notify: func(ev airlock.Event, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range ev.Paths {
			if c, ok := waiters[ev.Workspace+"/"+p]; ok {
				c <- at
				delete(waiters, ev.Workspace+"/"+p)
			}
		}
	}}
	w := NewWatcher(New(root, Options{}), rec)
	errc := make(chan error, 1)
	go func() { errc <- w.Run(context.Background()) }()
	<-w.Ready()
	defer func() {
		_ = w.Close()
		<-errc
	}()

	var all []time.Duration
	round := 0
	for b.Loop() {
		round++
		lat := make([]time.Duration, 0, workspaces*perWorkspace)
		var lmu sync.Mutex
		var wg sync.WaitGroup
		for i := range workspaces {
			wg.Go(func() {
				for j := range perWorkspace {
					rel := fmt.Sprintf("out/r%d-f%03d.csv", round, j)
					c := make(chan time.Time, 1)
					mu.Lock()
					waiters[fmt.Sprintf("ws%02d/%s", i, rel)] = c
					mu.Unlock()
					start := time.Now()
					p := filepath.Join(root, fmt.Sprintf("ws%02d", i), rel)
					if err := os.WriteFile(p, []byte("1,2,3\n"), 0o644); err != nil {
						b.Error(err)
						return
					}
					select {
					case at := <-c:
						lmu.Lock()
						lat = append(lat, at.Sub(start))
						lmu.Unlock()
					case <-time.After(10 * time.Second):
						b.Errorf("no event for %s", p)
						return
					}
				}
			})
		}
		wg.Wait()
		all = append(all, lat...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	pct := func(q float64) float64 {
		return float64(all[min(len(all)-1, int(q*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(all)), "changes")
}

// BenchmarkStartup10kDirs measures how long the watcher takes to watch 10,000 folders (and
// the heap it holds), against `find` over the same tree in the same run.
func BenchmarkStartup10kDirs(b *testing.B) {
	if _, err := exec.LookPath("find"); err != nil {
		b.Skip("find not installed")
	}
	root := b.TempDir()
	// 10 workspaces × (9 folders × (1 + 110 subfolders)) = 9,990 folders + 10 workspaces.
	for w := range 10 {
		for d := range 9 {
			for s := range 110 {
				dir := filepath.Join(root, fmt.Sprintf("ws%d", w), fmt.Sprintf("d%d", d), fmt.Sprintf("s%03d", s))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "f.csv"), []byte("x"), 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	var watchTotal, findTotal time.Duration
	var heap uint64
	dirs := 0
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w := NewWatcher(New(root, Options{}), &recorder{})
		errc := make(chan error, 1)
		start := time.Now()
		go func() { errc <- w.Run(context.Background()) }()
		<-w.Ready()
		watchTotal += time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if after.HeapAlloc > before.HeapAlloc {
			heap = after.HeapAlloc - before.HeapAlloc
		}
		dirs = w.Status().WatchedDirs
		if len(w.Status().Degraded) > 0 {
			b.Fatalf("degraded: %v", w.Status())
		}
		_ = w.Close()
		<-errc

		start = time.Now()
		if out, err := exec.Command("find", root).Output(); err != nil || len(out) == 0 {
			b.Fatal(err)
		}
		findTotal += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(dirs), "dirs")
	b.ReportMetric(watchTotal.Seconds()*1000/n, "watch-ms")
	b.ReportMetric(findTotal.Seconds()*1000/n, "find-ms")
	b.ReportMetric(watchTotal.Seconds()/findTotal.Seconds(), "watch/find")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
}
