package auth

import (
	"sync"
	"time"
)

// limiter counts login failures per key (user or address) over a sliding window.
type limiter struct {
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
	sweptAt  time.Time
}

type limit struct {
	key string
	max int
}

func newLimiter(window time.Duration) *limiter {
	return &limiter{window: window, failures: map[string][]time.Time{}}
}

// blocked returns how long until the first over-limit key accepts attempts again (0: allowed).
func (l *limiter) blocked(now time.Time, limits ...limit) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, lim := range limits {
		ts := l.recent(now, lim.key)
		if len(ts) >= lim.max {
			if w := ts[len(ts)-lim.max].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

func (l *limiter) fail(now time.Time, limits ...limit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, lim := range limits {
		l.failures[lim.key] = append(l.recent(now, lim.key), now)
	}
	if now.Sub(l.sweptAt) > l.window {
		l.sweptAt = now
		for k := range l.failures {
			if len(l.recent(now, k)) == 0 {
				delete(l.failures, k)
			}
		}
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// recent drops the failures of key older than the window and returns the rest.
func (l *limiter) recent(now time.Time, key string) []time.Time {
	ts := l.failures[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	if i > 0 {
		ts = append([]time.Time(nil), ts[i:]...)
		if len(ts) == 0 {
			delete(l.failures, key)
		} else {
			l.failures[key] = ts
		}
	}
	return ts
}
