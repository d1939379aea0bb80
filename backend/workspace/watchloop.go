package workspace

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/trelab/airlock/backend/airlock"
)

// wsState is what the loop knows of one workspace: the batch of changes waiting to be
// published, and how it is followed.
type wsState struct {
	changed map[string]bool
	all     bool      // the workspace itself appeared, vanished or must be refetched whole
	first   time.Time // when the oldest change of the batch was noted
	// unwatched holds folders whose watch failed for another reason than the limit: their
	// changes give no events, so the workspace's snapshot is not cached (see snapCache).
	unwatched map[string]bool
	followed  bool
}

type loop struct {
	w        *Watcher
	log      *slog.Logger
	clock    Clock
	root     string
	maxDelay time.Duration
	rescan   time.Duration

	fsw        *fsnotify.Watcher
	watched    map[string]string // folder → workspace ("" for the root)
	deb        *debouncer
	pool       *hashPool
	scans      *rescanner
	wss        map[string]*wsState
	known      map[pathKey]fileState
	manifests  map[string]*parsedManifest
	workspaces map[string]bool // folders followed as workspaces

	timer Timer     // the next settling or publishing
	armed time.Time // when timer fires (zero when stopped)

	events, published uint64
	reason            string
}

func (w *Watcher) newLoop(root string) *loop {
	l := &loop{
		w: w, root: root,
		clock:    w.Clock,
		maxDelay: cmpOr(w.MaxDelay, time.Second),
		rescan:   cmpOr(w.RescanInterval, 5*time.Second),
		watched:  map[string]string{}, wss: map[string]*wsState{},
		known: map[pathKey]fileState{}, workspaces: map[string]bool{}, manifests: map[string]*parsedManifest{},
		scans: newRescanner(root),
	}
	if l.clock == nil {
		l.clock = RealClock{}
	}
	l.deb = newDebouncer(cmpOr(w.Debounce, 50*time.Millisecond), l.maxDelay)
	workers := w.HashWorkers
	if workers <= 0 {
		workers = min(2, runtime.GOMAXPROCS(0))
	}
	l.pool = newHashPool(workers, w.Workspaces.prehash)
	l.log = w.Logger
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return l
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (l *loop) run(ctx context.Context) error {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		l.log.Warn("workspace watcher: cannot use file-system events; rescanning periodically", "err", err)
	} else {
		l.fsw = fsw
		defer fsw.Close()
	}

	defer l.pool.start(ctx)()
	defer l.w.Workspaces.snaps.unfollowAll()
	l.timer = l.clock.NewTimer()
	defer l.timer.Stop()
	rescan := l.clock.NewTimer()
	defer rescan.Stop()
	rescan.Reset(l.rescan)

	l.start()
	l.syncStatus()
	close(l.w.ready)

	var events chan fsnotify.Event
	var errs chan error
	if l.fsw != nil {
		events, errs = l.fsw.Events, l.fsw.Errors
	}
	for {
		jobs, next := l.pool.feed()
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			l.take(ev, l.clock.Now())
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			l.fsError(err, l.clock.Now())
		case jobs <- next:
			l.pool.fed()
		case r := <-l.pool.results:
			l.hashed(r, l.clock.Now())
		case now := <-l.timer.C():
			l.armed = time.Time{}
			l.tick(now)
		case now := <-rescan.C():
			l.rescanDegraded(now)
			rescan.Reset(l.rescan)
		case f := <-l.w.inspect:
			f(l)
		}
		l.syncStatus()
	}
}

// take handles one raw event from the event source.
func (l *loop) take(ev fsnotify.Event, now time.Time) {
	l.handle(ev, now)
	if l.w.onEvent != nil {
		l.w.onEvent(ev.Name)
	}
}

// drain takes the raw events already waiting, so that what is published next accounts for
// every change the event source reported before it: a writer that truncates a file and
// stalls before writing it gets the truncation settled and hashed, and the write's event
// may already wait when that result comes in. Publishing then would tell clients of a
// change while the cache still holds the generation before the write.
func (l *loop) drain(now time.Time) {
	if l.fsw == nil {
		return
	}
	for {
		select {
		case ev, ok := <-l.fsw.Events:
			if !ok {
				return
			}
			l.take(ev, now)
		default:
			return
		}
	}
}

// wake makes the timer fire at at, unless it already fires before. A timer that fires
// early does no harm: the tick finds nothing due and sets it again.
func (l *loop) wake(at time.Time) {
	if !l.armed.IsZero() && !at.Before(l.armed) {
		return
	}
	l.armed = at
	l.timer.Reset(at.Sub(l.clock.Now()))
}

