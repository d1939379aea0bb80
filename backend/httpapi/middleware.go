package httpapi

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
)

// The content security policies: a strict one for the app, none-at-all for API answers, and
// a sandbox for viewed workspace and request files (docs/api.md; docs/decisions.md §12),
// which the app shows in a sandboxed iframe of its own origin.
const (
	appCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; " +
		"worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	apiCSP     = "default-src 'none'; frame-ancestors 'none'"
	contentCSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; " +
		"font-src data:; media-src 'self'; frame-ancestors 'self'"
)

// CSRFHeader is the header that carries the session's CSRF token on unsafe methods.
const CSRFHeader = "X-CSRF-Token"

// csrfExempt are the unsafe routes that need no CSRF token (docs/api.md: login).
var csrfExempt = map[string]bool{"/api/v1/auth/login": true}

// chain is the middleware in order: request id and access log → recover → body limit →
// security headers → unclean API paths → authenticate → CSRF → mux. The access log is outside the recoverer
// so that a panic is logged and measured as the 500 it becomes.
func (s *Server) chain() http.Handler {
	var h http.Handler = s.mux
	h = s.csrf(h)
	h = s.authenticate(h)
	h = cleanAPIPaths(h)
	h = securityHeaders(h)
	h = s.limitBody(h)
	h = s.recoverer(h)
	h = s.accessLog(h)
	return h
}

// requestInfo is what the inner layers tell the access log about a request.
type requestInfo struct {
	id      string
	route   string // the matched route pattern ("" when none matched)
	user    string
	errCode airlock.Code
	log     *slog.Logger
}

type requestInfoKey struct{}

func infoFrom(r *http.Request) *requestInfo {
	ri, _ := r.Context().Value(requestInfoKey{}).(*requestInfo)
	return ri
}

// loggerFrom returns the request's logger (with its request id, and user when known).
func loggerFrom(r *http.Request) *slog.Logger {
	if ri := infoFrom(r); ri != nil && ri.log != nil {
		if ri.user != "" {
			return ri.log.With("user", ri.user)
		}
		return ri.log
	}
	return slog.Default()
}

// recoverer turns a panic in a handler into a logged internal error.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as the stdlib does
				if v != nil {
					panic(v)
				}
				return
			}
			loggerFrom(r).ErrorContext(r.Context(), "panic in handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rec, ok := w.(*statusRecorder); ok && rec.wrote {
				return // too late for an error answer
			}
			writeError(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// accessLog gives the request an id and a logger, and logs and measures it when done.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		ri := &requestInfo{id: id, log: s.log.With("request_id", id)}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri))
		defer func() {
			d := time.Since(start)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.observe(ri.route, r.Method, status, d)
			level := slog.LevelInfo
			if ri.route == "GET /healthz" || ri.route == "GET /metrics" || (status < 400 && !strings.HasPrefix(r.URL.Path, "/api/")) {
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("route", ri.route), slog.Int("status", status),
				slog.Int64("bytes", rec.bytes), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("remote", clientAddr(r)),
			}
			if ri.user != "" {
				attrs = append(attrs, slog.String("user", ri.user))
			}
			if ri.errCode != "" {
				attrs = append(attrs, slog.String("code", string(ri.errCode)))
			}
			ri.log.LogAttrs(r.Context(), level, "http request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// limitBody caps every request body at the configured size; decodeJSON reports a bigger
// one as too_large.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.maxBody {
			writeError(w, r, airlock.Errorf(airlock.CodeTooLarge, "The request body is larger than %d bytes", s.maxBody))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// isContentPath reports whether a path is one of the file-viewing routes
// (/api/v1/workspaces/{ws}/content/... or /api/v1/requests/{id}/content/...).
func isContentPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/api/v1/")
	if !ok {
		return false
	}
	parts := strings.SplitN(rest, "/", 4)
	return len(parts) >= 3 && (parts[0] == "workspaces" || parts[0] == "requests") && parts[2] == "content"
}

// The security headers' values, built once and shared by every answer (under their
// canonical keys). Header.Set and Header.Add replace or copy a value slice, never write
// into it, so sharing them is safe.
var (
	hdrNosniff       = []string{"nosniff"}
	hdrNoReferrer    = []string{"no-referrer"}
	hdrSameOrigin    = []string{"same-origin"}
	hdrContentCSP    = []string{contentCSP}
	hdrAPICSP        = []string{apiCSP}
	hdrAppCSP        = []string{appCSP}
	hdrFrameSame     = []string{"SAMEORIGIN"}
	hdrFrameDeny     = []string{"DENY"}
	hdrStrictTranspt = []string{"max-age=31536000"}
)

// securityHeaders sets the headers every answer carries. Handlers may override the CSP.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["Referrer-Policy"] = hdrNoReferrer
		h["Cross-Origin-Opener-Policy"] = hdrSameOrigin
		h["Cross-Origin-Resource-Policy"] = hdrSameOrigin
		switch {
		case isContentPath(r.URL.Path):
			h["Content-Security-Policy"] = hdrContentCSP
			h["X-Frame-Options"] = hdrFrameSame
		case strings.HasPrefix(r.URL.Path, "/api/"):
			h["Content-Security-Policy"] = hdrAPICSP
			h["X-Frame-Options"] = hdrFrameDeny
		default:
			h["Content-Security-Policy"] = hdrAppCSP
			h["X-Frame-Options"] = hdrFrameDeny
		}
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hdrStrictTranspt
		}
		next.ServeHTTP(w, r)
	})
}

