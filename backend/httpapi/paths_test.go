package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// TestUncleanAPIPaths: an unencoded "..", "." or "//" in an API URL answers 404 not_found
// JSON (never the standard mux's redirect to the cleaned path), for anonymous and logged-in
// clients and every method, and reads nothing; the web UI's routes are served as before.
func TestUncleanAPIPaths(t *testing.T) {
	index := "<!doctype html><title>Airlock</title>"
	h := newHarness(t, harnessOptions{assets: fstest.MapFS{
		"index.html":       {Data: []byte(index)},
		"assets/app-1.js":  {Data: []byte("console.log(1)")},
		"favicon.svg":      {Data: []byte("<svg/>")},
		"robots.txt":       {Data: []byte("no")},
		"assets/style.css": {Data: []byte("body{}")},
	}})
	ws := testenv.Workspace
	h.env.WriteFile(t, ws, "output/a.csv", "a\n1\n")
	anon := h.client(t)
	checker := h.login(t, "checker1")
	researcher := h.login(t, "researcher")
	for _, c := range []*client{anon, checker, researcher} {
		c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	// Each resolves, once cleaned, to a route that exists (and would answer 200 or 401).
	unclean := []string{
		"/api/v1/workspaces/" + ws + "/files/output/../output/a.csv",
		"/api/v1/workspaces/" + ws + "/content/output/./a.csv",
		"/api/v1/workspaces/" + ws + "/content/output//a.csv",
		"/api/v1/workspaces/" + ws + "/table/x/../output/a.csv",
		"/api/v1/workspaces/other/../" + ws + "/content/output/a.csv",
		"/api/v1//workspaces",
		"/api/v1/./workspaces",
		"/api/v1/auth/../auth/me",
		"/api/../healthz",
		"/api/v1/workspaces/" + ws + "/../../../../healthz",
		"//api/v1/workspaces",
		"/app/../api/v1/workspaces",
	}
	before := len(h.env.Audit(t, airlock.AuditFilter{}))
	for _, p := range unclean {
		for _, c := range []*client{anon, checker} {
			for _, m := range []string{"GET", "HEAD", "POST", "DELETE"} {
				r := c.do(m, p, nil, nil)
				assert.Equal(t, http.StatusNotFound, r.status, "%s %s: %s", m, p, r.body)
				assert.Empty(t, r.header.Get("Location"), "%s %s", m, p)
				if m != "HEAD" {
					assert.Equal(t, airlock.CodeNotFound, r.errorCode(), "%s %s: %s", m, p, r.body)
					assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "application/json"), "%s %s", m, p)
				}
			}
		}
	}
	// A POST that would change something, once cleaned, changes nothing either.
	r := researcher.do("POST", "/api/v1/requests/../requests", map[string]string{"workspace": ws}, nil)
	r.want(t, http.StatusNotFound, airlock.CodeNotFound)
	assert.Empty(t, h.env.Requests(t, airlock.RequestFilter{}), "no request was created")
	assert.Len(t, h.env.Audit(t, airlock.AuditFilter{}), before, "nothing was viewed")

	// The clean forms answer (so the refusals above are about the path alone).
	checker.do("GET", "/api/v1/workspaces/"+ws+"/content/output/a.csv", nil, nil).want(t, 200, "")
	checker.do("GET", "/api/v1/workspaces", nil, nil).want(t, 200, "")
	// Encoded dots are a path segment, not cleaning: the route answers, not_found (TestTraversal).
	checker.do("GET", "/api/v1/workspaces/"+ws+"/content/output/%2e%2e/output/a.csv", nil, nil).want(t, 404, airlock.CodeNotFound)

	// The web UI: client routes (with dots in file names), assets and files as before...
	for _, p := range []string{"/", "/workspaces/" + ws + "/output/a.csv", "/workspaces/" + ws + "/output/..hidden.csv", "/requests/01ABC", "/reviews"} {
		r := anon.do("GET", p, nil, nil)
		assert.Equal(t, http.StatusOK, r.status, p)
		assert.Equal(t, index, string(r.body), p)
	}
	for p, body := range map[string]string{"/assets/app-1.js": "console.log(1)", "/favicon.svg": "<svg/>", "/robots.txt": "no"} {
		r := anon.do("GET", p, nil, nil)
		assert.Equal(t, http.StatusOK, r.status, p)
		assert.Equal(t, body, string(r.body), p)
	}
	// ...and an unclean UI path still gets the mux's redirect to its clean form.
	for p, to := range map[string]string{"/workspaces/" + ws + "/../requests": "/workspaces/requests", "//reviews": "/reviews", "/assets/./app-1.js": "/assets/app-1.js"} {
		r := anon.do("GET", p, nil, nil)
		assert.Equal(t, http.StatusTemporaryRedirect, r.status, p)
		assert.Equal(t, to, r.header.Get("Location"), p)
	}
}
