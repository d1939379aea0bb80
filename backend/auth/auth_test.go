package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/store/sqlite"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "airlock.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const usersJSON = `{
 "alice": {"token": "alice-secret", "details": {"username": "alice", "fullname": "Alice A",
   "output_checker": false,
   "workspaces": {"ws1": {"project_details": {"name": "P1", "ongoing": true}, "archived": false}},
   "copiloted_workspaces": {}}},
 "bob": {"token_sha256": "` + "%BOBHASH%" + `", "details": {"username": "bob", "output_checker": true}}
}`

func writeUsers(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "users.json")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func loadUsers(t *testing.T) *auth.UsersFile {
	t.Helper()
	uf, err := auth.LoadUsersFile(writeUsers(t, strings.ReplaceAll(usersJSON, "%BOBHASH%", sha("bob-secret"))))
	require.NoError(t, err)
	return uf
}

func assertCode(t *testing.T, err error, code airlock.Code) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, code, airlock.ErrorCode(err), "error: %v", err)
}

func TestUsersFile(t *testing.T) {
	uf := loadUsers(t)

	t.Run("plain token", func(t *testing.T) {
		u, ok := uf.Check("alice", "alice-secret")
		require.True(t, ok)
		assert.Equal(t, "Alice A", u.Fullname)
		assert.Equal(t, airlock.Project{Name: "P1", Ongoing: true, Orgs: []string{}}, u.Workspaces["ws1"].Project)
		assert.NotNil(t, u.CopilotedWorkspaces)
		_, ok = uf.Check("alice", "alice-secreT")
		assert.False(t, ok)
		_, ok = uf.Check("alice", "")
		assert.False(t, ok)
	})
	t.Run("sha256 token and fullname fallback", func(t *testing.T) {
		u, ok := uf.Check("bob", "bob-secret")
		require.True(t, ok)
		assert.Equal(t, "bob", u.Fullname)
		assert.True(t, u.OutputChecker)
		assert.NotNil(t, u.Workspaces)
		_, ok = uf.Check("bob", sha("bob-secret"))
		assert.False(t, ok, "the hash itself is not the token")
	})
	t.Run("unknown user", func(t *testing.T) {
		_, ok := uf.Check("carol", "alice-secret")
		assert.False(t, ok)
	})
	t.Run("re-read when the file changes", func(t *testing.T) {
		p := writeUsers(t, `{"dan": {"token": "one", "details": {}}}`)
		f, err := auth.LoadUsersFile(p)
		require.NoError(t, err)
		_, ok := f.Check("dan", "one")
		require.True(t, ok)
		require.NoError(t, os.WriteFile(p, []byte(`{"dan": {"token": "two-longer", "details": {}}}`), 0o600))
		assert.Eventually(t, func() bool { _, ok := f.Check("dan", "two-longer"); return ok }, 3*time.Second, 50*time.Millisecond)
		_, ok = f.Check("dan", "one")
		assert.False(t, ok)
	})
	t.Run("invalid files are refused with the reason", func(t *testing.T) {
		for name, tc := range map[string]struct{ content, want string }{
			"not json":          {`{`, "not a JSON object"},
			"no token":          {`{"a": {"details": {}}}`, `needs a "token"`},
			"both tokens":       {`{"a": {"token": "x", "token_sha256": "` + sha("x") + `", "details": {}}}`, "both"},
			"bad hash":          {`{"a": {"token_sha256": "xyz", "details": {}}}`, "not a hex SHA-256"},
			"other username":    {`{"a": {"token": "x", "details": {"username": "b"}}}`, `details.username is "b"`},
			"extra ws key":      {`{"a": {"token": "x", "details": {"workspaces": {"w": {"project_details": {}, "archived": false, "x": 1}}}}}`, "exactly the keys"},
			"missing ws key":    {`{"a": {"token": "x", "details": {"copiloted_workspaces": {"w": {"project_details": {}}}}}}`, "exactly the keys"},
			"wrong field types": {`{"a": {"token": 5, "details": {}}}`, `user "a"`},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := auth.LoadUsersFile(writeUsers(t, tc.content))
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.want)
			})
		}
		_, err := auth.LoadUsersFile(filepath.Join(t.TempDir(), "missing.json"))
		require.Error(t, err)
	})
}

