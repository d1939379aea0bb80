package cli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// TestServeHearsRequestCloseFromAnotherProcess: `airlock request close`, run as its own
// process while the server runs, reaches the server's live clients as request.changed.
func TestServeHearsRequestCloseFromAnotherProcess(t *testing.T) {
	d := demoDir(t)
	ctx := context.Background()
	core, err := OpenCore(mustSettings(t, "--data-dir", d), nil)
	require.NoError(t, err)
	alice := demoUserRecord("alice")
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	id := view.Request.ID
	_, err = core.Service.AddFiles(ctx, alice, id, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv"}})
	require.NoError(t, err)
	require.NoError(t, core.Close())

	s := startServe(t, "--data-dir", d)
	olivia := login(t, s.url, "olivia", "olivia-demo")
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.url, "http")+"/api/v1/events",
		map[string][]string{"Cookie": {olivia.cookie}})
	require.NoError(t, err)
	_ = resp.Body.Close()
	defer ws.Close()
	var ev airlock.Event
	require.NoError(t, ws.ReadJSON(&ev))
	require.Equal(t, airlock.EventHello, ev.Type)

	cmd := exec.Command(os.Args[0], "request", "close", id, "--data-dir", d, "--status", "REJECTED", "--reason", "stuck")
	cmd.Env = append(os.Environ(), "AIRLOCK_CLI_TEST_CHILD=1", "USER=olivia")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "closed as REJECTED by olivia")

	// The server looks every ChangePollInterval; the deadline only bounds a hang.
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(30*time.Second)))
	for {
		ev = airlock.Event{}
		require.NoError(t, ws.ReadJSON(&ev), "no request.changed for the closed request")
		if ev.Type == airlock.EventRequestChanged && ev.RequestID == id {
			break
		}
	}
	assert.Equal(t, airlock.Event{Type: airlock.EventRequestChanged, RequestID: id, Workspace: "heart-failure-study",
		Status: airlock.StatusRejected}, ev)
	assert.Contains(t, s.logs.String(), "requests changed by another process")

	// The command only queued the close's notification; the server dispatches it (no
	// job-server here: it is logged, and its outbox row says so).
	assert.Contains(t, string(out), "its job-server notification is queued: the running server sends it")
	require.Eventually(t, func() bool {
		return strings.Contains(s.logs.String(), "notification (no job-server configured)")
	}, 30*time.Second, 20*time.Millisecond, "the server sends what the command queued")
	check, err := OpenCore(mustSettings(t, "--data-dir", d), nil)
	require.NoError(t, err)
	defer check.Close()
	require.Eventually(t, func() bool {
		notes, err := check.Service.Notifications(ctx, id)
		return err == nil && len(notes) == 1 && notes[0].State == airlock.NotificationLogged
	}, 30*time.Second, 20*time.Millisecond, "the outbox row is logged")
}
