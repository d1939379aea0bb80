package auth_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/store/postgres"
	"github.com/trelab/airlock/backend/store/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// store is a store of either kind.
type store interface {
	auth.Store
	Close() error
}

// databases open a fresh database of each store and return a function opening another
// store on it, as another server (or the same one restarted) would; each store is closed
// when the test ends, or earlier by the test.
var databases = map[string]func(t *testing.T) func() store{
	"sqlite": func(t *testing.T) func() store {
		path := filepath.Join(t.TempDir(), "airlock.db")
		return func() store {
			st, err := sqlite.Open(path)
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			return st
		}
	},
	"postgres": func(t *testing.T) func() store {
		url := pgtest.New(t)
		return func() store {
			st, err := postgres.Open(url)
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			return st
		}
	},
}

func login(t *testing.T, a *auth.Authenticator, user, token, addr string) error {
	t.Helper()
	_, err := a.Login(t.Context(), user, token, addr)
	return err
}

// Servers on one database share the failed logins without telling each other anything:
// the limits hold for them together, a server started after the failures refuses too, and
// a success on one clears the user's failures for all.
func TestLoginFailuresSharedByServers(t *testing.T) {
	for name, db := range databases {
		t.Run(name, func(t *testing.T) {
			open := db(t)
			users, clk := loadUsers(t), newClock()
			server := func() *auth.Authenticator {
				return auth.New(auth.Config{Store: open(), Users: users, Clock: clk.Now})
			}
			a, b := server(), server()
			for range 3 {
				assertCode(t, login(t, a, "alice", "wrong", "10.0.0.1"), airlock.CodeUnauthenticated)
			}
			for range 2 {
				assertCode(t, login(t, b, "alice", "wrong", "10.0.0.2"), airlock.CodeUnauthenticated)
			}
			late := server()
			for _, srv := range []*auth.Authenticator{a, b, late} {
				err := login(t, srv, "alice", "alice-secret", "10.0.0.3")
				assertCode(t, err, airlock.CodeRateLimited)
				assert.Contains(t, airlock.ErrorMessage(err), "15 minutes")
			}

			// Success on one clears the user's failures on every server.
			for range 4 {
				assertCode(t, login(t, a, "bob", "wrong", "10.0.1.1"), airlock.CodeUnauthenticated)
			}
			require.NoError(t, login(t, b, "bob", "bob-secret", "10.0.1.2"))
			for range 4 {
				assertCode(t, login(t, late, "bob", "wrong", "10.0.1.1"), airlock.CodeUnauthenticated)
			}
			require.NoError(t, login(t, a, "bob", "bob-secret", "10.0.1.1"), "b's success cleared the count")

			// The address limit is shared too: 20 failures from one address on three servers.
			for i := range auth.DefaultMaxAddrFailures {
				srv := []*auth.Authenticator{a, b, late}[i%3]
				assertCode(t, login(t, srv, "guess"+string(rune('a'+i)), "wrong", "192.0.2.7"), airlock.CodeUnauthenticated)
			}
			assertCode(t, login(t, b, "bob", "bob-secret", "192.0.2.7"), airlock.CodeRateLimited)
			require.NoError(t, login(t, b, "bob", "bob-secret", "192.0.2.8"))

			// The window passes for everyone at once.
			clk.Advance(auth.DefaultFailureWindow + time.Second)
			require.NoError(t, login(t, late, "alice", "alice-secret", "10.0.0.3"))
		})
	}
}

// A restart forgets no failure: the server started again on the same database refuses the
// user until the window has passed.
func TestLoginFailuresSurviveRestart(t *testing.T) {
	for name, db := range databases {
		t.Run(name, func(t *testing.T) {
			open := db(t)
			users, clk := loadUsers(t), newClock()
			st := open()
			before := auth.New(auth.Config{Store: st, Users: users, Clock: clk.Now})
			for range auth.DefaultMaxUserFailures {
				assertCode(t, login(t, before, "alice", "wrong", "10.0.0.1"), airlock.CodeUnauthenticated)
			}
			require.NoError(t, st.Close())

			clk.Advance(10 * time.Minute)
			after := auth.New(auth.Config{Store: open(), Users: users, Clock: clk.Now})
			err := login(t, after, "alice", "alice-secret", "10.0.0.9")
			assertCode(t, err, airlock.CodeRateLimited)
			assert.Contains(t, airlock.ErrorMessage(err), "5 minutes", "the wait counts from the failures before the restart")

			clk.Advance(5*time.Minute + time.Second)
			require.NoError(t, login(t, after, "alice", "alice-secret", "10.0.0.9"))
		})
	}
}

// A login whose failures cannot be read is refused as an error, never let through
// uncounted, even with the right token.
func TestLoginRefusedWhenFailuresCannotBeRead(t *testing.T) {
	st := databases["sqlite"](t)()
	a := auth.New(auth.Config{Store: st, Users: loadUsers(t), Clock: newClock().Now})
	require.NoError(t, st.Close())
	err := login(t, a, "alice", "alice-secret", "10.0.0.1")
	assertCode(t, err, airlock.CodeInternal)
	assert.Contains(t, err.Error(), "failed logins")
}
