package workspace

import (
	"cmp"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

type pathKey struct{ ws, p string }

// pending is the activity on one path that has not settled yet.
type pending struct {
	first, last time.Time
	ops         fsnotify.Op
}

// settled is a path whose activity has settled.
type settled struct {
	pathKey
	ops fsnotify.Op
	// busy: the path is still active but has waited the ceiling; it is reported as it is.
	busy bool
}

// debouncer settles the activity on paths: a path settles once it has been quiet for
// quiet, or once it has been active for ceiling (then it is busy). It holds no clock: the
// caller says what time it is. Not safe for concurrent use.
type debouncer struct {
	quiet, ceiling time.Duration
	paths          map[pathKey]*pending
	perWS          map[string]int
}

func newDebouncer(quiet, ceiling time.Duration) *debouncer {
	return &debouncer{quiet: quiet, ceiling: ceiling, paths: map[pathKey]*pending{}, perWS: map[string]int{}}
}

// mark records activity on k at now and returns when k settles if nothing more happens.
func (d *debouncer) mark(k pathKey, op fsnotify.Op, now time.Time) time.Time {
	pd, ok := d.paths[k]
	if !ok {
		pd = &pending{first: now}
		d.paths[k] = pd
		d.perWS[k.ws]++
	}
	pd.last = now
	pd.ops |= op
	return d.deadline(pd)
}

func (d *debouncer) deadline(pd *pending) time.Time {
	q, c := pd.last.Add(d.quiet), pd.first.Add(d.ceiling)
	if c.Before(q) {
		return c
	}
	return q
}

// due removes and returns the paths settled at now, in path order.
func (d *debouncer) due(now time.Time) []settled {
	var out []settled
	for k, pd := range d.paths {
		quiet := now.Sub(pd.last) >= d.quiet
		if !quiet && now.Sub(pd.first) < d.ceiling {
			continue
		}
		delete(d.paths, k)
		if d.perWS[k.ws]--; d.perWS[k.ws] == 0 {
			delete(d.perWS, k.ws)
		}
		out = append(out, settled{pathKey: k, ops: pd.ops, busy: !quiet})
	}
	slices.SortFunc(out, func(a, b settled) int {
		return cmp.Or(cmp.Compare(a.ws, b.ws), cmp.Compare(a.p, b.p))
	})
	return out
}

// next is when the first pending path settles (zero when none is pending).
func (d *debouncer) next() time.Time {
	var at time.Time
	for _, pd := range d.paths {
		if t := d.deadline(pd); at.IsZero() || t.Before(at) {
			at = t
		}
	}
	return at
}

// unsettled counts the paths of ws still settling.
func (d *debouncer) unsettled(ws string) int { return d.perWS[ws] }

// len counts the paths still settling.
func (d *debouncer) len() int { return len(d.paths) }
