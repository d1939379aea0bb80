package workspace

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

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
