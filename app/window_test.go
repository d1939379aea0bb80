package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/app"
	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/service"
)

const wait, tick = 10 * time.Second, 20 * time.Millisecond

func TestWindow_SessionThroughTheJar(t *testing.T) {
	e := newEnv(t)
	statePath := filepath.Join(t.TempDir(), "state.json")
	state := app.NewStateFile(statePath, e.local().Mode(), nil)
	w := app.NewWindow(app.Config{Backend: e.local(), Probe: state})
	rec := &recorder{}
	w.Started(rec)
	assert.Equal(t, "Airlock", rec.lastTitle())

	v := newWebview(t, w, state.Count(e.b.Handler))
	status, _ := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	require.Equal(t, http.StatusUnauthorized, status)

	// A wrong token is refused as the API refuses it, and changes nothing.
	_, err := app.NewDesktop(w).Login("alice", "wrong")
	assertRejection(t, err, airlock.CodeUnauthenticated)
	assert.Equal(t, "Airlock", w.Title())

	login(t, w, "alice")
	assert.Equal(t, "Airlock — alice", rec.lastTitle())
	assert.Equal(t, "Airlock — alice", w.Title())

	// The web view sent no cookie: the window's jar added it.
	status, body := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "alice", body["user"].(map[string]any)["username"])
	// The same request without the window's handler is anonymous.
	plain := newWebview(t, nil, e.b.Handler)
	status, _ = plain.do(http.MethodGet, "/api/v1/auth/me", nil)
	assert.Equal(t, http.StatusUnauthorized, status)

	// A file written into a workspace folder reaches the window as a live event.
	writeFile(t, e.settings.WorkspacesDir, "shared-scratch", "new/result.csv", "a,b\n1,2\n")
	require.Eventually(t, func() bool { return rec.eventsFor("shared-scratch") > 0 }, wait, tick)
	rec.mu.Lock()
	ev := rec.events[len(rec.events)-1]
	rec.mu.Unlock()
	assert.Equal(t, airlock.EventWorkspaceChanged, ev.Type)
	assert.Contains(t, ev.Paths, "new/result.csv")

	// The state file says the same (the smoke test reads it); it is written after the
	// event went to the window.
	var st app.State
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(statePath)
		return err == nil && json.Unmarshal(data, &st) == nil && st.Events > 0
	}, wait, tick)
	assert.Equal(t, "alice", st.User)
	assert.Equal(t, "embedded", st.Mode)
	assert.Equal(t, "Airlock — alice", st.Title)
	assert.Equal(t, 1, st.Requests["GET /api/v1/auth/me OK"])
	assert.Equal(t, 1, st.Requests["GET /api/v1/auth/me Unauthorized"])

	// Logging out ends the window's session and its live subscription.
	session := v.sessionID()
	require.NotEmpty(t, session)
	require.Equal(t, 1, e.b.Hub.CountUser("alice"))
	require.NoError(t, app.NewDesktop(w).Logout())
	assert.Equal(t, "Airlock", rec.lastTitle())
	assert.Equal(t, 0, e.b.Hub.CountUser("alice"))
	status, _ = v.do(http.MethodGet, "/api/v1/auth/me", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	_, err = e.b.Auth.Authenticate(context.Background(), session)
	assert.Equal(t, airlock.CodeUnauthenticated, airlock.ErrorCode(err), "the session outlived the logout")
}

// A new login replaces the window's session: the old one ends.
func TestWindow_LoginReplacesTheSession(t *testing.T) {
	e := newEnv(t)
	w := app.NewWindow(app.Config{Backend: e.local()})
	w.Started(&recorder{})
	v := newWebview(t, w, e.b.Handler)
	login(t, w, "alice")
	status, _ := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	require.Equal(t, http.StatusOK, status)
	first := v.sessionID()

	login(t, w, "olivia")
	assert.Equal(t, "Airlock — olivia", w.Title())
	status, body := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "olivia", body["user"].(map[string]any)["username"])
	_, err := e.b.Auth.Authenticate(context.Background(), first)
	assert.Equal(t, airlock.CodeUnauthenticated, airlock.ErrorCode(err), "alice's session outlived the new login")
	assert.Equal(t, 0, e.b.Hub.CountUser("alice"))
	assert.Equal(t, 1, e.b.Hub.CountUser("olivia"))
}

// A page showing nobody logged in (its session expired, or ended elsewhere) ends the
// window's session: the window stops following the user's events.
func TestWindow_ShowingNobodyEndsTheSession(t *testing.T) {
	e := newEnv(t)
	w := app.NewWindow(app.Config{Backend: e.local()})
	rec := &recorder{}
	w.Started(rec)
	v := newWebview(t, w, e.b.Handler)
	login(t, w, "alice")
	status, _ := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	require.Equal(t, http.StatusOK, status)
	session := v.sessionID()

	require.NoError(t, app.NewDesktop(w).Showing(contract.DesktopView{}))
	assert.Equal(t, "Airlock", rec.lastTitle())
	assert.Equal(t, 0, e.b.Hub.CountUser("alice"))
	_, err := e.b.Auth.Authenticate(context.Background(), session)
	assert.Equal(t, airlock.CodeUnauthenticated, airlock.ErrorCode(err))

	// A page claiming a user the window holds no session of changes nothing.
	require.NoError(t, app.NewDesktop(w).Showing(contract.DesktopView{User: "alice", Workspace: "shared-scratch"}))
	assert.Equal(t, "Airlock", rec.lastTitle())
}

