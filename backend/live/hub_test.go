package live_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/live"
)

var users = map[string]airlock.User{
	"alice":   {Username: "alice", Workspaces: map[string]airlock.WorkspaceGrant{"ws1": {Project: airlock.Project{Name: "P", Ongoing: true}}}},
	"copilot": {Username: "copilot", CopilotedWorkspaces: map[string]airlock.WorkspaceGrant{"ws1": {}}},
	"bob":     {Username: "bob", Workspaces: map[string]airlock.WorkspaceGrant{"ws2": {}}},
	"checker": {Username: "checker", OutputChecker: true},
}

// server serves the hub on a real listener. Authentication is the API's job; here the
// user and session come from the query string.
func server(t *testing.T, cfg live.Config) (*live.Hub, *httptest.Server) {
	t.Helper()
	hub := live.NewHub(cfg)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := users[r.URL.Query().Get("user")]
		_ = hub.ServeWS(w, r, u, r.URL.Query().Get("session"))
	}))
	t.Cleanup(func() {
		hub.Close()
		srv.Close()
	})
	return hub, srv
}

func wsURL(srv *httptest.Server, user, session string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/?user=" + user + "&session=" + session
}

func dial(t *testing.T, srv *httptest.Server, user, session string) *websocket.Conn {
	t.Helper()
	h := http.Header{"Origin": {srv.URL}}
	c, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, user, session), h)
	require.NoError(t, err)
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = c.Close() })
	var hello airlock.Event
	require.NoError(t, c.ReadJSON(&hello))
	require.Equal(t, airlock.Event{Type: airlock.EventHello, User: user}, hello)
	return c
}

// next reads the next event, failing after a second.
func next(t *testing.T, c *websocket.Conn) (airlock.Event, error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	var ev airlock.Event
	_, data, err := c.ReadMessage()
	if err != nil {
		return ev, err
	}
	require.NoError(t, json.Unmarshal(data, &ev))
	return ev, nil
}

func changed(ws, id string) airlock.Event {
	return airlock.Event{Type: airlock.EventRequestChanged, RequestID: id, Workspace: ws, Status: airlock.StatusSubmitted}
}

func TestRoutingByWorkspaceVisibility(t *testing.T) {
	hub, srv := server(t, live.Config{})
	alice := dial(t, srv, "alice", "s1")
	copilot := dial(t, srv, "copilot", "s2")
	bob := dial(t, srv, "bob", "s3")
	checker := dial(t, srv, "checker", "s4")
	require.Eventually(t, func() bool { return hub.Count() == 4 }, time.Second, 5*time.Millisecond)

	// Each client's next event shows which of these it was given.
	hub.Publish(changed("ws1", "r1"))
	hub.Publish(airlock.Event{Type: airlock.EventWorkspaceChanged, Workspace: "ws2", Paths: []string{"out/a.csv"}})
	hub.Publish(changed("ws1", "r3"))
	for name, c := range map[string]*websocket.Conn{"alice": alice, "copilot": copilot, "checker": checker, "bob": bob} {
		var got []string
		for range 3 {
			ev, err := next(t, c)
			if err != nil {
				break
			}
			got = append(got, string(ev.Type)+" "+ev.Workspace+" "+ev.RequestID)
		}
		want := map[string][]string{
			"alice":   {"request.changed ws1 r1", "request.changed ws1 r3"},
			"copilot": {"request.changed ws1 r1", "request.changed ws1 r3"},
			"checker": {"request.changed ws1 r1", "workspace.changed ws2 ", "request.changed ws1 r3"},
			"bob":     {"workspace.changed ws2 "},
		}[name]
		assert.Equal(t, want, got, name)
	}
}