func newAuth(t *testing.T, cfg auth.Config) (*auth.Authenticator, *sqlite.Store, *clock) {
	t.Helper()
	st := openStore(t)
	clk := newClock()
	cfg.Store, cfg.Clock = st, clk.Now
	return auth.New(cfg), st, clk
}

func TestLoginWithUsersFile(t *testing.T) {
	ctx := context.Background()
	a, st, clk := newAuth(t, auth.Config{Users: loadUsers(t)})

	sess, err := a.Login(ctx, "alice", "alice-secret", "10.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, "alice", sess.User.Username)
	assert.NotEmpty(t, sess.ID)
	assert.NotEmpty(t, sess.CSRFToken)
	assert.Equal(t, auth.HashSecret(sess.ID), sess.Key)
	assert.Equal(t, clk.Now().Add(auth.DefaultSessionLifetime), sess.ExpiresAt)

	// Only the hash of the session id is stored.
	_, _, _, err = st.GetSession(ctx, sess.ID)
	assertCode(t, err, airlock.CodeNotFound)
	user, csrf, _, err := st.GetSession(ctx, sess.Key)
	require.NoError(t, err)
	assert.Equal(t, "alice", user)
	assert.Equal(t, sess.CSRFToken, csrf)

	// The user record is cached.
	cached, refreshed, err := st.GetUser(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "Alice A", cached.Fullname)
	assert.True(t, refreshed.Equal(clk.Now()))

	got, err := a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, "alice", got.User.Username)
	assert.Equal(t, sess.CSRFToken, got.CSRFToken)
	assert.True(t, got.CheckCSRF(sess.CSRFToken))
	assert.False(t, got.CheckCSRF(""))
	assert.False(t, got.CheckCSRF(sess.CSRFToken+"x"))

	_, err = a.Login(ctx, "alice", "wrong", "10.0.0.1")
	assertCode(t, err, airlock.CodeUnauthenticated)
	assert.Equal(t, "Invalid user or token", airlock.ErrorMessage(err))
	_, err = a.Login(ctx, "nobody", "alice-secret", "10.0.0.1")
	assertCode(t, err, airlock.CodeUnauthenticated)
	_, err = a.Login(ctx, "", "x", "10.0.0.1")
	assertCode(t, err, airlock.CodeInvalid)

	_, err = a.Authenticate(ctx, "made-up")
	assertCode(t, err, airlock.CodeUnauthenticated)
	_, err = a.Authenticate(ctx, "")
	assertCode(t, err, airlock.CodeUnauthenticated)
}

func TestSessionsSlideAndExpire(t *testing.T) {
	ctx := context.Background()
	a, st, clk := newAuth(t, auth.Config{Users: loadUsers(t)})
	sess, err := a.Login(ctx, "alice", "alice-secret", "")
	require.NoError(t, err)

	// Used every 7 weeks, it never expires: the expiry slides.
	for range 3 {
		clk.Advance(7 * 7 * 24 * time.Hour)
		got, err := a.Authenticate(ctx, sess.ID)
		require.NoError(t, err)
		assert.True(t, got.Renewed)
		assert.Equal(t, clk.Now().Add(auth.DefaultSessionLifetime), got.ExpiresAt)
		_, _, exp, err := st.GetSession(ctx, sess.Key)
		require.NoError(t, err)
		assert.True(t, exp.Equal(got.ExpiresAt))
	}
	// Used again a second later, it is not rewritten.
	clk.Advance(time.Second)
	got, err := a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	assert.False(t, got.Renewed)

	// Eight weeks of inactivity log the user out, and the row is gone.
	clk.Advance(auth.DefaultSessionLifetime)
	_, err = a.Authenticate(ctx, sess.ID)
	assertCode(t, err, airlock.CodeUnauthenticated)
	_, _, _, err = st.GetSession(ctx, sess.Key)
	assertCode(t, err, airlock.CodeNotFound)
}

