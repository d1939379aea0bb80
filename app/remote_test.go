package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/app"
	"github.com/trelab/airlock/backend/airlock"
)

// The window attached to a running server (airlock desktop --server URL): the server is
// the real handler of `airlock serve` on a real listener.
func TestRemote_Attach(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.b.Handler)
	t.Cleanup(srv.Close)
	remote, err := app.NewRemote(srv.URL, nil, nil)
	require.NoError(t, err)
	host := remote.Host()
	w := app.NewWindow(app.Config{Backend: remote, Server: host})
	rec := &recorder{}
	w.Started(rec)
	assert.Equal(t, "Airlock ("+host+")", rec.lastTitle())

	v := newWebview(t, w, remote.Proxy())
	login(t, w, "olivia")
	assert.Equal(t, "Airlock — olivia ("+host+")", rec.lastTitle())
	status, body := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "olivia", body["user"].(map[string]any)["username"])

	// A wrong token is the server's refusal.
	_, err = app.NewDesktop(w).Login("olivia", "wrong")
	assertRejection(t, err, airlock.CodeUnauthenticated)
	assert.Equal(t, "Airlock — olivia ("+host+")", rec.lastTitle())

	// Live events come over the server's WebSocket, opened by the desktop process.
	require.Eventually(t, func() bool { return e.b.Hub.CountUser("olivia") == 1 }, wait, tick)
	writeFile(t, e.settings.WorkspacesDir, "shared-scratch", "attached.csv", "x\n1\n")
	require.Eventually(t, func() bool { return rec.eventsFor("shared-scratch") > 0 }, wait, tick)

	// Notifications and downloads go through the server's API.
	id := submitted(t, e)
	require.Eventually(t, func() bool { return len(rec.notifications()) > 0 }, wait, tick)
	assert.Equal(t, []string{"A request awaits your review"}, rec.notifications())
	d := app.NewDesktop(w)
	rec.saveTo = t.TempDir() + "/counts.csv"
	saved, err := d.SaveRequestFile(id, "counts.csv")
	require.NoError(t, err)
	assert.FileExists(t, saved)

	// The workspace folders are on the server.
	assertRejection(t, d.OpenContainingFolder("shared-scratch", "counts.csv"), airlock.CodeInvalid)

	// Closing the window ends its session on the server.
	session := v.sessionID()
	require.NotEmpty(t, session)
	w.Close(context.Background())
	_, err = e.b.Auth.Authenticate(context.Background(), session)
	assert.Equal(t, airlock.CodeUnauthenticated, airlock.ErrorCode(err))
	require.Eventually(t, func() bool { return e.b.Hub.CountUser("olivia") == 0 }, wait, tick)
}

func TestRemote_ServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u, _ := url.Parse(srv.URL)
	srv.Close()
	remote, err := app.NewRemote(u.String(), nil, nil)
	require.NoError(t, err)
	w := app.NewWindow(app.Config{Backend: remote, Server: remote.Host()})
	w.Started(&recorder{})
	v := newWebview(t, w, remote.Proxy())
	status, body := v.do(http.MethodGet, "/api/v1/auth/me", nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "unavailable", body["error"].(map[string]any)["code"])
}

func TestNewRemote_RejectsNonHTTP(t *testing.T) {
	for _, s := range []string{"", "ftp://x", "127.0.0.1:8080", "http://"} {
		_, err := app.NewRemote(s, nil, nil)
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), s)
	}
}