// cleanAPIPaths answers 404 not_found (JSON) for an API URL whose path is not canonical —
// an unencoded "." or ".." segment, or an empty one ("//") — where the mux would redirect
// to the cleaned path: such a URL names no resource (docs/api.md: anything resolving
// outside is not_found and never read), and a client must not be sent elsewhere. A path is
// an API path when it, or what it cleans to, is under /api/. Every other path (the web UI)
// is left to the mux as before. Encoded segments (%2e%2e, %2F) are not cleaned by the mux;
// the routes pass them on and the service answers not_found for paths outside a workspace.
func cleanAPIPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		if r.Method != http.MethodConnect {
			if clean := cleanPath(p); clean != p && (isAPIPath(p) || isAPIPath(clean)) {
				writeError(w, r, airlock.Errorf(airlock.CodeNotFound, "There is no API route %s %s", r.Method, r.URL.Path))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// cleanPath is the canonical form of a URL path as the standard mux computes it: rooted,
// without "." and ".." segments or repeated slashes, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// authenticate puts the session of the cookie (and its user) in the request context. A
// missing or expired session leaves the request anonymous; routes that need a user refuse
// it with 401.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(auth.CookieName)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := s.auth.Authenticate(r.Context(), c.Value)
		switch {
		case airlock.ErrorCode(err) == airlock.CodeUnauthenticated:
			s.clearCookie(w, r)
			next.ServeHTTP(w, r)
			return
		case err != nil && !strings.HasPrefix(r.URL.Path, "/api/"):
			// The session could not be checked (a busy or broken database): pages, assets,
			// /healthz and /metrics need no session, so they are served as to an anonymous
			// client rather than failing with the lookup (the cookie is kept).
			loggerFrom(r).WarnContext(r.Context(), "session lookup failed", "err", err)
			next.ServeHTTP(w, r)
			return
		case err != nil:
			writeError(w, r, err)
			return
		}
		if sess.Renewed {
			s.setCookie(w, r, c.Value, sess.ExpiresAt)
		}
		if ri := infoFrom(r); ri != nil {
			ri.user = sess.User.Username
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), sess)))
	})
}

// csrf refuses unsafe methods made with a session but without its CSRF token.
func (s *Server) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			next.ServeHTTP(w, r)
			return
		}
		sess, ok := sessionFrom(r)
		if ok && !csrfExempt[r.URL.Path] && !sess.CheckCSRF(r.Header.Get(CSRFHeader)) {
			writeError(w, r, airlock.Errorf(airlock.CodeCSRF, "This change needs the %s header from your login; reload the page and try again", CSRFHeader))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the client's IP address (the connection's peer; proxies are not trusted).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusRecorder records the status and size of an answer. It passes through Flush,
// Hijack (WebSocket upgrades) and ReadFrom (sendfile).
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(w.ResponseWriter, src)
	}
	w.bytes += n
	return n, err
}

func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("httpapi: the connection cannot be hijacked")
	}
	conn, rw, err := h.Hijack()
	if err == nil && !w.wrote {
		w.status, w.wrote = http.StatusSwitchingProtocols, true
	}
	return conn, rw, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
