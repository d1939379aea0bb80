package workspace

import (
	"context"
	"sync"
)

type hashResult struct {
	pathKey
	err error
}

// hashPool hashes files on a few workers, so that a file's hash is cached before its
// change is published. A path is queued once however often it is added while queued or
// being hashed. The owner (the watcher's loop) calls every method from its goroutine and
// offers the next job in its select (feed, fed) and takes results from results; only
// the workers run hash.
type hashPool struct {
	hash    func(ws, p string) error
	workers int
	queue   []pathKey
	queued  map[pathKey]bool
	perWS   map[string]int
	jobs    chan pathKey
	results chan hashResult
}

func newHashPool(workers int, hash func(ws, p string) error) *hashPool {
	return &hashPool{hash: hash, workers: workers, queued: map[pathKey]bool{}, perWS: map[string]int{},
		jobs: make(chan pathKey), results: make(chan hashResult)}
}

// start runs the workers until stop, which waits for them; a worker whose result is not
// taken gives it up when ctx ends.
func (h *hashPool) start(ctx context.Context) (stop func()) {
	var wg sync.WaitGroup
	for range h.workers {
		wg.Go(func() {
			for k := range h.jobs {
				err := h.hash(k.ws, k.p)
				select {
				case h.results <- hashResult{k, err}:
				case <-ctx.Done():
				}
			}
		})
	}
	return func() {
		close(h.jobs)
		wg.Wait()
	}
}

// add queues k; it reports false when k is already queued or being hashed.
func (h *hashPool) add(k pathKey) bool {
	if h.queued[k] {
		return false
	}
	h.queued[k] = true
	h.perWS[k.ws]++
	h.queue = append(h.queue, k)
	return true
}

// feed returns the jobs channel and the next job, or a nil channel when none waits (a
// select case that is never ready).
func (h *hashPool) feed() (chan<- pathKey, pathKey) {
	if len(h.queue) == 0 {
		return nil, pathKey{}
	}
	return h.jobs, h.queue[0]
}

// fed records that the job from feed was taken by a worker.
func (h *hashPool) fed() { h.queue = h.queue[1:] }

// done records a result taken from results.
func (h *hashPool) done(r hashResult) {
	delete(h.queued, r.pathKey)
	if h.perWS[r.ws]--; h.perWS[r.ws] == 0 {
		delete(h.perWS, r.ws)
	}
}

// inflight counts the paths of ws queued or being hashed.
func (h *hashPool) inflight(ws string) int { return h.perWS[ws] }

// len counts the paths queued or being hashed.
func (h *hashPool) len() int { return len(h.queued) }
