package service_test

import (
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
	"github.com/trelab/airlock/backend/service"
)

// BenchmarkGetRequest500Files is a request of 500 output files in 5 groups, submitted and
// voted on by Checker1 (with a comment per group), as Checker2 (half-way through their
// review) sees it: the service's
// GetRequest (fresh load, workspace status of every file) and, on top, the contract's
// conversion to the API's JSON shape (visibility, decisions, actions). The baseline, timed
// in the same run, is the store's raw load of the same aggregate. Each runs on both stores
// (sub-benchmarks sqlite and postgres), so their figures come from the same run.
func BenchmarkGetRequest500Files(b *testing.B) {
	onEachStore(b, func(b *testing.B, store string) { benchGetRequest(b, store, 500) })
}

// BenchmarkGetRequest10Files is the same with 10 files in 5 groups (2 each): the size of a
// typical request, where the fixed costs of a view show.
func BenchmarkGetRequest10Files(b *testing.B) {
	onEachStore(b, func(b *testing.B, store string) { benchGetRequest(b, store, 10) })
}

// benchStores are the stores every store-bound benchmark runs on, in one run.
var benchStores = []string{"sqlite", "postgres"}

func onEachStore(b *testing.B, bench func(b *testing.B, store string)) {
	for _, store := range benchStores {
		b.Run(store, func(b *testing.B) { bench(b, store) })
	}
}

func benchGetRequest(b *testing.B, store string, n int) {
	env := testenv.NewEnv(b, testenv.WithStore(store))
	ctx, author, checker := testenv.Ctx(), testenv.Researcher(), testenv.Checker2()
	paths := benchPaths("output", "file", 0, n)
	files := make(map[string]string, n)
	for _, p := range paths {
		files[p] = "content of " + p + "\n"
	}
	env.WriteFiles(b, testenv.Workspace, files)
	id := benchCurrentRequest(b, env)
	benchAddInGroups(b, env, id, paths, n/5)
	_, err := env.Svc.Submit(ctx, author, id)
	benchMust(b, err)
	c1 := testenv.Checker1()
	_, err = env.Svc.Vote(ctx, c1, id, paths, string(airlock.VoteApproved))
	benchMust(b, err)
	// Checker2, the viewer, is half-way through their own review.
	_, err = env.Svc.Vote(ctx, checker, id, paths[:n/2], string(airlock.VoteChangesRequested))
	benchMust(b, err)
	for _, g := range []string{"group-0", "group-1", "group-2", "group-3", "group-4"} {
		_, err = env.Svc.AddComment(ctx, c1, id, g, "Looks fine to me", airlock.VisibilityPrivate)
		benchMust(b, err)
	}

	var storeT, svcT, contractT time.Duration
	for b.Loop() {
		b.StopTimer()
		start := time.Now()
		benchMust(b, env.Store.View(ctx, func(tx service.Tx) error {
			r, err := tx.GetRequest(ctx, id)
			if err == nil && len(r.OutputFiles()) != n {
				b.Fatalf("store: %d output files", len(r.OutputFiles()))
			}
			return err
		}))
		storeT += time.Since(start)
		b.StartTimer()

		start = time.Now()
		v, err := env.Svc.GetRequest(ctx, checker, id)
		svcT += time.Since(start)
		benchMust(b, err)
		if len(v.WorkspaceStatus) != n {
			b.Fatalf("service: %d statuses", len(v.WorkspaceStatus))
		}
		start = time.Now()
		out := contract.FromRequestView(v)
		contractT += time.Since(start)
		if len(out.Groups) != 5 || !out.Actions["comment"].Allowed {
			b.Fatalf("contract: %d groups, actions %v", len(out.Groups), out.Actions)
		}
	}
	nIter := float64(b.N)
	b.ReportMetric(storeT.Seconds()*1e3/nIter, "store_ms")
	b.ReportMetric(svcT.Seconds()*1e3/nIter, "service_ms")
	b.ReportMetric(contractT.Seconds()*1e3/nIter, "contract_ms")
	b.ReportMetric(nIter/svcT.Seconds(), "views/s")
	b.ReportMetric(svcT.Seconds()/storeT.Seconds(), "x_store")
	b.ReportMetric((svcT+contractT).Seconds()/storeT.Seconds(), "x_store_with_contract")
}
