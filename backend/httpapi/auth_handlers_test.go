package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/live"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// setCookie returns the raw Set-Cookie header of the session cookie.
func setCookie(r response) string {
	for _, v := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, auth.CookieName+"=") {
			return v
		}
	}
	return ""
}

func TestLogin(t *testing.T) {
	h := newHarness(t, harnessOptions{})

	t.Run("sets the session cookie and answers the user and CSRF token", func(t *testing.T) {
		c := h.client(t)
		r := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "researcher", "token": "researcher-token"}, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var out struct {
			User      map[string]any `json:"user"`
			CSRFToken string         `json:"csrfToken"`
		}
		require.NoError(t, json.Unmarshal(r.body, &out))
		assert.Equal(t, "researcher", out.User["username"])
		assert.Equal(t, "Rita Researcher", out.User["fullname"])
		assert.Equal(t, false, out.User["outputChecker"])
		assert.Contains(t, out.User["workspaces"], "workspace")
		assert.Equal(t, map[string]any{}, out.User["copilotedWorkspaces"])
		assert.NotEmpty(t, out.CSRFToken)

		sc := setCookie(r)
		assert.Contains(t, sc, "HttpOnly")
		assert.Contains(t, sc, "SameSite=Strict")
		assert.Contains(t, sc, "Path=/")
		assert.NotContains(t, sc, "Secure", "plain HTTP: not Secure")
		assert.Contains(t, sc, "Max-Age=4838400") // 8 weeks

		me := c.do("GET", "/api/v1/auth/me", nil, nil)
		require.Equal(t, http.StatusOK, me.status)
		assert.Contains(t, string(me.body), `"csrfToken":"`+out.CSRFToken+`"`)
	})

	t.Run("wrong user or token", func(t *testing.T) {
		for _, body := range []map[string]string{
			{"username": "researcher", "token": "checker1-token"},
			{"username": "nobody", "token": "researcher-token"},
		} {
			r := h.client(t).do("POST", "/api/v1/auth/login", body, nil)
			assert.Equal(t, http.StatusUnauthorized, r.status)
			assert.JSONEq(t, `{"error":{"code":"unauthenticated","message":"Invalid user or token"}}`, string(r.body))
			assert.Empty(t, setCookie(r))
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		c := h.client(t)
		for body, code := range map[string]airlock.Code{
			`{"username": "researcher"`:                                  airlock.CodeInvalid,
			`{"username": 5, "token": "x"}`:                              airlock.CodeInvalid,
			`{"username": "researcher", "token": "x", "admin": true}`:    airlock.CodeInvalid,
			`{"username": "researcher", "token": "researcher-token"} {}`: airlock.CodeInvalid,
			``:                              airlock.CodeInvalid,
			`{"username": "", "token": ""}`: airlock.CodeInvalid,
			`{"username": "researcher", "token": "` + strings.Repeat("x", 9000) + `"}`: airlock.CodeTooLarge,
		} {
			r := c.do("POST", "/api/v1/auth/login", body, nil)
			assert.Equal(t, code, r.errorCode(), "body %.60q: %s", body, r.body)
			assert.Equal(t, StatusFor(code), r.status)
		}
		r := c.do("POST", "/api/v1/auth/login", `username=researcher&token=researcher-token`,
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		assert.Equal(t, airlock.CodeInvalid, r.errorCode(), "a form post is not JSON")
	})

	t.Run("repeated failures are rate limited", func(t *testing.T) {
		c := h.client(t)
		for range 5 {
			r := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "copilot", "token": "guess"}, nil)
			require.Equal(t, http.StatusUnauthorized, r.status)
		}
		r := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "copilot", "token": "copilot-token"}, nil)
		assert.Equal(t, http.StatusTooManyRequests, r.status)
		assert.Equal(t, airlock.CodeRateLimited, r.errorCode())
	})
}

func TestSecureCookieUnderTLS(t *testing.T) {
	h := newHarness(t, harnessOptions{tls: true})
	r := h.client(t).do("POST", "/api/v1/auth/login", map[string]string{"username": "researcher", "token": "researcher-token"}, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, setCookie(r), "Secure")
	assert.Equal(t, "max-age=31536000", r.header.Get("Strict-Transport-Security"))
}