// nextWake is when something next settles or must be published (zero when nothing waits).
func (l *loop) nextWake() time.Time {
	at := l.deb.next()
	for _, st := range l.wss {
		if len(st.changed) > 0 || st.all {
			if t := st.first.Add(l.maxDelay); at.IsZero() || t.Before(at) {
				at = t
			}
		}
	}
	return at
}

func (l *loop) syncStatus() {
	l.w.mu.Lock()
	l.w.status.WatchedDirs = len(l.watched)
	l.w.status.Events = l.events
	l.w.status.Published = l.published
	l.w.status.Rescans = l.scans.rescans
	l.w.status.Degraded = l.scans.followed()
	l.w.status.DegradedReason = l.reason
	l.w.mu.Unlock()
}

func (l *loop) state(ws string) *wsState {
	st, ok := l.wss[ws]
	if !ok {
		st = &wsState{changed: map[string]bool{}}
		l.wss[ws] = st
	}
	return st
}

// mark records activity on a path; it settles once quiet for the debounce interval. The
// cached snapshot of the workspace goes at once.
func (l *loop) mark(ws, p string, op fsnotify.Op, now time.Time) {
	l.w.Workspaces.snaps.invalidate(ws)
	l.wake(l.deb.mark(pathKey{ws, p}, op, now))
}

// fsError handles an error of the event source: after an overflow every workspace is
// re-walked (missing watches added) and refetched whole.
func (l *loop) fsError(err error, now time.Time) {
	if !errors.Is(err, fsnotify.ErrEventOverflow) {
		l.log.Warn("workspace watcher: event error", "err", err)
		return
	}
	l.log.Warn("workspace watcher: event queue overflowed; rescanning every workspace")
	for _, ws := range workspaceNames(l.root) {
		l.scans.rescans++
		st := l.state(ws)
		if !l.scans.following(ws) {
			l.addTree(ws, filepath.Join(l.root, ws), false)
			l.refollow(ws)
		}
		l.w.Workspaces.forgetPath(ws, "")
		l.manifests[ws] = l.loadManifest(ws)
		st.all = true
		l.noteChange(st, now)
	}
	for ws, st := range l.wss {
		l.maybeFlush(ws, st, now)
	}
}

// tick settles the paths that are due and publishes what is ready.
func (l *loop) tick(now time.Time) {
	for _, s := range l.deb.due(now) {
		l.settle(s, now)
	}
	for ws, st := range l.wss {
		l.maybeFlush(ws, st, now)
	}
	if at := l.nextWake(); !at.IsZero() {
		l.wake(at)
	}
}

func (l *loop) hashed(r hashResult, now time.Time) {
	l.pool.done(r)
	if r.err != nil {
		l.log.Debug("workspace watcher: hashing failed", "workspace", r.ws, "path", r.p, "err", r.err)
	}
	l.changed(r.ws, r.p, now)
	l.maybeFlush(r.ws, l.state(r.ws), now)
}

func (l *loop) changed(ws, p string, now time.Time) {
	st := l.state(ws)
	st.changed[p] = true
	l.noteChange(st, now)
}

// noteChange starts the batch of st at now unless it has begun; it is published by
// MaxDelay after that at the latest.
func (l *loop) noteChange(st *wsState, now time.Time) {
	if st.first.IsZero() {
		st.first = now
		l.wake(now.Add(l.maxDelay))
	}
}

// maybeFlush publishes the changes of ws once nothing else of it is settling or hashing,
// or once the oldest change has waited MaxDelay.
func (l *loop) maybeFlush(ws string, st *wsState, now time.Time) {
	if len(st.changed) == 0 && !st.all {
		return
	}
	l.drain(now)
	if (l.deb.unsettled(ws) > 0 || l.pool.inflight(ws) > 0) && now.Sub(st.first) < l.maxDelay {
		return
	}
	ev := airlock.Event{Type: airlock.EventWorkspaceChanged, Workspace: ws}
	if !st.all {
		ev.Paths = make([]string, 0, len(st.changed))
		for p := range st.changed {
			ev.Paths = append(ev.Paths, p)
		}
		slices.Sort(ev.Paths)
	}
	st.changed = map[string]bool{}
	st.all = false
	st.first = time.Time{}
	l.published++
	if l.w.Pub != nil {
		l.w.Pub.Publish(ev)
	}
}
