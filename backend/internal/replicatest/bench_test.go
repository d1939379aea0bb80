package replicatest

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// BenchmarkCrossReplicaEventLatency measures, over loopback, the time from a change sent to
// server A (a group's context edited: one commit) to the request.changed frame on a socket
// of server B, and on a socket of A itself as the baseline of the same run; it reports p50
// and p99 of both and the ratio of B's p50 to A's. A bounded loop: one change at a time,
// each waiting for both frames.
func BenchmarkCrossReplicaEventLatency(b *testing.B) {
	c := newCluster(b)
	a, srvB := c.start("a"), c.start("b")
	alice, _ := login(b, a, "alice", "alice-token")
	olivia, _ := login(b, a, "olivia", "olivia-token")
	var r reqView
	must(b, a, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	addFiles(b, a, alice, r.ID, "output/counts.csv")
	local, remote := dial(b, a, olivia), dial(b, srvB, olivia)
	isChange := func(f frame) bool { return f.Type == "request.changed" && f.RequestID == r.ID }
	drain := func(so *socket) {
		for {
			select {
			case <-so.frames:
			default:
				return
			}
		}
	}
	var onA, onB []time.Duration
	b.ResetTimer()
	for i := range b.N {
		drain(local)
		drain(remote)
		start := time.Now()
		must(b, a, alice, "PATCH", "/api/v1/requests/"+r.ID+"/groups/results",
			map[string]string{"context": fmt.Sprintf("Counts by group, edit %d", i), "controls": "Rounded to 5"}, nil)
		fa := local.next(b, "the frame on A", isChange)
		fb := remote.next(b, "the frame on B", isChange)
		onA, onB = append(onA, fa.at.Sub(start)), append(onB, fb.at.Sub(start))
	}
	b.StopTimer()
	pct := func(d []time.Duration, p int) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[min(len(d)-1, len(d)*p/100)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(onA, 50), "A-p50-ms")
	b.ReportMetric(pct(onA, 99), "A-p99-ms")
	b.ReportMetric(pct(onB, 50), "B-p50-ms")
	b.ReportMetric(pct(onB, 99), "B-p99-ms")
	b.ReportMetric(pct(onB, 50)/pct(onA, 50), "B/A-p50")
}
