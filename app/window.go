// Package app is the desktop glue of Airlock's Wails window: the methods bound into the
// window (Desktop), and the Window that keeps the window's session, title, live events and
// OS notifications. It holds no rule and no state of its own beyond the window's session:
// every bound method is one service call, and everything else the window shows comes from
// the same http.Handler that `airlock serve` runs.
//
// Sessions in the window. WebKitGTK does not keep cookies for the custom wails:// scheme
// that Wails serves the window from (measured with WebKitGTK 2.50: a Set-Cookie from the
// asset server is dropped, and no Cookie header is sent back, whatever the SameSite and
// Secure attributes). So the Window is the window's cookie jar: Handler notes the session
// cookie the API sets and adds it to the window's later requests. The asset server is
// reachable only from this window, so the jar holds exactly what WebKit would have held.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/service"
)

// EventName is the Wails runtime event that carries live events to the frontend
// (frontend/src/api/desktop.ts listens to it).
const EventName = "airlock:event"

// AppName is the window title's first part.
const AppName = "Airlock"

// Runtime is the part of the Wails runtime the glue uses. WailsRuntime implements it over
// github.com/wailsapp/wails/v2/pkg/runtime once the window has started; tests record.
type Runtime interface {
	SetTitle(title string)
	Emit(name string, data any)
	// Notify shows an OS notification; it fails when the desktop has no notification service.
	Notify(id, title, body string) error
	// SaveFileDialog asks where to save a file; "" when the user cancelled.
	SaveFileDialog(title, defaultName string) (string, error)
	// OpenFolder shows a folder in the OS file manager.
	OpenFolder(dir string) error
	// ExecJS runs JavaScript in the window's page.
	ExecJS(js string)
}

// Backend is what the window runs on: the in-process backend (Local) or a server the
// window is attached to (Remote).
type Backend interface {
	// Mode is "embedded" or "attached".
	Mode() string
	// Authenticate resolves the window's session cookie value into its user.
	Authenticate(ctx context.Context, sessionID string) (airlock.User, error)
	// Subscribe delivers the user's live events to sink until unsubscribe is called.
	Subscribe(user airlock.User, sessionID string, sink live.Sink) (unsubscribe func())
	// ListRequests lists the requests the user may view (of one workspace, or all).
	ListRequests(ctx context.Context, user airlock.User, sessionID, workspace string) ([]service.RequestSummary, error)
	// OpenDownload opens a request's stored file for download (audited as a download).
	OpenDownload(ctx context.Context, user airlock.User, sessionID, requestID, path string) (io.ReadCloser, error)
	// WorkspaceFolder returns the folder on this machine that holds a workspace file.
	WorkspaceFolder(ctx context.Context, user airlock.User, workspace, path string) (string, error)
}

// Config configures a Window.
type Config struct {
	Backend Backend
	Logger  *slog.Logger
	// Server is shown in the title when attached ("" when embedded).
	Server string
	// StatePath, when set, is where the window's state is written (as JSON) whenever it
	// changes: the desktop smoke test and the figures script read it.
	StatePath string
	// Open is a route of the web UI (like /workspaces/ws1) the window shows when its page
	// is first ready (airlock desktop --open); after a login when one is needed.
	Open string
	// Clock is time.Now when nil.
	Clock func() time.Time
}

// State is what the window shows and has done, for the smoke test and the figures script.
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
	// Requests counts the window's API requests by "METHOD path-pattern status".
	Requests map[string]int `json:"requests"`
}

// Window is the glue between one Wails window and its backend: the window's session
// (cookie jar), its title, the live sink that emits events into it, and notifications.
type Window struct {
	cfg     Config
	backend Backend
	log     *slog.Logger
	clock   func() time.Time

	// saving serialises writes of the state file (one temp name).
	saving sync.Mutex

	mu      sync.Mutex
	rt      Runtime
	session *session
	state   State
	// known is the last status seen of each request, to notify on changes only.
	known map[string]airlock.Status
}

// session is the window's logged-in session.
type session struct {
	id          string
	user        airlock.User
	unsubscribe func()
}

// NewWindow returns the glue of a window on backend.
func NewWindow(cfg Config) *Window {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	w := &Window{cfg: cfg, backend: cfg.Backend, log: cfg.Logger, clock: cfg.Clock, known: map[string]airlock.Status{}}
	w.state = State{Mode: cfg.Backend.Mode(), StartedAt: cfg.Clock(), Notifications: []string{}, Requests: map[string]int{}}
	w.state.Title = w.titleLocked()
	return w
}

// Title is the window's current title.
func (w *Window) Title() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state.Title
}

