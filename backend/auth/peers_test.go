package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
)

// relay passes what one authenticator tells its peers to another, as the live bus does
// between two servers.
type relay struct{ to *auth.Authenticator }

func (r *relay) SessionEnded(key string) { r.to.ForgetSession(key) }
func (r *relay) UserRefreshed(username string) {
	_, _ = r.to.ReloadUser(context.Background(), username)
}
func (r *relay) UserRevoked(username string) { r.to.ForgetUser(username) }

// Two servers on one database: a session started on one is accepted by the other; one
// ended on either is refused by both at once (not after the cache's few seconds); failed
// logins count against the limit on both (they are in the database: nothing is relayed).
func TestPeersShareSessionsAndLimits(t *testing.T) {
	ctx := context.Background()
	users := loadUsers(t)
	st := openStore(t)
	clk := newClock()
	toA, toB := &relay{}, &relay{}
	a := auth.New(auth.Config{Store: st, Clock: clk.Now, Users: users, Peers: toB})
	b := auth.New(auth.Config{Store: st, Clock: clk.Now, Users: users, Peers: toA})
	toA.to, toB.to = a, b

	sess, err := a.Login(ctx, "alice", "alice-secret", "")
	require.NoError(t, err)
	got, err := b.Authenticate(ctx, sess.ID)
	require.NoError(t, err, "a session from a is accepted by b")
	require.Equal(t, "alice", got.User.Username)

	require.NoError(t, a.Logout(ctx, sess.Key))
	_, err = b.Authenticate(ctx, sess.ID)
	assertCode(t, err, airlock.CodeUnauthenticated)

	// The per-user limit holds for the two servers together: 3 failures on a and 2 on b.
	for range 3 {
		_, err := a.Login(ctx, "alice", "wrong", "10.0.0.1")
		assertCode(t, err, airlock.CodeUnauthenticated)
	}
	for range 2 {
		_, err := b.Login(ctx, "alice", "wrong", "10.0.0.2")
		assertCode(t, err, airlock.CodeUnauthenticated)
	}
	for _, srv := range []*auth.Authenticator{a, b} {
		_, err := srv.Login(ctx, "alice", "alice-secret", "10.0.0.3")
		assertCode(t, err, airlock.CodeRateLimited)
	}

	// Success on one clears the user's failures on both.
	for range 4 {
		_, err := a.Login(ctx, "bob", "wrong", "10.0.1.1")
		assertCode(t, err, airlock.CodeUnauthenticated)
	}
	_, err = b.Login(ctx, "bob", "bob-secret", "10.0.1.2")
	require.NoError(t, err)
	for range 4 {
		_, err := a.Login(ctx, "bob", "wrong", "10.0.1.1")
		assertCode(t, err, airlock.CodeUnauthenticated)
	}
	_, err = a.Login(ctx, "bob", "bob-secret", "10.0.1.1")
	require.NoError(t, err, "b's success cleared a's count")

	// A single-use token issued through one server is used once, on either.
	token, _, err := a.IssueToken(ctx, "alice")
	require.NoError(t, err)
	clk.Advance(16 * time.Minute) // past the failures above
	_, err = b.Login(ctx, "alice", token, "10.0.2.1")
	require.NoError(t, err)
	_, err = a.Login(ctx, "alice", token, "10.0.2.1")
	assertCode(t, err, airlock.CodeUnauthenticated)
}
