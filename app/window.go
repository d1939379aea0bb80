// Package app is the desktop glue of Airlock's Wails window: the methods bound into the
// window (Desktop), and the Window that keeps the window's session, title, live events and
// OS notifications. It holds no rule and no state of its own beyond the window's session,
// and it is told, never guessing: the web UI logs in and out through the bound methods
// (Desktop.Login, Desktop.Logout), and reports what it shows (Desktop.Showing); who is
// notified of what is the domain's rule (airlock.DesktopNoticeFor). Everything else the
// window shows comes from the same http.Handler that `airlock serve` runs.
//
// Sessions in the window. WebKitGTK does not keep cookies for the custom wails:// scheme
// that Wails serves the window from (measured with WebKitGTK 2.50: a Set-Cookie from the
// asset server is dropped, and no Cookie header is sent back, whatever the SameSite and
// Secure attributes). So the window logs in through the shell, which keeps the session it
// was handed and adds its cookie to the window's requests (Handler). The asset server is
// reachable only from this window, so the jar holds exactly what WebKit would have held.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/live"
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
// window is attached to (Remote). Every call but Login acts with a session the backend
// gave to Login; answers are the API's shapes (contract).
type Backend interface {
	// Mode is "embedded" or "attached".
	Mode() string
	// Login starts a session: its secret (the cookie value) and the API's login answer.
	Login(ctx context.Context, username, token string) (sessionID string, out contract.SessionOutput, err error)
	// Logout ends a session.
	Logout(ctx context.Context, sessionID string)
	// Subscribe delivers the session's live events to sink until unsubscribe is called.
	Subscribe(ctx context.Context, sessionID string, sink live.Sink) (unsubscribe func(), err error)
	// ListRequests lists the requests the session's user may view (of one workspace, or all).
	ListRequests(ctx context.Context, sessionID, workspace string) ([]contract.RequestSummary, error)
	// OpenDownload opens a request's stored file for download (audited as a download).
	OpenDownload(ctx context.Context, sessionID, requestID, path string) (io.ReadCloser, error)
	// WorkspaceFolder returns the folder on this machine that holds a workspace file.
	WorkspaceFolder(ctx context.Context, sessionID, workspace, path string) (string, error)
}

// Probe is told what the window does. Production windows have none; the desktop smoke
// test's state file (StateFile, AIRLOCK_DESKTOP_STATE) is one.
type Probe interface {
	// Shown is called when the title, the user or the workspace the window shows changed.
	Shown(title, user, workspace string)
	// DomReady is called each time the window's page is ready.
	DomReady(at time.Time)
	// Delivered is called after a live event went to the window.
	Delivered(ev airlock.Event)
	// Notified is called with each notification the window showed ("title: body").
	Notified(text string)
}

// Config configures a Window.
type Config struct {
	Backend Backend
	Logger  *slog.Logger
	// Server is shown in the title when attached ("" when embedded).
	Server string
	// Open is a route of the web UI (like /workspaces/ws1) the window shows when its page
	// is first ready (airlock desktop --open); after a login when one is needed.
	Open string
	// Probe, when set, is told what the window does (tests).
	Probe Probe
	// Clock is time.Now when nil.
	Clock func() time.Time
}

// Window is the glue between one Wails window and its backend: the window's session
// (cookie jar), its title, the live sink that emits events into it, and notifications.
type Window struct {
	cfg     Config
	backend Backend
	log     *slog.Logger
	clock   func() time.Time
	probe   Probe

	// signing serialises logins and logouts (each talks to the backend).
	signing sync.Mutex

	mu        sync.Mutex
	rt        Runtime
	session   *session
	workspace string
	title     string
	domReady  bool
	// known is the last status seen of each request, to notify on changes only.
	known map[string]airlock.Status
}

// session is the window's logged-in session.
type session struct {
	id          string
	username    string
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
	if cfg.Probe == nil {
		cfg.Probe = noProbe{}
	}
	w := &Window{cfg: cfg, backend: cfg.Backend, log: cfg.Logger, clock: cfg.Clock, probe: cfg.Probe, known: map[string]airlock.Status{}}
	w.title = w.titleLocked()
	return w
}

// Title is the window's current title.
func (w *Window) Title() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.title
}

// Started attaches the window's runtime (Wails OnStartup) and applies the title.
func (w *Window) Started(rt Runtime) {
	w.mu.Lock()
	w.rt = rt
	w.mu.Unlock()
	w.retitle()
}

