package postgres_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/store/postgres"
)

// inbox collects what a bus receives.
type inbox struct {
	mu   sync.Mutex
	msgs []string
	gaps int
	ch   chan struct{}
}

func newInbox() *inbox { return &inbox{ch: make(chan struct{}, 1024)} }

func (in *inbox) receive(kind string, body []byte) {
	in.mu.Lock()
	in.msgs = append(in.msgs, kind+":"+string(body))
	in.mu.Unlock()
	in.ch <- struct{}{}
}

func (in *inbox) gap() {
	in.mu.Lock()
	in.gaps++
	in.mu.Unlock()
	in.ch <- struct{}{}
}

func (in *inbox) snapshot() ([]string, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.msgs...), in.gaps
}

// waitFor waits until cond holds, re-checking whenever the inbox hears something.
func (in *inbox) waitFor(t *testing.T, what string, cond func(msgs []string, gaps int) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if cond(in.snapshot()) {
			return
		}
		select {
		case <-in.ch:
		case <-deadline:
			msgs, gaps := in.snapshot()
			t.Fatalf("waiting for %s: messages %q, gaps %d", what, msgs, gaps)
		}
	}
}

func startBus(t *testing.T, url string, in *inbox) *postgres.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := postgres.StartBus(ctx, postgres.BusConfig{URL: url, Receive: in.receive, OnGap: in.gap})
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

