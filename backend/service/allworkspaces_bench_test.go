package service_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// Size of the All workspaces benchmark.
const (
	allWorkspaces = 1000
	allWithRole   = 300 // workspaces with a request of their own, naming their project
)

// BenchmarkListAllWorkspaces lists 1,000 job-runner workspace folders for an output
// checker, grouped by the projects recorded on 300 workspaces' requests (all, and
// searched). The baseline, timed in the same run, is the reference's cheap scan of the same
// folders: os.ReadDir of the root and a stat of each workspace's metadata/manifest.json.
func BenchmarkListAllWorkspaces(b *testing.B) {
	env := testenv.NewEnv(b)
	ctx := testenv.Ctx()
	author := airlock.User{Username: "many", Fullname: "Many Roles", Workspaces: map[string]airlock.WorkspaceGrant{}}
	for i := range allWorkspaces {
		ws := fmt.Sprintf("study-%04d", i)
		env.AddWorkspace(b, ws)
		env.WriteFiles(b, ws, map[string]string{"output/table.csv": "n\n5\n"})
		if i < allWithRole {
			author.Workspaces[ws] = airlock.WorkspaceGrant{Project: airlock.Project{
				Name: fmt.Sprintf("Project %02d", i%30), Ongoing: true, Orgs: []string{fmt.Sprintf("Org %d", i%7)},
			}}
		}
	}
	for i := range allWithRole {
		_, _, err := env.Svc.GetOrCreateRequest(ctx, author, fmt.Sprintf("study-%04d", i))
		benchMust(b, err)
	}
	total := allWorkspaces + 2 // and the environment's two
	checker := testenv.Checker1()
	got, err := env.Svc.ListAllWorkspaces(ctx, checker, "")
	benchMust(b, err)
	if got.Total != total || got.Matched != total || len(got.Projects) != 31 {
		b.Fatalf("listed %d of %d in %d projects", got.Matched, got.Total, len(got.Projects))
	}

	for _, c := range []struct{ name, q string }{{"all", ""}, {"search", "org 3"}} {
		b.Run(c.name, func(b *testing.B) {
			var listT, scanT time.Duration
			for b.Loop() {
				b.StopTimer()
				start := time.Now()
				des, err := os.ReadDir(env.Root)
				benchMust(b, err)
				n := 0
				for _, de := range des {
					if _, err := os.Stat(filepath.Join(env.Root, de.Name(), "metadata", "manifest.json")); err == nil {
						n++
					}
				}
				scanT += time.Since(start)
				if n != total {
					b.Fatalf("scan: %d manifests", n)
				}
				b.StartTimer()

				start = time.Now()
				got, err := env.Svc.ListAllWorkspaces(ctx, checker, c.q)
				listT += time.Since(start)
				if err != nil || got.Total != total || got.Matched == 0 {
					b.Fatalf("ListAllWorkspaces: %+v, %v", got.Matched, err)
				}
			}
			n := float64(b.N)
			b.ReportMetric(listT.Seconds()*1e3/n, "ms/list")
			b.ReportMetric(scanT.Seconds()*1e3/n, "scan_ms")
			b.ReportMetric(listT.Seconds()/scanT.Seconds(), "x_scan")
		})
	}
}
