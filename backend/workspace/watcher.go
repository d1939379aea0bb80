package workspace

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/trelab/airlock/backend/airlock"
)

// Publisher receives the watcher's workspace.changed events (service.Publisher, which
// live.Hub implements). Publish must not block.
type Publisher interface {
	Publish(events ...airlock.Event)
}

// WatcherStatus is the watcher's state for /healthz and /metrics.
type WatcherStatus struct {
	Running     bool `json:"running"`
	WatchedDirs int  `json:"watchedDirs"`
	// Events counts file-system events received; Published the workspace.changed events
	// sent; Rescans the periodic (or recovery) rescans of a workspace; Hashed the files
	// hashed by the workspace view.
	Events    uint64 `json:"events"`
	Published uint64 `json:"published"`
	Rescans   uint64 `json:"rescans"`
	Hashed    int64  `json:"hashed"`
	// Degraded lists the workspaces followed by periodic rescanning instead of events
	// ("" stands for the workspaces root itself), with the reason in DegradedReason.
	Degraded       []string `json:"degraded"`
	DegradedReason string   `json:"degradedReason,omitempty"`
}

// Watcher follows the workspace folders with fsnotify and publishes one workspace.changed
// event per workspace for each settled batch of changes. It composes a debouncer (when a
// path has settled), a hash pool (hashing before publishing) and a rescanner (workspaces
// without events), all driven by one loop that takes its time from Clock. It watches folders, never files
// (atomic replaces would kill file watches), adds folders as they appear and drops them
// when they go. Each path is debounced (a burst of writes is one change); the paths of one
// workspace are coalesced into one event, held while other paths of the workspace are still
// settling or being hashed, but never longer than MaxDelay. Files whose hash comes from the
// disk are hashed by a small worker pool before the event is sent, so readers find the hash
// cached; a large file being hashed never holds up other events beyond MaxDelay. A rewritten
// manifest is reloaded at once and the outputs whose metadata changed are listed.
//
// When a watch cannot be added because the inotify watch limit is reached, or the folder is
// on a network file system that gives no events, that workspace is rescanned every
// RescanInterval instead; this is logged once and shown in Status.
//
// Zero fields take defaults. Run starts it; Close (or cancelling Run's context) stops it.
type Watcher struct {
	Workspaces *Workspaces
	Pub        Publisher
	// Debounce is how long a path must be quiet before its change counts (50 ms: a burst of
	// writes takes far less, and it is most of the time from disk to client).
	Debounce time.Duration
	// MaxDelay bounds how long a change is held back by other activity (1 s).
	MaxDelay time.Duration
	// RescanInterval is the period of rescans of degraded workspaces (5 s).
	RescanInterval time.Duration
	// HashWorkers bounds concurrent hashing (2, at most GOMAXPROCS).
	HashWorkers int
	Logger      *slog.Logger
	// AddWatch, when set, is called before each folder watch is added; an error it returns
	// is taken as the watch's error (tests force syscall.ENOSPC with it).
	AddWatch func(dir string) error
	// NeedsPolling reports whether the file system of a workspace folder gives no events
	// (default: network and FUSE file systems, by statfs).
	NeedsPolling func(dir string) bool
	// Clock gives the time and the timers (RealClock).
	Clock Clock

	// Test seams, nil in production: inspect takes functions that the loop runs on its
	// goroutine between two steps; onEvent is told the name of every raw event taken.
	inspect chan func(*loop)
	onEvent func(name string)

	initOnce  sync.Once
	closeOnce sync.Once
	ready     chan struct{}
	stop      chan struct{}
	done      chan struct{}

	mu      sync.Mutex
	running bool
	status  WatcherStatus
}

// NewWatcher returns a watcher of the workspaces of ws publishing to pub, with defaults.
func NewWatcher(ws *Workspaces, pub Publisher) *Watcher {
	return &Watcher{Workspaces: ws, Pub: pub}
}

func (w *Watcher) init() {
	w.initOnce.Do(func() {
		w.ready = make(chan struct{})
		w.stop = make(chan struct{})
		w.done = make(chan struct{})
	})
}

// Ready is closed once the initial watches are in place.
func (w *Watcher) Ready() <-chan struct{} {
	w.init()
	return w.ready
}

// Status returns the current counts.
func (w *Watcher) Status() WatcherStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.status
	s.Degraded = slices.Clone(s.Degraded)
	if w.Workspaces != nil {
		s.Hashed = w.Workspaces.hashes.count()
	}
	return s
}

// Close stops a running watcher and waits for it to finish.
func (w *Watcher) Close() error {
	w.init()
	w.closeOnce.Do(func() { close(w.stop) })
	w.mu.Lock()
	started := w.running || w.status.Running
	w.mu.Unlock()
	if started {
		<-w.done
	}
	return nil
}