func admin(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// What one server sends, every other server receives in order, and the sender does not.
func TestBusDeliversToOthersOnly(t *testing.T) {
	url := pgtest.New(t)
	ina, inb, inc := newInbox(), newInbox(), newInbox()
	a, b := startBus(t, url, ina), startBus(t, url, inb)
	startBus(t, url, inc)
	require.NotEqual(t, a.Origin(), b.Origin())
	for _, body := range []string{"one", "two", "three"} {
		require.NoError(t, a.Send("event", []byte(body)))
	}
	require.NoError(t, b.Send("event", []byte("from b")))
	want := func(n int) func([]string, int) bool {
		return func(m []string, _ int) bool { return len(m) >= n }
	}
	inb.waitFor(t, "a's three messages on b", want(3))
	inc.waitFor(t, "four messages on c", want(4))
	ina.waitFor(t, "b's message on a", want(1))
	msgs, _ := inb.snapshot()
	require.Equal(t, []string{"event:one", "event:two", "event:three"}, msgs)
	msgs, _ = ina.snapshot()
	require.Equal(t, []string{"event:from b"}, msgs, "a hears only b")
	msgs, _ = inc.snapshot()
	var fromA []string
	for _, m := range msgs {
		if m != "event:from b" {
			fromA = append(fromA, m)
		}
	}
	require.Len(t, msgs, 4)
	require.Equal(t, []string{"event:one", "event:two", "event:three"}, fromA, "a's messages keep their order")
}

// A message too long for NOTIFY, or of a kind that cannot be framed, is refused at Send.
func TestBusRefusesWhatCannotBeSent(t *testing.T) {
	url := pgtest.New(t)
	a := startBus(t, url, newInbox())
	require.Error(t, a.Send("event", make([]byte, postgres.MaxBusPayload+1)))
	require.Error(t, a.Send("a|b", nil))
	require.Error(t, a.Send("", nil))
	require.NoError(t, a.Send("event", make([]byte, postgres.MaxBusPayload)), "the largest body goes through NOTIFY")
}

// A server whose listening connection is cut listens again and reports the gap; messages
// sent after that reach it again.
func TestBusReportsGapAfterReconnect(t *testing.T) {
	url := pgtest.New(t)
	ina, inb := newInbox(), newInbox()
	a, b := startBus(t, url, ina), startBus(t, url, inb)
	_ = a
	c := admin(t, url)
	var n int
	require.NoError(t, c.QueryRow(context.Background(),
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		 WHERE datname = current_database() AND query = 'LISTEN `+postgres.BusChannel+`'`).Scan(&n))
	require.Equal(t, 2, n, "both listeners cut")
	inb.waitFor(t, "a gap on b", func(_ []string, gaps int) bool { return gaps >= 1 })
	ina.waitFor(t, "a gap on a", func(_ []string, gaps int) bool { return gaps >= 1 })
	require.Eventually(t, b.Listening, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, a.Send("event", []byte("after")))
	inb.waitFor(t, "the message after the gap", func(m []string, _ int) bool { return len(m) == 1 && m[0] == "event:after" })
}

// A claim is held by one holder across servers until released or its connection ends;
// then another server takes it, and the lost holder's context is cancelled.
func TestLocksOneHolderAcrossServers(t *testing.T) {
	url := pgtest.New(t)
	ctx := context.Background()
	la, lb := postgres.NewLocks(url, nil), postgres.NewLocks(url, nil)
	t.Cleanup(la.Close)
	t.Cleanup(lb.Close)

	actx, release, ok, err := la.Claim(ctx, "upload r1 a.csv")
	require.NoError(t, err)
	require.True(t, ok)
	_, _, ok, err = lb.Claim(ctx, "upload r1 a.csv")
	require.NoError(t, err)
	require.False(t, ok, "b may not take a's claim")
	_, _, ok, err = la.Claim(ctx, "upload r1 a.csv")
	require.NoError(t, err)
	require.False(t, ok, "nor a a second time")
	_, relOther, ok, err := lb.Claim(ctx, "upload r1 b.csv")
	require.NoError(t, err)
	require.True(t, ok, "another name is free")
	relOther()

	release()
	require.Error(t, actx.Err(), "released: the claim's context ends")
	bctx, brelease, ok, err := lb.Claim(ctx, "upload r1 a.csv")
	require.NoError(t, err)
	require.True(t, ok, "released: b takes it")

	// b's connection dies (as when its server is killed): the lock goes with it.
	c := admin(t, url)
	var n int
	require.NoError(t, c.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n))
	require.Equal(t, 1, n)
	require.Eventually(t, func() bool {
		_, rel, ok, err := la.Claim(ctx, "upload r1 a.csv")
		if err == nil && ok {
			rel()
		}
		return ok
	}, 30*time.Second, 20*time.Millisecond, "a takes over the claim b lost")
	select {
	case <-bctx.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("b's claim context was not cancelled after its connection was lost")
	}
	brelease() // after the loss: harmless
}

// BenchmarkBusLatency measures the time from Send on one server to Receive on another,
// over loopback: p50 and p99 of a bounded loop, one message in flight at a time.
func BenchmarkBusLatency(b *testing.B) {
	url := pgtest.New(b)
	got := make(chan time.Time, 1)
	ctx := context.Background()
	a, err := postgres.StartBus(ctx, postgres.BusConfig{URL: url})
	require.NoError(b, err)
	defer a.Close()
	r, err := postgres.StartBus(ctx, postgres.BusConfig{URL: url, Receive: func(string, []byte) { got <- time.Now() }})
	require.NoError(b, err)
	defer r.Close()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		require.NoError(b, a.Send("event", []byte(`{"type":"request.changed","requestId":"r1","workspace":"w"}`)))
		select {
		case at := <-got:
			lat = append(lat, at.Sub(start))
		case <-time.After(30 * time.Second):
			b.Fatal("no message within 30 s")
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// Close sends what is still queued before it stops: a command that changed something tells
// the servers before it exits.
func TestBusCloseSendsWhatIsQueued(t *testing.T) {
	url := pgtest.New(t)
	in := newInbox()
	startBus(t, url, in)
	a, err := postgres.StartBus(context.Background(), postgres.BusConfig{URL: url})
	require.NoError(t, err)
	for i := range 50 {
		require.NoError(t, a.Send("event", []byte{byte('A' + i%26)}))
	}
	a.Close()
	a.Close() // twice is harmless
	in.waitFor(t, "the 50 messages", func(m []string, _ int) bool { return len(m) == 50 })
}
