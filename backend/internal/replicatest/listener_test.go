package replicatest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// health is the part of /healthz the test reads.
type health struct {
	Status  string `json:"status"`
	Details struct {
		LiveBus *struct {
			Listening bool   `json:"listening"`
			Reason    string `json:"reason"`
		} `json:"liveBus"`
	} `json:"details"`
}

func healthOf(t testing.TB, s *server) (int, health) {
	t.Helper()
	status, body := call(t, s, nil, "GET", "/healthz", nil, nil)
	var h health
	if status == 200 || status == 503 {
		require.NoError(t, json.Unmarshal([]byte(body), &h), body)
	}
	return status, h
}

// A server whose listening connection is lost (docs/operations.md, "Health checks" and
// "Live updates across replicas"): while it cannot listen again, /healthz still answers 200
// (the server serves correct data) and says so in details.liveBus; once it listens again
// its sockets are closed with 1001 and the resync reason, so clients refetch what they may
// have missed, and a change committed on the other server reaches a new socket on it.
func TestServerThatLosesItsListener(t *testing.T) {
	c := newCluster(t)
	a, b := c.start("a"), c.start("b")
	alice, _ := login(t, a, "alice", "alice-token")
	olivia, _ := login(t, b, "olivia", "olivia-token")
	var r reqView
	must(t, a, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	addFiles(t, a, alice, r.ID, "output/counts.csv")
	live := dial(t, b, olivia)

	status, h := healthOf(t, b)
	require.Equal(t, 200, status)
	require.Nil(t, h.Details.LiveBus, "listening: nothing to report")

	// New connections to the database are refused for a while (the servers' pools keep
	// the connections they hold), and B's listening connection is cut.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The admin connection is to another database of the server: a database's own
	// connections cannot disallow connections to it.
	u, err := url.Parse(c.db)
	require.NoError(t, err)
	db := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := pgx.Connect(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) }) // after the clean-up below
	allow := func(on bool) {
		_, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s ALLOW_CONNECTIONS %t`, pgx.Identifier{db}.Sanitize(), on))
		require.NoError(t, err)
	}
	allow(false)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), fmt.Sprintf(`ALTER DATABASE %s ALLOW_CONNECTIONS true`, pgx.Identifier{db}.Sanitize()))
	})
	var cut int
	require.NoError(t, admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'airlock-b' AND query LIKE 'LISTEN %'`, db).Scan(&cut))
	require.Equal(t, 1, cut, "B's listening connection")

	require.Eventually(t, func() bool {
		status, h := healthOf(t, b)
		return status == 200 && h.Details.LiveBus != nil && !h.Details.LiveBus.Listening
	}, time.Minute, 20*time.Millisecond, "/healthz of B: 200, and liveBus says it is not listening")
	_, h = healthOf(t, b)
	assert.Contains(t, h.Details.LiveBus.Reason, "reconnecting")
	status, h = healthOf(t, a)
	assert.Equal(t, 200, status)
	assert.Nil(t, h.Details.LiveBus, "A still listens")

	// Connections allowed again: B listens again and tells its clients to refetch.
	allow(true)
	f := live.next(t, "the resync close", func(f frame) bool { return f.closed != nil })
	assert.Equal(t, websocket.CloseGoingAway, f.closed.Code)
	assert.Equal(t, "live updates were interrupted; reconnect and refetch", f.closed.Text)
	require.Eventually(t, func() bool {
		status, h := healthOf(t, b)
		return status == 200 && h.Details.LiveBus == nil
	}, time.Minute, 20*time.Millisecond, "/healthz of B: listening again")
	assert.GreaterOrEqual(t, metric(t, b, "airlock_live_bus_gaps_total"), 1.0)

	// The client reconnects; a change committed on A reaches it on B.
	again := dial(t, b, olivia)
	must(t, a, alice, "POST", "/api/v1/requests/"+r.ID+"/submit", nil, nil)
	again.next(t, "request.changed SUBMITTED from A", func(f frame) bool {
		return f.Type == "request.changed" && f.RequestID == r.ID && f.Status == "SUBMITTED"
	})
}