func TestWindow_CloseLogsOut(t *testing.T) {
	e := newEnv(t)
	w := app.NewWindow(app.Config{Backend: e.local()})
	w.Started(&recorder{})
	v := newWebview(t, w, e.b.Handler)
	login(t, w, "alice")
	status, _ := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	require.Equal(t, http.StatusOK, status)
	_, err := e.b.Auth.Authenticate(context.Background(), v.sessionID())
	require.NoError(t, err)

	w.Close(context.Background())
	_, err = e.b.Auth.Authenticate(context.Background(), v.sessionID())
	assert.Equal(t, airlock.CodeUnauthenticated, airlock.ErrorCode(err), "the session outlived its window")
	assert.Equal(t, 0, e.b.Hub.CountUser("alice"))
}

// submitted creates alice's request in shared-scratch with one output file and submits it.
func submitted(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	alice := e.user(t, "alice")
	svc := e.b.Service
	rv, _, err := svc.GetOrCreateRequest(ctx, alice, "shared-scratch")
	require.NoError(t, err)
	id := rv.Request.ID
	_, err = svc.AddFiles(ctx, alice, id, "tables", []service.FileSpec{{Path: "counts.csv", FileType: airlock.FileTypeOutput}})
	require.NoError(t, err)
	_, err = svc.EditGroup(ctx, alice, id, "tables", "Counts by region", "Small numbers suppressed")
	require.NoError(t, err)
	_, err = svc.Submit(ctx, alice, id)
	require.NoError(t, err)
	return id
}

func TestWindow_Notifications(t *testing.T) {
	e := newEnv(t)
	open := func(user string) *recorder {
		w := app.NewWindow(app.Config{Backend: e.local()})
		rec := &recorder{}
		w.Started(rec)
		login(t, w, user)
		return rec
	}
	alice, olivia, oscar := open("alice"), open("olivia"), open("oscar")

	id := submitted(t, e)
	require.Eventually(t, func() bool { return len(olivia.notifications()) > 0 && len(oscar.notifications()) > 0 }, wait, tick)
	assert.Equal(t, []string{"A request awaits your review"}, olivia.notifications())
	assert.Equal(t, []string{"A request awaits your review"}, oscar.notifications())

	// A vote is a change within SUBMITTED: no second notification.
	_, err := e.b.Service.Vote(context.Background(), e.user(t, "olivia"), id, []string{"counts.csv"}, "CHANGES_REQUESTED")
	require.NoError(t, err)
	_, err = e.b.Service.Return(context.Background(), e.user(t, "olivia"), id)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(alice.notifications()) > 0 }, wait, tick)
	assert.Equal(t, []string{"Your request was returned"}, alice.notifications())
	// The checkers saw the same events (the return reached olivia) without a new notification.
	require.Eventually(t, func() bool {
		olivia.mu.Lock()
		defer olivia.mu.Unlock()
		return len(olivia.events) > 0 && olivia.events[len(olivia.events)-1].Status == airlock.StatusReturned
	}, wait, tick)
	assert.Equal(t, []string{"A request awaits your review"}, olivia.notifications())
}