func TestMeNeedsASession(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	r := h.client(t).do("GET", "/api/v1/auth/me", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, airlock.CodeUnauthenticated, r.errorCode())

	// A made-up or expired cookie is anonymous, and the browser is told to drop it.
	r = h.client(t).do("GET", "/api/v1/auth/me", nil, http.Header{"Cookie": {auth.CookieName + "=forged"}})
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, setCookie(r), "Max-Age=0")
}

func TestSessionSlides(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.login(t, "researcher")
	h.clock.Advance(7 * 7 * 24 * time.Hour)
	r := c.do("GET", "/api/v1/auth/me", nil, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, setCookie(r), "Max-Age=4838400", "the cookie is renewed with the session")
	h.clock.Advance(7 * 7 * 24 * time.Hour)
	r = c.do("GET", "/api/v1/auth/me", nil, nil)
	assert.Equal(t, http.StatusOK, r.status, "14 weeks after login, but used after 7: still logged in")
	h.clock.Advance(8*7*24*time.Hour + time.Second)
	r = c.do("GET", "/api/v1/auth/me", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, r.status, "8 weeks unused: logged out")
}

func TestCSRF(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.login(t, "researcher")
	token := c.csrf

	for name, hdr := range map[string]http.Header{
		"missing": {CSRFHeader: nil},
		"wrong":   {CSRFHeader: {token + "x"}},
		"other":   {CSRFHeader: {h.login(t, "checker1").csrf}},
	} {
		t.Run(name, func(t *testing.T) {
			c.csrf = ""
			r := c.do("POST", "/api/v1/auth/logout", nil, hdr)
			assert.Equal(t, http.StatusForbidden, r.status)
			assert.Equal(t, airlock.CodeCSRF, r.errorCode())
			c.csrf = token
			assert.Equal(t, http.StatusOK, c.do("GET", "/api/v1/auth/me", nil, nil).status, "still logged in")
		})
	}
	t.Run("every unsafe method", func(t *testing.T) {
		c.csrf = ""
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			r := c.do(m, "/api/v1/requests/some-id", "{}", nil)
			assert.Equal(t, airlock.CodeCSRF, r.errorCode(), m)
		}
		c.csrf = token
	})
	t.Run("login needs none", func(t *testing.T) {
		c.csrf = ""
		r := c.do("POST", "/api/v1/auth/login", map[string]string{"username": "collaborator", "token": "collaborator-token"}, nil)
		assert.Equal(t, http.StatusOK, r.status)
	})
}

func TestLogoutRevokesTheSessionAndClosesItsSockets(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.login(t, "researcher")
	other := h.login(t, "researcher")
	mine := dialEvents(t, h, c, h.srv.URL)
	theirs := dialEvents(t, h, other, h.srv.URL)
	waitFor(t, func() bool { return h.hub.Count() == 2 })
	cookie := c.sessionCookie()
	require.NotNil(t, cookie)

	r := c.do("POST", "/api/v1/auth/logout", nil, nil)
	require.Equal(t, http.StatusNoContent, r.status, string(r.body))
	assert.Contains(t, setCookie(r), "Max-Age=0")

	_, _, err := mine.ReadMessage()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, live.CloseSessionEnded, ce.Code)
	waitFor(t, func() bool { return h.hub.Count() == 1 })

	// The old cookie no longer works, even when replayed.
	r = h.client(t).do("GET", "/api/v1/auth/me", nil, http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}})
	assert.Equal(t, http.StatusUnauthorized, r.status)
	// The other session is untouched.
	assert.Equal(t, http.StatusOK, other.do("GET", "/api/v1/auth/me", nil, nil).status)
	_ = theirs
	r = c.do("POST", "/api/v1/auth/logout", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
}

// The login page asks, before anyone is logged in, whether the server runs on demo data and
// where releases go; the answer is the server's settings, nothing of any user.
func TestConfigNeedsNoSession(t *testing.T) {
	for _, info := range []contract.ServerInfo{
		{Demo: true, ReleaseTo: "the release folder of this Airlock server"},
		{Demo: false, ReleaseTo: "job-server at jobs.example.org"},
	} {
		h := newHarness(t, harnessOptions{info: info})
		r := h.client(t).do("GET", "/api/v1/config", nil, nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var got map[string]any
		require.NoError(t, json.Unmarshal(r.body, &got))
		assert.Equal(t, map[string]any{"demo": info.Demo, "releaseTo": info.ReleaseTo}, got)
	}
}
