package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// dialEvents opens the live-events socket with the client's cookies and the given Origin,
// and reads the hello.
func dialEvents(t *testing.T, h *harness, c *client, origin string) *websocket.Conn {
	t.Helper()
	conn, resp, err := tryDialEvents(t, h, c, origin)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	var hello airlock.Event
	require.NoError(t, conn.ReadJSON(&hello))
	require.Equal(t, airlock.EventHello, hello.Type)
	return conn
}

func tryDialEvents(t *testing.T, h *harness, c *client, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	if c != nil {
		if ck := c.sessionCookie(); ck != nil {
			hdr.Set("Cookie", ck.Name+"="+ck.Value)
		}
	}
	url := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/api/v1/events"
	return websocket.DefaultDialer.Dial(url, hdr)
}

func TestEvents(t *testing.T) {
	h := newHarness(t, harnessOptions{origin: []string{"https://airlock.example.org"}})
	researcher := h.login(t, "researcher")
	outsider := h.login(t, "outsider")
	copilot := h.login(t, "copilot")

	rs := dialEvents(t, h, researcher, h.srv.URL)
	cs := dialEvents(t, h, copilot, "wails://wails")
	os := dialEvents(t, h, outsider, "https://airlock.example.org")
	waitFor(t, func() bool { return h.hub.Count() == 3 })

	// A committed change through the service reaches those who may view the workspace.
	view, created, err := h.svc.GetOrCreateRequest(testenv.Ctx(), testenv.Researcher(), testenv.Workspace)
	require.NoError(t, err)
	require.True(t, created)
	for _, conn := range []*websocket.Conn{rs, cs} {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		var ev airlock.Event
		require.NoError(t, conn.ReadJSON(&ev))
		assert.Equal(t, airlock.Event{Type: airlock.EventRequestChanged, RequestID: view.Request.ID,
			Workspace: testenv.Workspace, Status: airlock.StatusPending}, ev)
	}
	// The outsider's next event is one of its own workspace: it never saw the other.
	h.hub.Publish(airlock.Event{Type: airlock.EventWorkspaceChanged, Workspace: testenv.OtherWorkspace, Paths: []string{"a.csv"}})
	_ = os.SetReadDeadline(time.Now().Add(2 * time.Second))
	var ev airlock.Event
	require.NoError(t, os.ReadJSON(&ev))
	assert.Equal(t, testenv.OtherWorkspace, ev.Workspace)

	t.Run("foreign origin refused", func(t *testing.T) {
		_, resp, err := tryDialEvents(t, h, researcher, "https://evil.example")
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		_ = resp.Body.Close()
	})
	t.Run("no session", func(t *testing.T) {
		_, resp, err := tryDialEvents(t, h, nil, h.srv.URL)
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		_ = resp.Body.Close()
	})
	t.Run("not a websocket", func(t *testing.T) {
		r := researcher.do("GET", "/api/v1/events", nil, nil)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, airlock.CodeInvalid, r.errorCode())
	})
	assert.Equal(t, 3, h.hub.Count())
}
