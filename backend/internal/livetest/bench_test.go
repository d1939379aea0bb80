package livetest

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// BenchmarkChangeToClient measures the time from a change on disk to the WebSocket client
// of the served backend being told (its workspace.changed frame read), with the watcher's
// defaults, over 1,000 changes per round: 20 workspaces changing concurrently, one new
// file at a time each, each change waiting for its frame before the next.
func BenchmarkChangeToClient(b *testing.B) {
	const workspaces, perWorkspace = 20, 50
	files := map[string]string{}
	var wsNames []string
	for i := range workspaces {
		ws := fmt.Sprintf("bench%02d", i)
		wsNames = append(wsNames, ws)
		files[ws+"/out/seed.csv"] = "seed\n"
	}
	bob := newAccount("bob", wsNames...)
	s := start(b, config{users: []account{bob}, files: files})

	// Each change has a waiter for its frame, and the time the hub handed its event on
	// (an in-process subscriber of the same hub): the split between the watcher and the
	// WebSocket path.
	type waiter struct {
		frame chan time.Time
		hub   time.Time
	}
	var mu sync.Mutex
	waiters := map[string]*waiter{}
	onFrame := func(f frame) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range f.Paths {
			if w, ok := waiters[f.Workspace+"/"+p]; ok {
				w.frame <- f.At
				delete(waiters, f.Workspace+"/"+p)
			}
		}
	}
	unsubscribe := s.B.Hub.Subscribe(bob.user(), sinkFunc(func(ev airlock.Event) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, p := range ev.Paths {
			if w, ok := waiters[ev.Workspace+"/"+p]; ok && w.hub.IsZero() {
				w.hub = now
			}
		}
	}))
	defer unsubscribe()
	dial(b, s.URL, login(b, s.URL, bob), onFrame)

	var all, hub []time.Duration
	round := 0
	for b.Loop() {
		round++
		var lmu sync.Mutex
		var wg sync.WaitGroup
		for _, ws := range wsNames {
			wg.Go(func() {
				for j := range perWorkspace {
					rel := fmt.Sprintf("out/r%d-f%03d.csv", round, j)
					w := &waiter{frame: make(chan time.Time, 1)}
					mu.Lock()
					waiters[ws+"/"+rel] = w
					mu.Unlock()
					began := time.Now()
					if err := os.WriteFile(s.path(ws+"/"+rel), []byte("1,2,3\n"), 0o644); err != nil {
						b.Error(err)
						return
					}
					select {
					case at := <-w.frame:
						mu.Lock()
						atHub := w.hub
						mu.Unlock()
						lmu.Lock()
						all = append(all, at.Sub(began))
						if !atHub.IsZero() {
							hub = append(hub, atHub.Sub(began))
						}
						lmu.Unlock()
					case <-time.After(waitTimeout):
						b.Errorf("no frame for %s/%s", ws, rel)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	slices.Sort(hub)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(ds []time.Duration, q float64) float64 { return ms(ds[min(len(ds)-1, int(q*float64(len(ds))))]) }
	b.ReportMetric(pct(all, 0.50), "p50-ms")
	b.ReportMetric(pct(all, 0.99), "p99-ms")
	b.ReportMetric(ms(all[len(all)-1]), "max-ms")
	if len(hub) > 0 {
		b.ReportMetric(pct(hub, 0.50), "hub-p50-ms")
		b.ReportMetric(pct(hub, 0.99), "hub-p99-ms")
	}
	b.ReportMetric(float64(len(all)), "changes")
}

// sinkFunc adapts a function to live.Sink.
type sinkFunc func(ev airlock.Event)

func (f sinkFunc) Deliver(ev airlock.Event) { f(ev) }