// State returns a copy of the window's state.
func (w *Window) State() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.copyStateLocked()
}

func (w *Window) copyStateLocked() State {
	s := w.state
	s.Notifications = append(make([]string, 0, len(s.Notifications)), s.Notifications...)
	s.Requests = make(map[string]int, len(w.state.Requests))
	for k, v := range w.state.Requests {
		s.Requests[k] = v
	}
	if s.LastEvent != nil {
		ev := *s.LastEvent
		s.LastEvent = &ev
	}
	return s
}

// Started attaches the window's runtime (Wails OnStartup) and applies the title.
func (w *Window) Started(rt Runtime) {
	w.mu.Lock()
	w.rt = rt
	title := w.state.Title
	w.mu.Unlock()
	rt.SetTitle(title)
	w.saveState()
}

// DomReady records the first time the window's page was ready (Wails OnDomReady) and
// then shows the route to open, if any.
func (w *Window) DomReady() {
	w.mu.Lock()
	first := w.state.DomReadyAt.IsZero()
	if first {
		w.state.DomReadyAt = w.clock()
	}
	rt := w.rt
	w.mu.Unlock()
	if first && w.cfg.Open != "" && rt != nil {
		target, _ := json.Marshal("#" + w.cfg.Open)
		rt.ExecJS("location.hash = " + string(target) + ";")
	}
	w.saveState()
}

// CheckRoute checks a route for Config.Open: a path of the web UI, like /workspaces/ws1.
func CheckRoute(route string) error {
	if !strings.HasPrefix(route, "/") || strings.HasPrefix(route, "//") || strings.ContainsAny(route, "\n\r\\") {
		return airlock.Errorf(airlock.CodeInvalid, "--open %q must be a path of the web UI, like /workspaces/NAME", route)
	}
	return nil
}

// Close ends the window's session: it stops its live events and logs it out of the backend
// (a desktop session does not outlive its window).
func (w *Window) Close(ctx context.Context, logout func(ctx context.Context, sessionID string)) {
	w.mu.Lock()
	s := w.session
	w.session = nil
	w.rt = nil
	w.mu.Unlock()
	if s == nil {
		return
	}
	if s.unsubscribe != nil {
		s.unsubscribe()
	}
	if logout != nil {
		logout(ctx, s.id)
	}
}

// current returns the window's session, or an unauthenticated error.
func (w *Window) current() (*session, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.session == nil {
		return nil, airlock.Errorf(airlock.CodeUnauthenticated, "You are not logged in, or your session has expired")
	}
	return w.session, nil
}

// sessionID is the cookie value the jar holds ("" when logged out).
func (w *Window) sessionID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.session == nil {
		return ""
	}
	return w.session.id
}

// signIn makes id the window's session: it resolves the user, subscribes the live sink,
// notes the statuses of the requests the user sees, and sets the title.
func (w *Window) signIn(ctx context.Context, id string) {
	if w.sessionID() == id {
		return
	}
	w.signOut()
	user, err := w.backend.Authenticate(ctx, id)
	if err != nil {
		w.log.Warn("desktop: the window's session could not be resolved", "err", err)
		return
	}
	s := &session{id: id, user: user}
	known := map[string]airlock.Status{}
	if reqs, err := w.backend.ListRequests(ctx, user, id, ""); err == nil {
		for _, r := range reqs {
			known[r.ID] = r.Status
		}
	} else {
		w.log.Warn("desktop: listing requests for notifications", "err", err)
	}
	w.mu.Lock()
	w.session = s
	w.known = known
	w.state.User = user.Username
	w.state.Workspace = ""
	w.mu.Unlock()
	s.unsubscribe = w.backend.Subscribe(user, id, &sink{w: w, s: s})
	w.log.Info("desktop: logged in", "user", user.Username)
	w.retitle()
}

// signOut forgets the window's session (logout, or the server cleared the cookie).
func (w *Window) signOut() {
	w.mu.Lock()
	s := w.session
	w.session = nil
	w.state.User = ""
	w.state.Workspace = ""
	w.mu.Unlock()
	if s == nil {
		return
	}
	if s.unsubscribe != nil {
		s.unsubscribe()
	}
	w.log.Info("desktop: logged out", "user", s.user.Username)
	w.retitle()
}

// setWorkspace notes the workspace the window shows ("" for none).
func (w *Window) setWorkspace(ws string) {
	w.mu.Lock()
	changed := w.session != nil && w.state.Workspace != ws
	if changed {
		w.state.Workspace = ws
	}
	w.mu.Unlock()
	if changed {
		w.retitle()
	}
}

