package live_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/live"
)

// BenchmarkFanOutSockets1000 publishes one committed change to 1,000 connected WebSocket
// clients (real listener, real gorilla clients) and reports how long each client waited for
// it: p50, p99 and max over every delivery. Goal (issue 3): p99 ≤ 100 ms.
func BenchmarkFanOutSockets1000(b *testing.B) {
	const clients = 1000
	hub := live.NewHub(live.Config{})
	srv := newBenchServer(hub)
	defer srv.Close()
	defer hub.Close()

	arrivals := make(chan time.Time, clients*4)
	conns := make([]*websocket.Conn, 0, clients)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/?user=checker&session=s"
	for i := 0; i < clients; i++ {
		c, resp, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		_ = resp.Body.Close()
		conns = append(conns, c)
		if _, _, err := c.ReadMessage(); err != nil { // hello
			b.Fatal(err)
		}
		go func() {
			for {
				_, r, err := c.NextReader()
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, r)
				arrivals <- time.Now()
			}
		}()
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for hub.Count() < clients {
		time.Sleep(time.Millisecond)
	}

	var waits []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		hub.Publish(airlock.Event{Type: airlock.EventRequestChanged, RequestID: "r1", Workspace: "ws1", Status: airlock.StatusSubmitted})
		for range clients {
			waits = append(waits, (<-arrivals).Sub(start))
		}
	}
	b.StopTimer()
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	q := func(p float64) float64 { return float64(waits[int(p*float64(len(waits)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	if hub.Count() != clients {
		b.Fatalf("%d clients were dropped", clients-hub.Count())
	}
}

func newBenchServer(hub *live.Hub) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = hub.ServeWS(w, r, users[r.URL.Query().Get("user")], r.URL.Query().Get("session"))
	}))
}
