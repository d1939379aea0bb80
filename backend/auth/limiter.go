package auth

import (
	"context"
	"time"
)

// FailureLog keeps the failed logins the limiter counts, in the database (implemented by
// the stores): every server of a database counts the same failures, and a restart forgets
// none. It only stores and lists; what the failures mean is the limiter's rule.
type FailureLog interface {
	// RecordLoginFailure stores one failure at at under each of keys and, in the same
	// transaction, removes a bounded batch of failures recorded at or before since (they no
	// longer count).
	RecordLoginFailure(ctx context.Context, keys []string, at, since time.Time) error
	// LoginFailures returns the times of key's failures after since, newest first, at most
	// limit of them.
	LoginFailures(ctx context.Context, key string, since time.Time, limit int) ([]time.Time, error)
	// ClearLoginFailures removes every failure of key.
	ClearLoginFailures(ctx context.Context, key string) error
}

// limiter counts login failures per key (user or address) over a sliding window: a key with
// max failures within the window is refused until the oldest of those leaves it.
type limiter struct {
	log    FailureLog
	window time.Duration
}

type limit struct {
	key string
	max int
}

func newLimiter(log FailureLog, window time.Duration) *limiter {
	return &limiter{log: log, window: window}
}

// blocked returns how long until the first over-limit key accepts attempts again (0:
// allowed), and how many failures of the first key (the user's) count now.
func (l *limiter) blocked(ctx context.Context, now time.Time, limits ...limit) (time.Duration, int, error) {
	var wait time.Duration
	first := 0
	for i, lim := range limits {
		ts, err := l.log.LoginFailures(ctx, lim.key, now.Add(-l.window), lim.max)
		if err != nil {
			return 0, 0, err
		}
		if i == 0 {
			first = len(ts)
		}
		if len(ts) >= lim.max {
			// ts is newest first: the max-th newest failure is the one that must leave the
			// window before the key is under its limit again.
			if w := ts[lim.max-1].Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait, first, nil
}

// fail records a failure at now under every key.
func (l *limiter) fail(ctx context.Context, now time.Time, limits ...limit) error {
	keys := make([]string, len(limits))
	for i, lim := range limits {
		keys[i] = lim.key
	}
	return l.log.RecordLoginFailure(ctx, keys, now, now.Add(-l.window))
}

// reset forgets the failures of key.
func (l *limiter) reset(ctx context.Context, key string) error {
	return l.log.ClearLoginFailures(ctx, key)
}