func TestLogout(t *testing.T) {
	ctx := context.Background()
	a, st, _ := newAuth(t, auth.Config{Users: loadUsers(t)})
	sess, err := a.Login(ctx, "alice", "alice-secret", "")
	require.NoError(t, err)
	other, err := a.Login(ctx, "alice", "alice-secret", "")
	require.NoError(t, err)

	require.NoError(t, a.Logout(ctx, sess.Key))
	_, err = a.Authenticate(ctx, sess.ID)
	assertCode(t, err, airlock.CodeUnauthenticated)
	_, _, _, err = st.GetSession(ctx, sess.Key)
	assertCode(t, err, airlock.CodeNotFound)
	// Other sessions of the user are untouched; logging out twice is fine.
	_, err = a.Authenticate(ctx, other.ID)
	require.NoError(t, err)
	require.NoError(t, a.Logout(ctx, sess.Key))
}

func TestSingleUseTokens(t *testing.T) {
	ctx := context.Background()
	a, st, clk := newAuth(t, auth.Config{Users: loadUsers(t)})

	token, expires, err := a.IssueToken(ctx, "alice")
	require.NoError(t, err)
	assert.Regexp(t, `^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`, token)
	assert.Equal(t, clk.Now().Add(30*time.Minute), expires)

	// Stored hashed: the plain token is not a stored token.
	ok, err := st.ConsumeLoginToken(ctx, "alice", token, clk.Now())
	require.NoError(t, err)
	assert.False(t, ok)

	sess, err := a.Login(ctx, "alice", token, "")
	require.NoError(t, err)
	assert.Equal(t, "alice", sess.User.Username)
	_, err = a.Login(ctx, "alice", token, "")
	assertCode(t, err, airlock.CodeUnauthenticated)

	t.Run("expires after 30 minutes", func(t *testing.T) {
		token, _, err := a.IssueToken(ctx, "bob")
		require.NoError(t, err)
		clk.Advance(30*time.Minute + time.Second)
		_, err = a.Login(ctx, "bob", token, "")
		assertCode(t, err, airlock.CodeUnauthenticated)
	})
	t.Run("works within 30 minutes", func(t *testing.T) {
		token, _, err := a.IssueToken(ctx, "bob")
		require.NoError(t, err)
		clk.Advance(29 * time.Minute)
		_, err = a.Login(ctx, "bob", token, "")
		require.NoError(t, err)
	})
	t.Run("only for its user", func(t *testing.T) {
		token, _, err := a.IssueToken(ctx, "bob")
		require.NoError(t, err)
		_, err = a.Login(ctx, "alice", token, "")
		assertCode(t, err, airlock.CodeUnauthenticated)
	})
	t.Run("unknown users get none", func(t *testing.T) {
		_, _, err := a.IssueToken(ctx, "mallory")
		assertCode(t, err, airlock.CodeNotFound)
	})
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	a, _, clk := newAuth(t, auth.Config{Users: loadUsers(t)})

	t.Run("per user", func(t *testing.T) {
		for i := range 5 {
			_, err := a.Login(ctx, "alice", "wrong", "10.0.0."+string(rune('1'+i)))
			assertCode(t, err, airlock.CodeUnauthenticated)
		}
		// Even the right token is refused now, from any address.
		_, err := a.Login(ctx, "alice", "alice-secret", "10.9.9.9")
		assertCode(t, err, airlock.CodeRateLimited)
		assert.Contains(t, airlock.ErrorMessage(err), "15 minutes")
		_, err = a.Login(ctx, "ALICE", "alice-secret", "10.9.9.9")
		assertCode(t, err, airlock.CodeRateLimited)
		// Other users are not affected.
		_, err = a.Login(ctx, "bob", "bob-secret", "10.9.9.9")
		require.NoError(t, err)

		clk.Advance(15*time.Minute + time.Second)
		_, err = a.Login(ctx, "alice", "alice-secret", "10.9.9.9")
		require.NoError(t, err)
	})
	t.Run("per address", func(t *testing.T) {
		for i := range auth.DefaultMaxAddrFailures {
			_, err := a.Login(ctx, "guess"+string(rune('a'+i)), "wrong", "192.0.2.7")
			assertCode(t, err, airlock.CodeUnauthenticated)
		}
		_, err := a.Login(ctx, "bob", "bob-secret", "192.0.2.7")
		assertCode(t, err, airlock.CodeRateLimited)
		_, err = a.Login(ctx, "bob", "bob-secret", "192.0.2.8")
		require.NoError(t, err)
	})
	t.Run("success clears the user's failures", func(t *testing.T) {
		for range 4 {
			_, err := a.Login(ctx, "bob", "wrong", "198.51.100.1")
			assertCode(t, err, airlock.CodeUnauthenticated)
		}
		_, err := a.Login(ctx, "bob", "bob-secret", "198.51.100.1")
		require.NoError(t, err)
		for range 4 {
			_, err := a.Login(ctx, "bob", "wrong", "198.51.100.2")
			assertCode(t, err, airlock.CodeUnauthenticated)
		}
		_, err = a.Login(ctx, "bob", "bob-secret", "198.51.100.2")
		require.NoError(t, err)
	})
}