func TestDisconnectLeavesNoClients(t *testing.T) {
	hub, srv := server(t, live.Config{})
	a := dial(t, srv, "alice", "s1")
	b := dial(t, srv, "alice", "s1")
	require.Eventually(t, func() bool { return hub.Count() == 2 }, time.Second, 5*time.Millisecond)
	require.NoError(t, a.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")))
	_ = a.Close()
	require.Eventually(t, func() bool { return hub.Count() == 1 }, 2*time.Second, 5*time.Millisecond)
	_ = b.Close() // abrupt
	require.Eventually(t, func() bool { return hub.Count() == 0 }, 2*time.Second, 5*time.Millisecond)
	hub.Publish(changed("ws1", "r1")) // nobody left: nothing to block on
}

func TestSlowClientIsDroppedWithoutBlockingPublish(t *testing.T) {
	hub, srv := server(t, live.Config{SendBuffer: 8})
	fast := dial(t, srv, "alice", "fast")

	// The slow client has a tiny receive buffer and never reads.
	dialer := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, resp, err := dialer.Dial(wsURL(srv, "copilot", "slow"), http.Header{"Origin": {srv.URL}})
	require.NoError(t, err)
	_ = resp.Body.Close()
	defer slow.Close()
	require.Eventually(t, func() bool { return hub.Count() == 2 }, time.Second, 5*time.Millisecond)

	big := strings.Repeat("x", 32<<10)
	for i := 0; i < 1000 && hub.CountUser("copilot") > 0; i++ {
		ev := airlock.Event{Type: airlock.EventWorkspaceChanged, Workspace: "ws1", Paths: []string{big}, RequestID: string(rune('a' + i%26))}
		hub.Publish(ev) // returns at once, whatever the slow client does
		got, err := next(t, fast)
		require.NoError(t, err, "the fast client keeps receiving (event %d)", i)
		require.Equal(t, ev.RequestID, got.RequestID)
	}
	assert.Equal(t, 0, hub.CountUser("copilot"), "the slow client was dropped")
	assert.Equal(t, 1, hub.CountUser("alice"), "the fast client is still connected")

	// (Its socket is closed too; draining the megabytes queued for it through a 4 KiB
	// window would take too long to check here.)
}

func TestPingPongDeadlines(t *testing.T) {
	hub, srv := server(t, live.Config{PongWait: 300 * time.Millisecond, PingPeriod: 100 * time.Millisecond})
	reader := dial(t, srv, "alice", "r")
	silent := dial(t, srv, "checker", "s")
	// The reader answers pings (gorilla's default ping handler runs while reading).
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := reader.NextReader(); err != nil {
				return
			}
		}
	}()
	_ = silent
	require.Eventually(t, func() bool { return hub.CountUser("checker") == 0 }, 3*time.Second, 10*time.Millisecond,
		"a client that never answers pings is dropped")
	assert.Equal(t, 1, hub.CountUser("alice"), "a client that answers stays")
	_ = reader.Close()
	<-done
}

func TestReadLimit(t *testing.T) {
	hub, srv := server(t, live.Config{ReadLimit: 128})
	c := dial(t, srv, "alice", "s")
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("y", 64))))
	require.Eventually(t, func() bool { return hub.Count() == 1 }, time.Second, 5*time.Millisecond)
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("y", 4096))))
	require.Eventually(t, func() bool { return hub.Count() == 0 }, 2*time.Second, 5*time.Millisecond)
}

func TestCloseSession(t *testing.T) {
	hub, srv := server(t, live.Config{})
	mine1 := dial(t, srv, "alice", "sess-a")
	mine2 := dial(t, srv, "alice", "sess-a")
	other := dial(t, srv, "alice", "sess-b")
	require.Eventually(t, func() bool { return hub.Count() == 3 }, time.Second, 5*time.Millisecond)

	hub.CloseSession("sess-a")
	for _, c := range []*websocket.Conn{mine1, mine2} {
		_, err := next(t, c)
		var ce *websocket.CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, live.CloseSessionEnded, ce.Code)
	}
	assert.Equal(t, 1, hub.Count())
	hub.Publish(changed("ws1", "r9"))
	ev, err := next(t, other)
	require.NoError(t, err)
	assert.Equal(t, "r9", ev.RequestID)
}

func TestOriginCheck(t *testing.T) {
	hub, srv := server(t, live.Config{AllowedOrigins: []string{"https://airlock.example.org"}})
	for origin, ok := range map[string]bool{
		srv.URL:                       true,
		"wails://wails":               true,
		"https://airlock.example.org": true,
		"HTTPS://Airlock.Example.org": true,
		"":                            true, // not a browser; still needs the session cookie
		"https://evil.example":        false,
		"http://127.0.0.1:1":          false,
		"null":                        false,
		"https://airlock.example.org.evil.example": false,
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, "alice", "s"), h)
		if ok {
			require.NoError(t, err, origin)
			_ = c.Close()
		} else {
			require.Error(t, err, origin)
			require.NotNil(t, resp, origin)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, origin)
		}
		if resp != nil {
			_ = resp.Body.Close()
		}
	}
	require.Eventually(t, func() bool { return hub.Count() == 0 }, 2*time.Second, 5*time.Millisecond)
}

type recordingSink struct {
	mu     sync.Mutex
	events []airlock.Event
}

func (s *recordingSink) Deliver(ev airlock.Event) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
}

func (s *recordingSink) got() []airlock.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]airlock.Event(nil), s.events...)
}