// DomReady notes that the window's page is ready (Wails OnDomReady); the first time, it
// shows the route to open, if any.
func (w *Window) DomReady() {
	w.mu.Lock()
	first := !w.domReady
	w.domReady = true
	rt := w.rt
	w.mu.Unlock()
	w.probe.DomReady(w.clock())
	if first && w.cfg.Open != "" && rt != nil {
		target, _ := json.Marshal("#" + w.cfg.Open)
		rt.ExecJS("location.hash = " + string(target) + ";")
	}
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
func (w *Window) Close(ctx context.Context) {
	w.signing.Lock()
	defer w.signing.Unlock()
	w.mu.Lock()
	s := w.session
	w.session = nil
	w.rt = nil
	w.mu.Unlock()
	w.end(ctx, s)
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

// Login logs the window in (the web UI's login, through Desktop.Login): the backend starts
// the session, the window keeps it (replacing any session it had), notes the statuses of
// the requests the user sees, follows the user's live events and retitles.
func (w *Window) Login(ctx context.Context, username, token string) (contract.SessionOutput, error) {
	w.signing.Lock()
	defer w.signing.Unlock()
	id, out, err := w.backend.Login(ctx, username, token)
	if err != nil {
		return contract.SessionOutput{}, err
	}
	s := &session{id: id, username: out.User.Username}
	known := map[string]airlock.Status{}
	if reqs, err := w.backend.ListRequests(ctx, id, ""); err == nil {
		for _, r := range reqs {
			known[r.ID] = r.Status
		}
	} else {
		w.log.Warn("desktop: listing requests for notifications", "err", err)
	}
	w.mu.Lock()
	old := w.session
	w.session, w.known, w.workspace = s, known, ""
	w.mu.Unlock()
	w.end(ctx, old) // a new login replaces the session the window had
	unsubscribe, err := w.backend.Subscribe(ctx, id, &sink{w: w, s: s})
	if err != nil {
		w.log.Warn("desktop: live events unavailable", "err", err)
		unsubscribe = func() {}
	}
	w.mu.Lock()
	s.unsubscribe = unsubscribe
	w.mu.Unlock()
	w.log.Info("desktop: logged in", "user", s.username)
	w.retitle()
	return out, nil
}

// Logout ends the window's session (the web UI's logout, through Desktop.Logout).
func (w *Window) Logout(ctx context.Context) {
	w.signing.Lock()
	defer w.signing.Unlock()
	w.mu.Lock()
	s := w.session
	w.session, w.workspace = nil, ""
	w.mu.Unlock()
	if s == nil {
		return
	}
	w.end(ctx, s)
	w.log.Info("desktop: logged out", "user", s.username)
	w.retitle()
}

// end stops a session's live events and ends it on the backend.
func (w *Window) end(ctx context.Context, s *session) {
	if s == nil {
		return
	}
	w.mu.Lock()
	unsubscribe := s.unsubscribe
	w.mu.Unlock()
	if unsubscribe != nil {
		unsubscribe()
	}
	w.backend.Logout(ctx, s.id)
}

// Showing is what the web UI reports it shows (Desktop.Showing). A page showing nobody
// logged in (the login page, after the session expired or ended elsewhere) ends the
// window's session; otherwise the workspace shown goes into the title.
func (w *Window) Showing(ctx context.Context, v contract.DesktopView) {
	w.mu.Lock()
	s := w.session
	w.mu.Unlock()
	switch {
	case v.User == "" && s != nil:
		w.Logout(ctx)
		return
	case v.User != "" && s == nil:
		w.log.Warn("desktop: the page shows a user the window has no session of", "user", v.User)
		return
	case s != nil && v.User != s.username:
		w.log.Warn("desktop: the page shows another user than the window's session", "page", v.User, "session", s.username)
	}
	w.mu.Lock()
	changed := w.session != nil && w.workspace != v.Workspace
	if changed {
		w.workspace = v.Workspace
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
	if w.session != nil {
		parts = append(parts, w.session.username)
		if w.workspace != "" {
			parts = append(parts, w.workspace)
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
	w.title = w.titleLocked()
	title, rt, user := w.title, w.rt, ""
	if w.session != nil {
		user = w.session.username
	}
	ws := w.workspace
	w.mu.Unlock()
	if rt != nil {
		rt.SetTitle(title)
	}
	w.probe.Shown(title, user, ws)
}

// sink delivers one session's live events into the window (it implements live.Sink).
type sink struct {
	w *Window
	s *session
}

// Deliver emits ev to the window as an "airlock:event" and, when a request changed status,
// shows the OS notification the domain's rule gives the user, if any.
func (k *sink) Deliver(ev airlock.Event) {
	w := k.w
	w.mu.Lock()
	if w.session != k.s {
		w.mu.Unlock()
		return // an event of a session that has ended
	}
	rt := w.rt
	w.mu.Unlock()
	if rt != nil {
		rt.Emit(EventName, ev)
	}
	if ev.Type == airlock.EventRequestChanged {
		w.notice(k.s, ev)
	}
	w.probe.Delivered(ev)
}

// notice shows the notification airlock.DesktopNoticeFor gives the session's user for a
// request's move to ev.Status, from the user's own view of the request.
func (w *Window) notice(s *session, ev airlock.Event) {
	w.mu.Lock()
	prev, known := w.known[ev.RequestID]
	w.known[ev.RequestID] = ev.Status
	w.mu.Unlock()
	if !airlock.NoticeWorthChecking(prev, known, ev.Status) {
		return
	}
	reqs, err := w.backend.ListRequests(context.Background(), s.id, ev.Workspace)
	if err != nil {
		w.log.Warn("desktop: looking up a changed request", "err", err)
		return
	}
	for _, r := range reqs {
		if r.ID != ev.RequestID || r.Status != ev.Status {
			continue
		}
		facts := airlock.NoticeFacts{Status: r.Status, Author: r.Author, Workspace: r.Workspace, Reviewer: r.MyReview != nil}
		if r.MyReview != nil {
			facts.ReviewSubmitted = r.MyReview.Submitted
		}
		if n, ok := airlock.DesktopNoticeFor(s.username, prev, known, facts); ok {
			w.notify(r.ID+":"+string(r.Status), n)
		}
		return
	}
}

func (w *Window) notify(id string, n airlock.DesktopNotice) {
	w.mu.Lock()
	rt := w.rt
	w.mu.Unlock()
	w.probe.Notified(n.Title + ": " + n.Body)
	if rt == nil {
		return
	}
	if err := rt.Notify(id, n.Title, n.Body); err != nil {
		w.log.Info("desktop: notification not shown", "title", n.Title, "err", err)
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

// noProbe is the probe of a window nobody watches.
type noProbe struct{}

func (noProbe) Shown(string, string, string) {}
func (noProbe) DomReady(time.Time)           {}
func (noProbe) Delivered(airlock.Event)      {}
func (noProbe) Notified(string)              {}
