package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/trelab/airlock/backend/auth"
)

// Handler wraps the handler the window's asset server serves (the API and web UI of
// `airlock serve`, or the proxy to a server) with the window's cookie jar: it adds the
// window's session cookie to the window's requests, takes the session cookie the API sets
// or clears, and follows which user and workspace the window shows (for its title, live
// events and notifications). It decides nothing: the API answers every request.
func (w *Window) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if id := w.sessionID(); id != "" {
			if _, err := r.Cookie(auth.CookieName); err != nil {
				r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: id})
			}
		}
		rec := &jarWriter{ResponseWriter: rw, capture: isRequestRoute(r)}
		next.ServeHTTP(rec, r)
		if !rec.wrote {
			rec.takeCookie()
			rec.status = http.StatusOK
		}
		w.observe(r, rec)
	})
}

// jarWriter takes the session cookie out of an answer before the answer's headers go to
// the window, so that the jar already holds it when the window sends its next request.
type jarWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	cookie *http.Cookie // the session cookie set or cleared by the answer
	// capture keeps the start of the body (a request, to learn its workspace).
	capture bool
	body    []byte
}

// maxCapture bounds the part of an answer kept to find its workspace.
const maxCapture = 64 << 10

func (j *jarWriter) WriteHeader(code int) {
	if !j.wrote {
		j.wrote, j.status = true, code
		j.takeCookie()
	}
	j.ResponseWriter.WriteHeader(code)
}

func (j *jarWriter) Write(b []byte) (int, error) {
	if !j.wrote {
		j.WriteHeader(http.StatusOK)
	}
	if j.capture && len(j.body) < maxCapture {
		j.body = append(j.body, b[:min(len(b), maxCapture-len(j.body))]...)
	}
	return j.ResponseWriter.Write(b)
}

func (j *jarWriter) takeCookie() {
	for _, line := range j.Header().Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == auth.CookieName {
			j.cookie = c
		}
	}
}

func (j *jarWriter) Flush() {
	if !j.wrote {
		j.WriteHeader(http.StatusOK)
	}
	if f, ok := j.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (j *jarWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := j.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("desktop: the window's connection cannot be hijacked")
}

func (j *jarWriter) Unwrap() http.ResponseWriter { return j.ResponseWriter }

// observe updates the window's session and what it shows after one of its requests.
func (w *Window) observe(r *http.Request, rec *jarWriter) {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/api/") {
		return
	}
	w.countRequest(r.Method, p, rec.status)
	ctx := context.WithoutCancel(r.Context())
	switch c := rec.cookie; {
	case c != nil && (c.Value == "" || c.MaxAge < 0):
		w.signOut()
	case c != nil:
		w.signIn(ctx, c.Value)
	case rec.status == http.StatusUnauthorized:
		w.signOut()
	case r.Method == http.MethodGet && rec.status == http.StatusOK && w.sessionID() == "":
		// A session the jar does not hold (a webview that keeps cookies, like WebView2):
		// follow it too.
		if c, err := r.Cookie(auth.CookieName); err == nil && c.Value != "" {
			w.signIn(ctx, c.Value)
		}
	}
	if r.Method != http.MethodGet || rec.status != http.StatusOK {
		return
	}
	// GET /api/v1/workspaces is the list (no workspace shown); GET /api/v1/workspaces/{ws}
	// is the workspace page; GET /api/v1/requests/{id} a request page, whose answer names
	// its workspace.
	if rest, ok := strings.CutPrefix(p, "/api/v1/workspaces"); ok {
		switch {
		case rest == "" || rest == "/":
			w.setWorkspace("")
		case !strings.Contains(strings.TrimPrefix(rest, "/"), "/"):
			w.setWorkspace(strings.TrimPrefix(rest, "/"))
		}
	}
	if rec.capture {
		if ws := workspaceOf(rec.body); ws != "" {
			w.setWorkspace(ws)
		}
	}
}

// isRequestRoute reports whether r is GET /api/v1/requests/{id}.
func isRequestRoute(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/requests/")
	return ok && r.Method == http.MethodGet && rest != "" && !strings.Contains(rest, "/")
}

// workspaceOf reads the top-level "workspace" field of a JSON object (the start of one is
// enough when the field comes before the cut).
func workspaceOf(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		if key, _ := t.(string); key == "workspace" {
			var ws string
			if dec.Decode(&ws) != nil {
				return ""
			}
			return ws
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// countRequest records one API request of the window (state for the smoke test), and
// the time of the first one: when the web UI has started.
func (w *Window) countRequest(method, p string, status int) {
	key := method + " " + routeOf(p) + " " + http.StatusText(status)
	w.mu.Lock()
	if w.state.FirstAPIAt.IsZero() {
		w.state.FirstAPIAt = w.clock()
	}
	w.state.Requests[key]++
	w.mu.Unlock()
	w.saveState()
}

// routeOf shortens an API path to its route, without ids and file paths.
func routeOf(p string) string {
	segs := strings.Split(strings.TrimPrefix(p, "/api/v1/"), "/")
	switch {
	case len(segs) == 0:
		return p
	case segs[0] == "workspaces" || segs[0] == "requests":
		if len(segs) == 1 {
			return "/api/v1/" + segs[0]
		}
		out := "/api/v1/" + segs[0] + "/{id}"
		if len(segs) > 2 {
			out += "/" + segs[2]
		}
		return out
	}
	return p
}
