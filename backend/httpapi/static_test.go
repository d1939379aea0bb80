package httpapi

import (
	"fmt"
	"net/http"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"

	"github.com/trelab/airlock/backend/airlock"
)

func TestStatic(t *testing.T) {
	index := "<!doctype html><title>Airlock</title><script type=module src=/assets/app-3f9a.js></script>"
	h := newHarness(t, harnessOptions{assets: fstest.MapFS{
		"index.html":         {Data: []byte(index)},
		"assets/app-3f9a.js": {Data: []byte("console.log('app')")},
		"favicon.svg":        {Data: []byte("<svg/>")},
	}})
	c := h.client(t)

	r := c.do("GET", "/", nil, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, index, string(r.body))
	assert.Equal(t, "no-cache", r.header.Get("Cache-Control"))
	assert.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
	etag := r.header.Get("ETag")
	assert.NotEmpty(t, etag)
	assert.Equal(t, http.StatusNotModified, c.do("GET", "/", nil, http.Header{"If-None-Match": {etag}}).status)

	r = c.do("GET", "/assets/app-3f9a.js", nil, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "public, max-age=31536000, immutable", r.header.Get("Cache-Control"))
	assert.Contains(t, r.header.Get("Content-Type"), "javascript")

	r = c.do("GET", "/favicon.svg", nil, nil)
	assert.Equal(t, "no-cache", r.header.Get("Cache-Control"))
	assert.Equal(t, "<svg/>", string(r.body))

	// Client-side routes (even with dots) are the app.
	for _, p := range []string{"/workspaces/workspace/output/table.csv", "/requests/01ABC", "/reviews"} {
		r = c.do("GET", p, nil, nil)
		assert.Equal(t, http.StatusOK, r.status, p)
		assert.Equal(t, index, string(r.body), p)
	}
	// A missing asset is not.
	assert.Equal(t, http.StatusNotFound, c.do("GET", "/assets/app-old.js", nil, nil).status)
	// Unknown API routes are JSON errors, whatever the method.
	for _, m := range []string{"GET", "POST", "DELETE"} {
		r = c.do(m, "/api/v1/nothing-here", nil, nil)
		assert.Equal(t, http.StatusNotFound, r.status, m)
		assert.Equal(t, airlock.CodeNotFound, r.errorCode(), m)
	}
	r = c.do("POST", "/", nil, nil)
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestStaticPlaceholderWithoutUI(t *testing.T) {
	h := newHarness(t, harnessOptions{assets: fstest.MapFS{".gitkeep": {}}})
	r := h.client(t).do("GET", "/requests/x", nil, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, string(r.body), "make frontend")
}

func TestRoutesListed(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	routes := h.server.Routes()
	for _, want := range []string{"POST /api/v1/auth/login", "POST /api/v1/auth/logout", "GET /api/v1/auth/me",
		"GET /api/v1/events", "GET /healthz", "GET /metrics"} {
		assert.Contains(t, routes, want)
	}
	assert.NotContains(t, routes, "/")
	assert.True(t, h.server.IsPublic("POST /api/v1/auth/login"))
	assert.False(t, h.server.IsPublic("GET /api/v1/auth/me"))
}

// Every client-side route is a different path: the UI's file cache keeps only files that
// exist, so paths asked by clients cannot grow it.
func TestStaticCacheKeepsOnlyExistingFiles(t *testing.T) {
	h := newHarness(t, harnessOptions{assets: fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}})
	c := h.client(t)
	for i := range 50 {
		r := c.do("GET", fmt.Sprintf("/workspaces/ws/output/table-%d.csv", i), nil, nil)
		assert.Equal(t, http.StatusOK, r.status)
	}
	assert.Equal(t, http.StatusNotFound, c.do("GET", "/assets/gone.js", nil, nil).status)
	h.server.static.mu.Lock()
	defer h.server.static.mu.Unlock()
	assert.Len(t, h.server.static.cache, 1, "only index.html is cached")
}