// Run watches until ctx is cancelled or Close is called. It fails only when the
// workspaces root cannot be read or Run is called twice.
func (w *Watcher) Run(ctx context.Context) error {
	w.init()
	w.mu.Lock()
	if w.running {
		w.mu.Unlock()
		return errors.New("workspace watcher: already running")
	}
	w.running = true
	w.status.Running = true
	w.mu.Unlock()
	defer close(w.done)
	defer func() {
		w.mu.Lock()
		w.status.Running = false
		w.mu.Unlock()
	}()

	root, err := filepath.Abs(w.Workspaces.root)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return errors.Join(errors.New("workspace watcher: workspaces root is not a folder"), err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-w.stop:
			cancel()
		case <-ctx.Done():
		}
	}()

	l := w.newLoop(root)
	return l.run(ctx)
}

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
			l.handle(ev, l.clock.Now())
			if l.w.onEvent != nil {
				l.w.onEvent(ev.Name)
			}
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

// start watches the root and every workspace below it.
func (l *loop) start() {
	if err := l.watch(l.root, ""); err != nil {
		l.degradeRoot(err)
	}
	for _, ws := range workspaceNames(l.root) {
		l.addWorkspace(ws, false, time.Time{})
	}
}

// addWorkspace starts following ws; when collect is set its files are reported as changed.
func (l *loop) addWorkspace(ws string, collect bool, now time.Time) {
	dir := filepath.Join(l.root, ws)
	l.workspaces[ws] = true
	l.manifests[ws] = l.loadManifest(ws)
	poll := l.w.NeedsPolling
	if poll == nil {
		poll = networkFS
	}
	if l.fsw == nil || l.scans.rootFollowed() || poll(dir) {
		reason := "the file system gives no change events"
		if l.fsw == nil || l.scans.rootFollowed() {
			reason = l.reason
		}
		l.degrade(ws, reason)
		return
	}
	for _, p := range l.addTree(ws, dir, collect) {
		l.mark(ws, p, fsnotify.Create, now)
	}
	l.refollow(ws)
}

// refollow turns the snapshot cache of ws on while every folder of it is watched, and off
// otherwise.
func (l *loop) refollow(ws string) {
	st := l.state(ws)
	on := l.workspaces[ws] && !l.scans.following(ws) && len(st.unwatched) == 0
	if on != st.followed {
		st.followed = on
		l.w.Workspaces.snaps.follow(ws, on)
	}
}

func (l *loop) loadManifest(ws string) *parsedManifest {
	_, pm := l.w.Workspaces.reloadManifest(ws)
	return pm
}

// watch adds a watch on one folder.
func (l *loop) watch(dir, ws string) error {
	if l.fsw == nil {
		return errors.New("no file-system events")
	}
	if hook := l.w.AddWatch; hook != nil {
		if err := hook(dir); err != nil {
			return err
		}
	}
	if err := l.fsw.Add(dir); err != nil {
		return err
	}
	l.watched[dir] = ws
	return nil
}

