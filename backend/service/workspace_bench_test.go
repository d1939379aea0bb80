package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/workspace"
	"github.com/trelab/airlock/internal/testbin"
)

// Sizes of the ListTree benchmark's directory.
const (
	listFiles    = 10_000
	listReleased = 200 // released by an earlier request of the researcher
	listOnReq    = 300 // on the researcher's current request ...
	listUpdated  = 50  // ... of which changed in the workspace since
)

// BenchmarkListTree lists one directory of 10,000 files with each file's status for a
// researcher who has released 200 of them (an earlier request) and holds 300 others on
// their current request, 50 of which have changed since (goal ≤ 20 ms). The baseline,
// timed in the same run, is os.ReadDir of the same directory.
//
//   - manifest: a job-runner workspace (metadata from the manifest).
//   - plain: a plain folder (metadata and hashes from the disk, hashes cached).
//
// Each without and with a workspace watcher running ("watched"), as serve runs one: it
// lets the workspace reader keep its snapshot between changes.
func BenchmarkListTree(b *testing.B) {
	b.Run("manifest", func(b *testing.B) { benchmarkListTree(b, false, false) })
	b.Run("manifest-watched", func(b *testing.B) { benchmarkListTree(b, false, true) })
	b.Run("plain", func(b *testing.B) { benchmarkListTree(b, true, false) })
	b.Run("plain-watched", func(b *testing.B) { benchmarkListTree(b, true, true) })
}

func benchmarkListTree(b *testing.B, plain, watched bool) {
	env := testenv.NewEnv(b)
	ctx, author, ws := testenv.Ctx(), testenv.Researcher(), testenv.Workspace
	paths := benchPaths("output", "file", 0, listFiles)
	files := make(map[string]string, len(paths))
	for _, p := range paths {
		files[p] = "content of " + p + "\n"
	}
	env.WriteFiles(b, ws, files)
	if plain {
		benchMust(b, os.Remove(filepath.Join(env.Root, ws, "metadata", "manifest.json")))
	}
	released := paths[:listReleased]
	id := benchApprovedRequest(b, env, released, 100)
	benchUploadAll(b, env, id, released)
	onReq := paths[listReleased : listReleased+listOnReq]
	cur := benchCurrentRequest(b, env)
	benchAddInGroups(b, env, cur, onReq, 100)
	env.Clock.Advance(time.Minute)
	changed := map[string]string{}
	for _, p := range onReq[:listUpdated] {
		changed[p] = "new content of " + p + "\n"
	}
	if plain {
		for p, c := range changed {
			env.WriteRaw(b, ws, p, c)
		}
	} else {
		env.WriteFiles(b, ws, changed)
	}

	// The statuses the benchmark must see (checked once, outside the timing).
	items, err := env.Svc.ListTree(ctx, author, ws, "output", false)
	benchMust(b, err)
	counts := map[airlock.WorkspaceFileStatus]int{}
	for _, it := range items {
		counts[it.Status]++
	}
	want := map[airlock.WorkspaceFileStatus]int{
		airlock.WorkspaceReleased:    listReleased,
		airlock.WorkspaceUnderReview: listOnReq - listUpdated,
		airlock.WorkspaceUpdated:     listUpdated,
		airlock.WorkspaceUnreleased:  listFiles - listReleased - listOnReq,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		b.Fatalf("statuses = %v, want %v", counts, want)
	}

	if watched {
		w := workspace.NewWatcher(env.Workspaces, nil)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- w.Run(runCtx) }()
		b.Cleanup(func() {
			stop()
			benchMust(b, <-done)
		})
		select {
		case <-w.Ready():
		case err := <-done:
			b.Fatalf("watcher stopped: %v", err)
		}
	}

	dir := filepath.Join(env.Root, ws, "output")
	var listT, readT, cpuT time.Duration
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		des, err := os.ReadDir(dir)
		readT += time.Since(start)
		benchMust(b, err)
		if len(des) != listFiles {
			b.Fatalf("ReadDir: %d entries", len(des))
		}
		b.StartTimer()

		start, cpu := time.Now(), testbin.CPUTime()
		items, err := env.Svc.ListTree(ctx, author, ws, "output", false)
		listT += time.Since(start)
		cpuT += testbin.CPUTime() - cpu
		if err != nil || len(items) != listFiles {
			b.Fatalf("ListTree: %d items, %v", len(items), err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(listT.Seconds()*1e3/n, "ms/list")
	b.ReportMetric(cpuT.Seconds()*1e3/n, "cpu_ms/list")
	b.ReportMetric(readT.Seconds()*1e3/n, "readdir_ms")
	b.ReportMetric(listT.Seconds()/readT.Seconds(), "x_readdir")
}