func TestDesktop_SaveRequestFile(t *testing.T) {
	e := newEnv(t)
	id := submitted(t, e)
	bind := func(user string) (*app.Desktop, *recorder) {
		w := app.NewWindow(app.Config{Backend: e.local()})
		rec := &recorder{}
		w.Started(rec)
		login(t, w, user)
		return app.NewDesktop(w), rec
	}
	dest := filepath.Join(t.TempDir(), "counts.csv")

	t.Run("checker saves the reviewed copy", func(t *testing.T) {
		d, rec := bind("olivia")
		rec.saveTo = dest
		saved, err := d.SaveRequestFile(id, "counts.csv")
		require.NoError(t, err)
		assert.Equal(t, dest, saved)
		got, err := os.ReadFile(dest)
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join(e.settings.WorkspacesDir, "shared-scratch", "counts.csv"))
		require.NoError(t, err)
		assert.Equal(t, want, got)
		events, err := e.b.Service.Audit(context.Background(), e.user(t, "olivia"), airlock.AuditFilter{Request: id, User: "olivia"})
		require.NoError(t, err)
		require.NotEmpty(t, events)
		assert.Equal(t, airlock.AuditRequestFileDownload, events[0].Type)
	})
	t.Run("cancelled dialog saves nothing", func(t *testing.T) {
		d, rec := bind("oscar")
		saved, err := d.SaveRequestFile(id, "counts.csv")
		require.NoError(t, err)
		assert.Empty(t, saved)
		assert.Equal(t, 1, rec.dialogs)
		events, err := e.b.Service.Audit(context.Background(), e.user(t, "oscar"), airlock.AuditFilter{Request: id, User: "oscar"})
		require.NoError(t, err)
		for _, ev := range events {
			assert.NotEqual(t, airlock.AuditRequestFileDownload, ev.Type)
		}
	})
	t.Run("the author may not download", func(t *testing.T) {
		d, rec := bind("alice")
		rec.saveTo = filepath.Join(t.TempDir(), "mine.csv")
		_, err := d.SaveRequestFile(id, "counts.csv")
		assertRejection(t, err, airlock.CodePermissionDenied)
		assert.NoFileExists(t, rec.saveTo)
	})
	t.Run("logged out", func(t *testing.T) {
		w := app.NewWindow(app.Config{Backend: e.local()})
		w.Started(&recorder{saveTo: dest})
		_, err := app.NewDesktop(w).SaveRequestFile(id, "counts.csv")
		assertRejection(t, err, airlock.CodeUnauthenticated)
	})
}

func TestDesktop_OpenContainingFolder(t *testing.T) {
	e := newEnv(t)
	w := app.NewWindow(app.Config{Backend: e.local()})
	rec := &recorder{}
	w.Started(rec)
	d := app.NewDesktop(w)
	assertRejection(t, d.OpenContainingFolder("shared-scratch", "methods/notes.md"), airlock.CodeUnauthenticated)

	login(t, w, "alice")
	require.NoError(t, d.OpenContainingFolder("shared-scratch", "methods/notes.md"))
	assert.Equal(t, []string{filepath.Join(e.settings.WorkspacesDir, "shared-scratch", "methods")}, rec.opened)

	// Paths leaving the workspace, and workspaces alice may not view, are not found.
	assertRejection(t, d.OpenContainingFolder("shared-scratch", "../heart-failure-study/output/notes.md"), airlock.CodeNotFound)
	assertRejection(t, d.OpenContainingFolder("no-such-workspace", "a.csv"), airlock.CodeNotFound)
	assert.Len(t, rec.opened, 1)
}

// assertRejection checks that a bound method rejected with the API's error body.
func assertRejection(t *testing.T, err error, code airlock.Code) {
	t.Helper()
	require.Error(t, err)
	var body struct {
		Error struct {
			Code    airlock.Code `json:"code"`
			Message string       `json:"message"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(err.Error()), &body), "rejection %q is not the API's error body", err)
	assert.Equal(t, code, body.Error.Code)
	assert.NotEmpty(t, body.Error.Message)
}

func TestWindow_OpenRoute(t *testing.T) {
	e := newEnv(t)
	state := app.NewStateFile(filepath.Join(t.TempDir(), "state.json"), "embedded", nil)
	w := app.NewWindow(app.Config{Backend: e.local(), Open: "/workspaces/shared-scratch", Probe: state})
	rec := &recorder{}
	w.Started(rec)
	w.DomReady()
	w.DomReady() // a reload does not navigate again
	assert.Equal(t, []string{`location.hash = "#/workspaces/shared-scratch";`}, rec.js)
	assert.False(t, state.State().DomReadyAt.IsZero())

	require.NoError(t, app.CheckRoute("/workspaces/ws1"))
	for _, bad := range []string{"", "workspaces/ws1", "//evil.example/x", "https://evil.example", "/a\nb"} {
		assert.Error(t, app.CheckRoute(bad), bad)
	}
}

// The title follows what the page reports it shows (Desktop.Showing).
func TestWindow_TitleFollowsTheWorkspace(t *testing.T) {
	e := newEnv(t)
	w := app.NewWindow(app.Config{Backend: e.local()})
	rec := &recorder{}
	w.Started(rec)
	d := app.NewDesktop(w)
	login(t, w, "alice")

	require.NoError(t, d.Showing(contract.DesktopView{User: "alice", Workspace: "shared-scratch"}))
	assert.Equal(t, "Airlock — alice — shared-scratch", rec.lastTitle())
	require.NoError(t, d.Showing(contract.DesktopView{User: "alice"}))
	assert.Equal(t, "Airlock — alice", rec.lastTitle())
	// A request page reports the request's workspace.
	require.NoError(t, d.Showing(contract.DesktopView{User: "alice", Workspace: "heart-failure-study", Request: "r1"}))
	assert.Equal(t, "Airlock — alice — heart-failure-study", rec.lastTitle())
	// The title names the user the window logged in, whatever the page says.
	require.NoError(t, d.Showing(contract.DesktopView{User: "mallory", Workspace: "heart-failure-study"}))
	assert.Equal(t, "Airlock — alice — heart-failure-study", rec.lastTitle())
}