// titleLocked is "Airlock", "Airlock — user" or "Airlock — user — workspace", with the
// server's host when attached.
func (w *Window) titleLocked() string {
	parts := []string{AppName}
	if w.state.User != "" {
		parts = append(parts, w.state.User)
		if w.state.Workspace != "" {
			parts = append(parts, w.state.Workspace)
		}
	}
	t := strings.Join(parts, " — ")
	if w.cfg.Server != "" {
		t += " (" + w.cfg.Server + ")"
	}
	return t
}

func (w *Window) retitle() {
	w.mu.Lock()
	w.state.Title = w.titleLocked()
	title, rt := w.state.Title, w.rt
	w.mu.Unlock()
	if rt != nil {
		rt.SetTitle(title)
	}
	w.saveState()
}

// saveState writes the state file (temp name, then rename), when configured.
func (w *Window) saveState() {
	if w.cfg.StatePath == "" {
		return
	}
	w.saving.Lock()
	defer w.saving.Unlock()
	w.mu.Lock()
	data, err := json.MarshalIndent(w.copyStateLocked(), "", "  ")
	w.mu.Unlock()
	if err != nil {
		return
	}
	tmp := w.cfg.StatePath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		w.log.Warn("desktop: writing state", "err", err)
		return
	}
	if err := os.Rename(tmp, w.cfg.StatePath); err != nil {
		w.log.Warn("desktop: writing state", "err", err)
	}
}

// sink delivers one session's live events into the window (it implements live.Sink).
type sink struct {
	w *Window
	s *session
}

// Deliver emits ev to the window as an "airlock:event" and, when a request the user cares
// about changed status, shows an OS notification.
func (k *sink) Deliver(ev airlock.Event) {
	w := k.w
	w.mu.Lock()
	if w.session != k.s {
		w.mu.Unlock()
		return // an event of a session that has ended
	}
	rt := w.rt
	w.state.Events++
	e := ev
	w.state.LastEvent = &e
	w.mu.Unlock()
	if rt != nil {
		rt.Emit(EventName, ev)
	}
	if ev.Type == airlock.EventRequestChanged {
		w.notice(k.s, ev)
	}
	w.saveState()
}

// notice shows "your request was returned" to the author of a request that was just
// returned, and "a request awaits your review" to checkers who may review a request that
// was just submitted. Whether the user may review is the service's answer (MyReview).
func (w *Window) notice(s *session, ev airlock.Event) {
	if ev.Status != airlock.StatusReturned && ev.Status != airlock.StatusSubmitted {
		w.mu.Lock()
		w.known[ev.RequestID] = ev.Status
		w.mu.Unlock()
		return
	}
	w.mu.Lock()
	prev, seen := w.known[ev.RequestID]
	w.known[ev.RequestID] = ev.Status
	w.mu.Unlock()
	if seen && prev == ev.Status {
		return // another change while in the same status (a vote, a comment)
	}
	reqs, err := w.backend.ListRequests(context.Background(), s.user, s.id, ev.Workspace)
	if err != nil {
		w.log.Warn("desktop: looking up a changed request", "err", err)
		return
	}
	for _, r := range reqs {
		if r.ID != ev.RequestID || r.Status != ev.Status {
			continue
		}
		var title, body string
		switch {
		case r.Status == airlock.StatusReturned && r.Author == s.user.Username:
			title = "Your request was returned"
			body = "Your release request in " + r.Workspace + " was returned to you."
		case r.Status == airlock.StatusSubmitted && r.MyReview != nil && !r.MyReview.Submitted:
			title = "A request awaits your review"
			body = r.Author + " submitted a release request in " + r.Workspace + "."
		default:
			return
		}
		w.notify(r.ID+":"+string(r.Status), title, body)
		return
	}
}

func (w *Window) notify(id, title, body string) {
	w.mu.Lock()
	w.state.Notifications = append(w.state.Notifications, title+": "+body)
	rt := w.rt
	w.mu.Unlock()
	if rt == nil {
		return
	}
	if err := rt.Notify(id, title, body); err != nil {
		w.log.Info("desktop: notification not shown", "title", title, "err", err)
	}
}

// errNoRuntime is returned by bound methods called before the window started.
var errNoRuntime = errors.New("desktop: the window has not started")

// runtime returns the window's runtime.
func (w *Window) runtime() (Runtime, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rt == nil {
		return nil, errNoRuntime
	}
	return w.rt, nil
}

// cleanName is a file name safe to offer in a save dialog.
func cleanName(p string) string {
	name := filepath.Base(filepath.FromSlash(p))
	if name == "." || name == string(filepath.Separator) {
		return "download"
	}
	return name
}
