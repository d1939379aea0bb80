package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

func TestErrorMapping(t *testing.T) {
	want := map[airlock.Code]int{
		airlock.CodeInvalid: 400, airlock.CodeUnauthenticated: 401, airlock.CodeCSRF: 403,
		airlock.CodePermissionDenied: 403, airlock.CodeNotFound: 404, airlock.CodeInvalidState: 409,
		airlock.CodeConflict: 409, airlock.CodeTooLarge: 413, airlock.CodeRateLimited: 429,
		airlock.CodeInternal: 500, airlock.CodeUnavailable: 503,
	}
	for code, status := range want {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/api/v1/x", nil)
		writeError(rec, r, airlock.Errorf(code, "reason for %s", code))
		assert.Equal(t, status, rec.Code, code)
		assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
		msg := "reason for " + string(code)
		if code == airlock.CodeInternal {
			msg = airlock.InternalMessage
		}
		assert.JSONEq(t, fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, msg), rec.Body.String())
	}
	assert.Len(t, statusOf, len(want), "every code has a status")

	// A plain error is internal, and its text never leaks.
	rec := httptest.NewRecorder()
	writeError(rec, httptest.NewRequest("GET", "/", nil), errors.New("sqlite: disk I/O error at /var/secret"))
	assert.Equal(t, 500, rec.Code)
	assert.NotContains(t, rec.Body.String(), "secret")
	assert.Contains(t, rec.Body.String(), airlock.InternalMessage)
}

func TestDecodeJSON(t *testing.T) {
	type input struct {
		Paths []string       `json:"paths"`
		Vote  string         `json:"vote"`
		N     int            `json:"n"`
		Flag  bool           `json:"flag"`
		Sub   map[string]any `json:"sub"`
	}
	for body, want := range map[string]string{
		`{"paths": ["a"], "vote": "APPROVED"}`: "",
		`{"paths": "a"}`:                       `Field "paths" must be a list, not string`,
		`{"n": "1"}`:                           `Field "n" must be a number, not string`,
		`{"flag": 1}`:                          `Field "flag" must be true or false, not number`,
		`{"vote": 5}`:                          `Field "vote" must be a string, not number`,
		`{"sub": []}`:                          `Field "sub" must be an object, not array`,
		`{"votes": []}`:                        `Unknown field "votes"`,
		`{"vote": "A"} {"vote": "B"}`:          "single JSON value",
		`{"vote": "A"} x`:                      "single JSON value",
		`{"vote": "A"`:                         "ends too early",
		`{"vote": 'A'}`:                        "not valid JSON (at byte 10)",
		`[]`:                                   "must be a JSON an object, not array",
		``:                                     "needs a JSON body",
		`null`:                                 "",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		var in input
		err := decodeJSON(r, &in)
		if want == "" {
			assert.NoError(t, err, body)
			continue
		}
		require.Error(t, err, body)
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), body)
		assert.Contains(t, airlock.ErrorMessage(err), strings.TrimPrefix(want, "must be a JSON "), body)
	}

	t.Run("too large", func(t *testing.T) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{"vote": "`+strings.Repeat("x", 100)+`"}`))
		r.Body = http.MaxBytesReader(rec, r.Body, 50)
		var in input
		err := decodeJSON(r, &in)
		assert.Equal(t, airlock.CodeTooLarge, airlock.ErrorCode(err))
	})
	t.Run("content type", func(t *testing.T) {
		var in input
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		assert.NoError(t, decodeJSON(r, &in))
		r = httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
		r.Header.Set("Content-Type", "text/plain")
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(decodeJSON(r, &in)))
	})
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.login(t, "researcher")
	huge := `{"workspace": "` + strings.Repeat("w", DefaultMaxBodyBytes) + `"}`
	r := c.do("POST", "/api/v1/requests", huge, nil)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)
	assert.Equal(t, airlock.CodeTooLarge, r.errorCode())
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, harnessOptions{assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>app</title>")}}})
	c := h.login(t, "researcher")
	for path, csp := range map[string]string{
		"/api/v1/auth/me":       apiCSP,
		"/":                     appCSP,
		"/workspaces/workspace": appCSP,
		"/api/v1/workspaces/workspace/content/a.html":  contentCSP,
		"/api/v1/requests/r1/content/output/a.svg":     contentCSP,
		"/api/v1/workspaces/workspace/files/content/x": apiCSP,
	} {
		r := c.do("GET", path, nil, nil)
		assert.Equal(t, csp, r.header.Get("Content-Security-Policy"), path)
		assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"), path)
		assert.NotEmpty(t, r.header.Get("X-Request-Id"), path)
	}
	assert.Contains(t, appCSP, "frame-ancestors 'none'")
	assert.Contains(t, appCSP, "script-src 'self';")
	assert.NotContains(t, appCSP, "unsafe-eval")
	assert.Contains(t, contentCSP, "sandbox")
}

func TestRequestID(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.client(t)
	r := c.do("GET", "/healthz", nil, http.Header{"X-Request-Id": {"abc-123"}})
	assert.Equal(t, "abc-123", r.header.Get("X-Request-Id"))
	r = c.do("GET", "/healthz", nil, http.Header{"X-Request-Id": {"bad id"}})
	assert.Regexp(t, `^[0-9a-f]{16}$`, r.header.Get("X-Request-Id"))
}

func TestRecoverAndLog(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, harnessOptions{})
	h.server.log = slog.New(slog.NewJSONHandler(&logs, nil))
	h.server.handle("GET /api/v1/test-panic", func(http.ResponseWriter, *http.Request) { panic("boom at /var/secret") })
	h.server.handle("GET /api/v1/test-internal", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, fmt.Errorf("wrapped: %w", errors.New("disk full")))
	})
	c := h.login(t, "researcher")
	r := c.do("GET", "/api/v1/test-panic", nil, nil)
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.NotContains(t, string(r.body), "secret")
	assert.Contains(t, logs.String(), `"msg":"panic in handler"`)
	assert.Contains(t, logs.String(), `"status":500`)

	logs.Reset()
	r = c.do("GET", "/api/v1/test-internal", nil, nil)
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.Contains(t, logs.String(), `"msg":"internal error"`)
	assert.Contains(t, logs.String(), `disk full`)
	assert.Contains(t, logs.String(), `"user":"researcher"`)
	assert.Contains(t, logs.String(), `"code":"internal"`)

	// Expected errors are answered, not logged as errors.
	logs.Reset()
	r = c.do("GET", "/api/v1/no-such-route", nil, nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.NotContains(t, logs.String(), `"level":"ERROR"`)
}

func TestHealthz(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	c := h.client(t)
	r := c.do("GET", "/healthz", nil, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"status":"ok"}`, string(r.body))
	h.health = errors.New("database is locked")
	r = c.do("GET", "/healthz", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.NotContains(t, string(r.body), "locked")
	_ = context.Background()
}