// newFake is the strict job-server stand-in (a peer on a real listener) with carol, who
// logs in by email.
func newFake(t *testing.T) *fakejobserver.Server {
	js := fakejobserver.New(t, "backend-token")
	js.AddUser("carol", map[string]any{"fullname": "Carol C", "email": "carol@example.org", "workspaces": map[string]any{
		"ws1": map[string]any{"project_details": map[string]any{"name": "P1", "ongoing": true, "orgs": []string{"Org"}}, "archived": false},
	}})
	js.IssueLoginToken("carol", "three-word-token")
	return js
}

func jobServerConfig(js *fakejobserver.Server, token string) *auth.JobServer {
	return &auth.JobServer{Endpoint: js.URL + "/", Token: token}
}

func TestJobServerLogin(t *testing.T) {
	ctx := context.Background()
	js := newFake(t)
	a, st, clk := newAuth(t, auth.Config{JobServer: jobServerConfig(js, "backend-token")})

	// Log in with an email; the user is the username job-server returns.
	sess, err := a.Login(ctx, "carol@example.org", "three-word-token", "")
	require.NoError(t, err)
	assert.Equal(t, "carol", sess.User.Username)
	assert.Equal(t, []string{"Org"}, sess.User.Workspaces["ws1"].Project.Orgs)
	_, err = a.Login(ctx, "carol@example.org", "three-word-token", "")
	assertCode(t, err, airlock.CodeUnauthenticated)
	assert.Equal(t, "Invalid user or token", airlock.ErrorMessage(err), "job-server's tokens are single-use")

	// Within 15 minutes the cache answers.
	clk.Advance(14 * time.Minute)
	_, err = a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, 0, js.Calls(fakejobserver.Authorise))

	// After 15 minutes, authorise picks up changes.
	js.AddUser("carol", map[string]any{"fullname": "Carol C", "workspaces": map[string]any{
		"ws2": map[string]any{"project_details": map[string]any{"name": "P2", "ongoing": true}, "archived": false},
	}})
	clk.Advance(2 * time.Minute)
	got, err := a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, js.Calls(fakejobserver.Authorise))
	assert.Contains(t, got.User.Workspaces, "ws2")
	assert.NotContains(t, got.User.Workspaces, "ws1")
	_, refreshed, err := st.GetUser(ctx, "carol")
	require.NoError(t, err)
	assert.True(t, refreshed.Equal(clk.Now()))

	// When job-server fails, the cached record is kept and the page still loads.
	js.Fail(fakejobserver.Authorise, 1000, http.StatusBadGateway)
	js.Fail(fakejobserver.Authenticate, 1000, http.StatusBadGateway)
	clk.Advance(16 * time.Minute)
	got, err = a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	assert.Contains(t, got.User.Workspaces, "ws2")
	assert.Equal(t, 2, js.Calls(fakejobserver.Authorise))
	_, refreshedAfter, err := st.GetUser(ctx, "carol")
	require.NoError(t, err)
	assert.True(t, refreshedAfter.Equal(refreshed), "a failed refresh does not move last_refresh")

	// A login while job-server is down is unavailable, not a wrong token, and not counted
	// as a failure.
	js.IssueLoginToken("carol", "another-token")
	for range 6 {
		_, err = a.Login(ctx, "carol@example.org", "another-token", "")
		assertCode(t, err, airlock.CodeUnavailable)
	}
	js.Fail(fakejobserver.Authorise, 0, 0)
	js.Fail(fakejobserver.Authenticate, 0, 0)
	clk.Advance(time.Minute)
	_, err = a.Login(ctx, "carol@example.org", "another-token", "")
	require.NoError(t, err)

	// Once it is back, the next request refreshes.
	got, err = a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, "carol", got.User.Username)
	_, refreshedAgain, err := st.GetUser(ctx, "carol")
	require.NoError(t, err)
	assert.True(t, refreshedAgain.After(refreshed))
}

