package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/internal/fsutil"
)

// StateFile is the test seam of the desktop window: a Probe that writes what the window
// shows and has done to a JSON file whenever it changes, for the desktop smoke test and the
// figures script (build/desktoptest), which read it from outside the process. `airlock
// desktop` uses one only when given --state-file (AIRLOCK_DESKTOP_STATE); a window without
// it has no probe and counts nothing.
type StateFile struct {
	path  string
	log   *slog.Logger
	clock func() time.Time

	// saving serialises writes of the file (one temp name).
	saving sync.Mutex
	mu     sync.Mutex
	state  State
}

// State is what the window shows and has done, as the state file holds it.
type State struct {
	Mode          string         `json:"mode"`
	Title         string         `json:"title"`
	User          string         `json:"user"`
	Workspace     string         `json:"workspace"`
	StartedAt     time.Time      `json:"startedAt"`
	DomReadyAt    time.Time      `json:"domReadyAt,omitzero"`
	FirstAPIAt    time.Time      `json:"firstApiAt,omitzero"`
	Events        int            `json:"events"`
	LastEvent     *airlock.Event `json:"lastEvent,omitempty"`
	Notifications []string       `json:"notifications"`
	// Requests counts the window's API requests by "METHOD route status" (Count).
	Requests map[string]int `json:"requests"`
}

// NewStateFile returns the state file at path of a window in mode ("embedded", ...).
func NewStateFile(path, mode string, log *slog.Logger) *StateFile {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &StateFile{path: path, log: log, clock: time.Now}
	f.state = State{Mode: mode, StartedAt: f.clock(), Notifications: []string{}, Requests: map[string]int{}}
	return f
}

// State returns a copy of the state.
func (f *StateFile) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.copyLocked()
}

func (f *StateFile) copyLocked() State {
	s := f.state
	s.Notifications = append(make([]string, 0, len(s.Notifications)), s.Notifications...)
	s.Requests = make(map[string]int, len(f.state.Requests))
	for k, v := range f.state.Requests {
		s.Requests[k] = v
	}
	if s.LastEvent != nil {
		ev := *s.LastEvent
		s.LastEvent = &ev
	}
	return s
}

func (f *StateFile) update(change func(s *State)) {
	f.mu.Lock()
	change(&f.state)
	f.mu.Unlock()
	f.save()
}

// Shown implements Probe.
func (f *StateFile) Shown(title, user, workspace string) {
	f.update(func(s *State) { s.Title, s.User, s.Workspace = title, user, workspace })
}

// DomReady implements Probe: the first time the page was ready.
func (f *StateFile) DomReady(at time.Time) {
	f.update(func(s *State) {
		if s.DomReadyAt.IsZero() {
			s.DomReadyAt = at
		}
	})
}

// Delivered implements Probe.
func (f *StateFile) Delivered(ev airlock.Event) {
	f.update(func(s *State) {
		s.Events++
		s.LastEvent = &ev
	})
}

// Notified implements Probe.
func (f *StateFile) Notified(text string) {
	f.update(func(s *State) { s.Notifications = append(s.Notifications, text) })
}

// Count wraps the window's handler to count its API requests (what the web UI asked, for
// the smoke test) and note the time of the first one (when the web UI started).
func (f *StateFile) Count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			return
		}
		key := r.Method + " " + routeOf(r.URL.Path) + " " + http.StatusText(rec.status)
		f.update(func(s *State) {
			if s.FirstAPIAt.IsZero() {
				s.FirstAPIAt = f.clock()
			}
			s.Requests[key]++
		})
	})
}

// statusWriter notes the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.wrote, s.status = true, code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Flush() {
	s.wrote = true
	if fl, ok := s.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// routeOf shortens an API path to its route, without ids and file paths (the keys the
// smoke test counts: /api/v1/workspaces/{id}/tree).
func routeOf(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/api/v1/"), "/")
	if segs[0] == "workspaces" || segs[0] == "requests" {
		if len(segs) == 1 {
			return "/api/v1/" + segs[0]
		}
		out := "/api/v1/" + segs[0] + "/{id}"
		if len(segs) > 2 {
			out += "/" + segs[2]
		}
		return out
	}
	return p
}

// save writes the file atomically (the toolkit's temporary name, fsync, rename).
func (f *StateFile) save() {
	f.saving.Lock()
	defer f.saving.Unlock()
	f.mu.Lock()
	data, err := json.MarshalIndent(f.copyLocked(), "", "  ")
	f.mu.Unlock()
	if err != nil {
		return
	}
	err = fsutil.WriteFileAt(f.path, ".state-", 0o600, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		f.log.Warn("desktop: writing the state file", "err", err)
	}
}
