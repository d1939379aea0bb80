package workspace

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// drive plays the owner's part for a hash pool: it feeds queued jobs and takes results
// until n results came, and returns them.
func drive(t *testing.T, h *hashPool, n int) []hashResult {
	t.Helper()
	var out []hashResult
	deadline := time.After(waitFor)
	for len(out) < n {
		jobs, next := h.feed()
		select {
		case jobs <- next:
			h.fed()
		case r := <-h.results:
			h.done(r)
			out = append(out, r)
		case <-deadline:
			t.Fatalf("%d of %d results after %v", len(out), n, waitFor)
		}
	}
	return out
}

func TestHashPoolHashesEachPathOnceAtATime(t *testing.T) {
	// The first two hashes wait for each other: both workers run at once, never a third.
	gate := make(chan struct{})
	var open sync.Once
	var mu sync.Mutex
	running, most := 0, 0
	calls := map[pathKey]int{}
	h := newHashPool(2, func(ws, p string) error {
		mu.Lock()
		running++
		most = max(most, running)
		calls[pathKey{ws, p}]++
		if running == 2 {
			open.Do(func() { close(gate) })
		}
		mu.Unlock()
		<-gate
		mu.Lock()
		running--
		mu.Unlock()
		if p == "bad.csv" {
			return errors.New("unreadable")
		}
		return nil
	})
	stop := h.start(context.Background())
	defer stop()

	keys := []pathKey{{"a", "1.csv"}, {"a", "2.csv"}, {"b", "bad.csv"}, {"b", "3.csv"}}
	for _, k := range keys {
		require.True(t, h.add(k))
	}
	assert.False(t, h.add(keys[0]), "already queued")
	assert.Equal(t, 2, h.inflight("a"))
	assert.Equal(t, 2, h.inflight("b"))
	assert.Equal(t, 4, h.len())

	got := map[pathKey]error{}
	for _, r := range drive(t, h, len(keys)) {
		got[r.pathKey] = r.err
	}
	assert.Len(t, got, 4)
	assert.EqualError(t, got[pathKey{"b", "bad.csv"}], "unreadable")
	assert.NoError(t, got[pathKey{"a", "1.csv"}])
	assert.Zero(t, h.len())
	assert.Zero(t, h.inflight("a"))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 2, most, "two at once, never more")
	for _, k := range keys {
		assert.Equal(t, 1, calls[k], "%v hashed once", k)
	}
	assert.True(t, h.add(keys[0]), "a finished path can be queued again")
}

func TestHashPoolStopsWhenItsResultsAreNotTaken(t *testing.T) {
	started := make(chan struct{})
	h := newHashPool(1, func(string, string) error {
		close(started)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	stop := h.start(ctx)
	h.add(pathKey{"a", "x.csv"})
	jobs, next := h.feed()
	jobs <- next
	h.fed()
	<-started
	// The owner stops without taking the result: the worker gives it up once ctx ends.
	cancel()
	stop()
	jobs, _ = h.feed()
	assert.Nil(t, jobs, "nothing left to feed")
}