func isWatchLimit(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// addTree watches dir and the folders below it (not hidden ones, not through symlinks) and
// returns the workspace-relative paths of the files found when collect is set.
func (l *loop) addTree(ws, dir string, collect bool) []string {
	st := l.state(ws)
	var files []string
	wsDir := filepath.Join(l.root, ws)
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if _, ok := l.watched[p]; !ok && !l.scans.following(ws) {
				if err := l.watch(p, ws); err != nil {
					if isWatchLimit(err) {
						l.degrade(ws, "the inotify watch limit (fs.inotify.max_user_watches) is reached")
					} else {
						l.log.Debug("workspace watcher: folder not watched", "dir", p, "err", err)
						if st.unwatched == nil {
							st.unwatched = map[string]bool{}
						}
						st.unwatched[p] = true
					}
				} else {
					delete(st.unwatched, p)
				}
			}
			return nil
		}
		if collect {
			if rel, err := filepath.Rel(wsDir, p); err == nil {
				files = append(files, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	return files
}

// degrade switches ws to periodic rescanning.
func (l *loop) degrade(ws, reason string) {
	if !l.scans.follow(ws) {
		return
	}
	l.refollow(ws)
	if l.reason == "" {
		l.reason = reason
	}
	l.log.Warn("workspace watcher: rescanning workspace periodically", "workspace", ws, "reason", reason, "interval", l.rescan)
}

func (l *loop) degradeRoot(err error) {
	if !l.scans.followRoot() {
		return
	}
	if l.reason == "" {
		l.reason = "the workspaces root cannot be watched: " + err.Error()
	}
	l.log.Warn("workspace watcher: rescanning the workspaces root periodically", "err", err, "interval", l.rescan)
}

// rescanDegraded marks what the rescanner found moved in degraded workspaces (and the
// workspaces that came and went in a degraded root).
func (l *loop) rescanDegraded(now time.Time) {
	added, gone := l.scans.rescanRoot()
	for _, ws := range added {
		l.addWorkspace(ws, true, now)
		l.mark(ws, "", fsnotify.Create, now)
	}
	for _, ws := range gone {
		l.mark(ws, "", fsnotify.Remove, now)
	}
	for _, c := range l.scans.rescan() {
		l.mark(c.ws, c.p, c.op, now)
	}
}

// handle takes one raw event.
func (l *loop) handle(ev fsnotify.Event, now time.Time) {
	l.events++
	name := filepath.Clean(ev.Name)
	if name == l.root {
		return
	}
	rel, err := filepath.Rel(l.root, name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return
	}
	ws, p, _ := strings.Cut(filepath.ToSlash(rel), "/")
	if !validName(ws) || p != "" && hidden(p) {
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		l.unwatchTree(name)
	}
	l.mark(ws, p, ev.Op, now)
}

// unwatchTree drops the watches of a folder that was removed or renamed, and of the
// folders below it (a renamed folder's watches would keep reporting its old name).
func (l *loop) unwatchTree(dir string) {
	if _, ok := l.watched[dir]; !ok {
		return
	}
	prefix := dir + string(filepath.Separator)
	for d := range l.watched {
		if d == dir || strings.HasPrefix(d, prefix) {
			if l.fsw != nil {
				_ = l.fsw.Remove(d)
			}
			delete(l.watched, d)
		}
	}
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

// settle works out what a settled path means. A busy path (still active, but it has
// waited MaxDelay) is reported without hashing.
func (l *loop) settle(s settled, now time.Time) {
	ws, p := s.ws, s.p
	st := l.state(ws)
	abs := filepath.Join(l.root, ws, filepath.FromSlash(p))
	fi, err := os.Lstat(abs)

	if p == "" { // the workspace folder itself
		switch {
		case err == nil && fi.IsDir():
			if _, ok := l.watched[abs]; !ok && !l.scans.following(ws) {
				l.addWorkspace(ws, true, now)
			}
			l.workspaces[ws] = true
			st.all = true
			l.noteChange(st, now)
		case l.workspaces[ws] && (err != nil || !fi.IsDir()):
			delete(l.workspaces, ws)
			l.unwatchTree(abs)
			l.w.Workspaces.forgetPath(ws, "")
			delete(l.manifests, ws)
			for kk := range l.known {
				if kk.ws == ws {
					delete(l.known, kk)
				}
			}
			l.scans.drop(ws)
			st.all, st.unwatched = true, nil
			l.refollow(ws)
			l.noteChange(st, now)
		}
		return
	}

	switch {
	case err != nil: // gone
		l.forget(ws, p)
		if p == ManifestPath {
			l.manifestChanged(ws, now)
		}
		l.changed(ws, p, now)
	case fi.IsDir():
		if _, ok := l.watched[abs]; !ok {
			for _, f := range l.addTree(ws, abs, true) {
				l.mark(ws, f, fsnotify.Create, now)
			}
			l.refollow(ws)
			l.changed(ws, p, now)
		}
	default:
		cur := stateOf(fi)
		old, seen := l.known[s.pathKey]
		if seen && old == cur {
			return // nothing moved: a chmod, or a write that changed nothing
		}
		l.known[s.pathKey] = cur
		if !seen && s.ops == fsnotify.Chmod {
			return
		}
		if p == ManifestPath {
			l.manifestChanged(ws, now)
		}
		if !s.busy && fi.Mode().IsRegular() && l.w.Workspaces.describedByDisk(ws, p) {
			l.pool.add(s.pathKey)
			return
		}
		l.changed(ws, p, now)
	}
}

func (l *loop) forget(ws, p string) {
	l.w.Workspaces.forgetPath(ws, p)
	prefix := p + "/"
	for kk := range l.known {
		if kk.ws == ws && (kk.p == p || strings.HasPrefix(kk.p, prefix)) {
			delete(l.known, kk)
		}
	}
}

// manifestChanged reloads the manifest of ws and reports the outputs whose metadata moved.
func (l *loop) manifestChanged(ws string, now time.Time) {
	before := l.manifests[ws]
	after := l.loadManifest(ws)
	for _, p := range diffManifests(before, after) {
		l.changed(ws, p, now)
	}
	if after != nil || !fileExists(filepath.Join(l.root, ws, ManifestPath)) {
		l.manifests[ws] = after
	}
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
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