// docs/reference/domain.md §8.3: when authorise answers 403 (job-server no longer lets the
// user in) or 404 (it does not know them), every session of the user ends at once and
// their sockets are closed; an outage, or job-server refusing our backend token, keeps
// the cached record.
func TestJobServerRevokedUserSessionsEnd(t *testing.T) {
	ctx := context.Background()
	for name, revoke := range map[string]func(js *fakejobserver.Server){
		"403": func(js *fakejobserver.Server) { js.RevokeUser("carol") },
		"404": func(js *fakejobserver.Server) { js.RemoveUser("carol") },
	} {
		t.Run(name, func(t *testing.T) {
			js := newFake(t)
			var revoked []string
			a, st, clk := newAuth(t, auth.Config{JobServer: jobServerConfig(js, "backend-token"),
				OnUserRevoked: func(u string) { revoked = append(revoked, u) }})
			s1, err := a.Login(ctx, "carol", "three-word-token", "")
			require.NoError(t, err)
			js.IssueLoginToken("carol", "second")
			s2, err := a.Login(ctx, "carol", "second", "")
			require.NoError(t, err)

			revoke(js)
			clk.Advance(16 * time.Minute)
			_, err = a.Authenticate(ctx, s1.ID)
			assertCode(t, err, airlock.CodeUnauthenticated)
			assert.Equal(t, []string{"carol"}, revoked)
			_, err = a.Authenticate(ctx, s2.ID)
			assertCode(t, err, airlock.CodeUnauthenticated)
			assert.Equal(t, 1, js.Calls(fakejobserver.Authorise), "the other session ended without asking again")
			for _, s := range []auth.Session{s1, s2} {
				_, _, _, err := st.GetSession(ctx, s.Key)
				assertCode(t, err, airlock.CodeNotFound)
			}
		})
	}
	t.Run("an outage or a refused backend token keeps the session", func(t *testing.T) {
		js := newFake(t)
		var revoked []string
		good, st, clk := newAuth(t, auth.Config{JobServer: jobServerConfig(js, "backend-token"),
			OnUserRevoked: func(u string) { revoked = append(revoked, u) }})
		sess, err := good.Login(ctx, "carol", "three-word-token", "")
		require.NoError(t, err)
		js.Fail(fakejobserver.Authorise, 1, http.StatusServiceUnavailable)
		clk.Advance(16 * time.Minute)
		got, err := good.Authenticate(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, "carol", got.User.Username)

		// The same data with the wrong backend token (job-server: 403 "Invalid token").
		wrong := auth.New(auth.Config{Store: st, JobServer: jobServerConfig(js, "wrong-token"), Clock: clk.Now,
			OnUserRevoked: func(u string) { revoked = append(revoked, u) }})
		clk.Advance(16 * time.Minute)
		got, err = wrong.Authenticate(ctx, sess.ID)
		require.NoError(t, err)
		assert.Equal(t, "carol", got.User.Username)
		assert.Empty(t, revoked)
		js.ResetViolations() // the wrong token was sent on purpose
	})
}

func TestJobServerUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	a, _, _ := newAuth(t, auth.Config{JobServer: &auth.JobServer{Endpoint: url, Token: "t"}})
	_, err := a.Login(context.Background(), "x", "y", "")
	assertCode(t, err, airlock.CodeUnavailable)
	assert.NotContains(t, airlock.ErrorMessage(err), "127.0.0.1", "the message does not leak internals")
}