func TestSinks(t *testing.T) {
	hub := live.NewHub(live.Config{})
	defer hub.Close()
	aliceSink, bobSink := &recordingSink{}, &recordingSink{}
	unsub := hub.Subscribe(users["alice"], aliceSink)
	hub.Subscribe(users["bob"], bobSink)

	hub.Publish(changed("ws1", "r1"), changed("ws2", "r2"), changed("ws1", "r3"))
	require.Eventually(t, func() bool { return len(aliceSink.got()) == 2 && len(bobSink.got()) == 1 }, time.Second, 5*time.Millisecond)
	assert.Equal(t, []string{"r1", "r3"}, []string{aliceSink.got()[0].RequestID, aliceSink.got()[1].RequestID})
	assert.Equal(t, "r2", bobSink.got()[0].RequestID)

	unsub()
	hub.Publish(changed("ws1", "r4"), changed("ws2", "r5"))
	require.Eventually(t, func() bool { return len(bobSink.got()) == 2 }, time.Second, 5*time.Millisecond)
	assert.Len(t, aliceSink.got(), 2)
}

func TestCloseDisconnectsEveryone(t *testing.T) {
	hub, srv := server(t, live.Config{})
	a := dial(t, srv, "alice", "s1")
	b := dial(t, srv, "checker", "s2")
	require.Eventually(t, func() bool { return hub.Count() == 2 }, time.Second, 5*time.Millisecond)
	hub.Close()
	for _, c := range []*websocket.Conn{a, b} {
		_, err := next(t, c)
		var ce *websocket.CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, websocket.CloseGoingAway, ce.Code)
	}
	assert.Equal(t, 0, hub.Count())
	hub.Publish(changed("ws1", "r1")) // after Close: a no-op, not a panic

	// New connections are refused with going-away.
	c, resp, err := websocket.DefaultDialer.Dial(wsURL(srv, "alice", "s3"), nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	_, _, err = c.ReadMessage() // hello is never sent; the close frame is
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, websocket.CloseGoingAway, ce.Code)
}

func BenchmarkFanOut1000(b *testing.B) {
	hub := live.NewHub(live.Config{})
	defer hub.Close()
	sinks := make([]*countSink, 1000)
	for i := range sinks {
		sinks[i] = &countSink{ch: make(chan struct{}, 1024)}
		hub.Subscribe(users["checker"], sinks[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hub.Publish(changed("ws1", "r1"))
		for _, s := range sinks {
			<-s.ch
		}
	}
}

type countSink struct{ ch chan struct{} }

func (s *countSink) Deliver(airlock.Event) { s.ch <- struct{}{} }

func TestUpdateUserChangesRouting(t *testing.T) {
	hub, srv := server(t, live.Config{})
	c := dial(t, srv, "bob", "s") // bob holds a role on ws2 only
	require.Eventually(t, func() bool { return hub.Count() == 1 }, time.Second, 5*time.Millisecond)

	bob := users["bob"]
	bob.Workspaces = map[string]airlock.WorkspaceGrant{"ws1": {}} // moved from ws2 to ws1
	hub.UpdateUser(bob)
	hub.Publish(changed("ws2", "r-old"), changed("ws1", "r-new"))
	ev, err := next(t, c)
	require.NoError(t, err)
	assert.Equal(t, "r-new", ev.RequestID, "ws2 is no longer delivered; ws1 is")
}

func TestMaxLifetime(t *testing.T) {
	hub, srv := server(t, live.Config{MaxLifetime: 200 * time.Millisecond})
	c := dial(t, srv, "alice", "s")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, websocket.CloseGoingAway, ce.Code)
	require.Eventually(t, func() bool { return hub.Count() == 0 }, time.Second, 5*time.Millisecond)
}

// Resync closes every socket with "going away" and the resync reason (clients reconnect and
// refetch); sinks stay subscribed, and new sockets work as before.
func TestResyncClosesSocketsSoClientsRefetch(t *testing.T) {
	hub, srv := server(t, live.Config{})
	a, b := dial(t, srv, "alice", "s1"), dial(t, srv, "checker", "s2")
	got := make(chan airlock.Event, 1)
	unsubscribe := hub.Subscribe(users["alice"], sinkFunc(func(ev airlock.Event) { got <- ev }))
	defer unsubscribe()
	require.Eventually(t, func() bool { return hub.Count() == 3 }, 5*time.Second, 5*time.Millisecond)

	hub.Resync()
	for _, c := range []*websocket.Conn{a, b} {
		_, err := next(t, c)
		var ce *websocket.CloseError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, websocket.CloseGoingAway, ce.Code)
		assert.Equal(t, live.CloseResync, ce.Text)
	}
	assert.Equal(t, 1, hub.Count(), "the sink stays")
	again := dial(t, srv, "alice", "s1")
	hub.Publish(changed("ws1", "r1"))
	ev, err := next(t, again)
	require.NoError(t, err)
	assert.Equal(t, "r1", ev.RequestID)
	select {
	case ev := <-got:
		assert.Equal(t, "r1", ev.RequestID)
	case <-time.After(5 * time.Second):
		t.Fatal("the sink heard nothing")
	}
}

type sinkFunc func(airlock.Event)

func (f sinkFunc) Deliver(ev airlock.Event) { f(ev) }