func TestUsersFileUserRemovedEndsSession(t *testing.T) {
	ctx := context.Background()
	p := writeUsers(t, `{"erin": {"token": "e", "details": {}}, "fred": {"token": "f", "details": {}}}`)
	uf, err := auth.LoadUsersFile(p)
	require.NoError(t, err)
	a, _, clk := newAuth(t, auth.Config{Users: uf})
	sess, err := a.Login(ctx, "erin", "e", "")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, []byte(`{"fred": {"token": "f", "details": {"fullname": "Fred F"}}}`), 0o600))
	time.Sleep(1100 * time.Millisecond) // the users file is re-read at most once a second
	clk.Advance(16 * time.Minute)
	_, err = a.Authenticate(ctx, sess.ID)
	assertCode(t, err, airlock.CodeUnauthenticated)
}

func TestSessionCacheSeesChangesMadeElsewhere(t *testing.T) {
	ctx := context.Background()
	a, st, clk := newAuth(t, auth.Config{Users: loadUsers(t)})
	sess, err := a.Login(ctx, "alice", "alice-secret", "")
	require.NoError(t, err)
	_, err = a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)

	// Another process (an operator tool) removes the session: within seconds it is gone.
	require.NoError(t, st.DeleteSession(ctx, sess.Key))
	clk.Advance(11 * time.Second)
	_, err = a.Authenticate(ctx, sess.ID)
	assertCode(t, err, airlock.CodeUnauthenticated)
}

func TestRefreshedUsersAreReported(t *testing.T) {
	ctx := context.Background()
	var got []airlock.User
	a, _, clk := newAuth(t, auth.Config{Users: loadUsers(t), OnUserRefreshed: func(u airlock.User) { got = append(got, u) }})
	sess, err := a.Login(ctx, "alice", "alice-secret", "")
	require.NoError(t, err)
	_, err = a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	assert.Empty(t, got, "not stale yet")
	clk.Advance(16 * time.Minute)
	_, err = a.Authenticate(ctx, sess.ID)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "alice", got[0].Username)
}

// `airlock token` serves users of the users file only: a user known from job-server (in the
// user cache, output checker or not) gets no local login.
func TestTokensOnlyForUsersFileUsers(t *testing.T) {
	ctx := context.Background()
	js := newFake(t)
	a, _, _ := newAuth(t, auth.Config{Users: loadUsers(t), JobServer: jobServerConfig(js, "backend-token")})
	_, err := a.Login(ctx, "carol", "three-word-token", "")
	require.NoError(t, err)
	_, _, err = a.IssueToken(ctx, "carol")
	assertCode(t, err, airlock.CodePermissionDenied)
	assert.Equal(t, "carol is a job-server user: log in with a token from job-server (airlock token only serves users of the users file)", airlock.ErrorMessage(err))
	tok, _, err := a.IssueToken(ctx, "alice")
	require.NoError(t, err)
	_, err = a.Login(ctx, "alice", tok, "")
	require.NoError(t, err)
}

// docs/reference/domain.md §2.5: a project whose "ongoing" is absent is ongoing; false is
// kept.
func TestOngoingDefaultsToTrue(t *testing.T) {
	uf, err := auth.LoadUsersFile(writeUsers(t, `{"dora": {"token": "d", "details": {"workspaces": {
		"silent": {"project_details": {"name": "P"}, "archived": false},
		"stopped": {"project_details": {"name": "Q", "ongoing": false}, "archived": false}}}}}`))
	require.NoError(t, err)
	e, ok := uf.Lookup("dora")
	require.True(t, ok)
	u := e.Details.User()
	assert.True(t, u.Workspaces["silent"].Project.Ongoing)
	assert.False(t, u.Workspaces["stopped"].Project.Ongoing)

	// The same for a job-server document.
	js := newFake(t)
	js.AddUser("erin", map[string]any{"workspaces": map[string]any{"ws": map[string]any{"project_details": map[string]any{"name": "P"}}}})
	js.IssueLoginToken("erin", "tok")
	a, _, _ := newAuth(t, auth.Config{JobServer: jobServerConfig(js, "backend-token")})
	s, err := a.Login(context.Background(), "erin", "tok", "")
	require.NoError(t, err)
	assert.True(t, s.User.Workspaces["ws"].Project.Ongoing)
}
