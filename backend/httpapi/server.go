// Package httpapi is Airlock's HTTP API (docs/api.md): the standard library mux, middleware
// (recover, request id and access log, body limits, security headers, session
// authentication, CSRF), the error mapping, the live-events upgrade, operations endpoints
// and the embedded web UI. Every handler is the same recipe: user → decode → one service
// call → contract value or writeError.
package httpapi

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
)

// Default body limits.
const (
	DefaultMaxBodyBytes  = 1 << 20 // JSON bodies of the API
	maxLoginBodyBytes    = 8 << 10
	defaultHealthTimeout = 3 * time.Second
)

// Deps are the parts the API is built from. Service, Auth and Hub are required.
type Deps struct {
	Service *service.Airlock
	Auth    *auth.Authenticator
	Hub     *live.Hub
	Logger  *slog.Logger
	// Metrics collects request metrics and the gauges other parts register; nil makes one.
	Metrics *Metrics
	// Assets is the built web UI (index.html at the root); nil serves a placeholder page.
	Assets fs.FS
	// Health checks the database and data directories for /healthz; nil is always healthy.
	Health func(ctx context.Context) error
	// HealthDetails, when set, adds "details" to a healthy /healthz answer when it returns
	// something (a watcher degraded to rescanning, ...); nil or empty adds nothing.
	HealthDetails func() map[string]any
	// HealthCheck, when set, adds "check" to /healthz: the last consistency check of the
	// data (docs/reliability.md), nil before the first one has finished. It must not block.
	HealthCheck func() any
	// MaxBodyBytes limits JSON request bodies; 0 is DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// SecureCookies forces the Secure cookie flag (behind a TLS-terminating proxy); it is
	// set anyway when the request arrived over TLS.
	SecureCookies bool
	// Clock is used for cookie expiry; nil is time.Now.
	Clock func() time.Time
	// Tables pages, sorts, searches and summarises CSV files for the table and summary
	// routes; nil makes one with the defaults (whoever passes one closes it).
	Tables *render.Tables
	// Info is what GET /api/v1/config tells anyone: demo data or not, where releases go.
	Info contract.ServerInfo
}

// Server holds the API's dependencies and its routes.
type Server struct {
	svc     *service.Airlock
	auth    *auth.Authenticator
	hub     *live.Hub
	log     *slog.Logger
	metrics *Metrics
	assets  fs.FS
	health  func(ctx context.Context) error
	details func() map[string]any
	check   func() any
	maxBody int64
	secure  bool
	clock   func() time.Time
	tables  *render.Tables
	views   viewBodies
	info    contract.ServerInfo

	mux *http.ServeMux
	// routes lists every registered pattern, in registration order (docs/api.md is
	// checked against it).
	routes []string
	public map[string]bool
	// spa serves the web UI from static.
	spa    http.Handler
	static *staticFiles
	// handler is the middleware chain around mux.
	handler http.Handler
}

// New builds the API handler.
func New(d Deps) http.Handler { return NewServer(d) }

// NewServer builds the API server; it is an http.Handler.
func NewServer(d Deps) *Server {
	s := &Server{
		svc: d.Service, auth: d.Auth, hub: d.Hub, log: d.Logger, metrics: d.Metrics,
		assets: d.Assets, health: d.Health, details: d.HealthDetails, check: d.HealthCheck, maxBody: d.MaxBodyBytes, secure: d.SecureCookies,
		clock: d.Clock, mux: http.NewServeMux(), public: map[string]bool{}, info: d.Info,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.tables = d.Tables; s.tables == nil {
		s.tables = render.NewTables(render.TablesConfig{})
	}
	if s.hub != nil {
		s.metrics.GaugeFunc("airlock_live_connections", "Connected live-event clients.",
			func() float64 { return float64(s.hub.Count()) })
	}
	s.spa = s.staticHandler()
	s.registerRoutes()
	s.handler = s.chain()
	return s
}

// ServeHTTP runs the middleware chain and the mux.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Routes lists every route pattern the server registers ("METHOD /path").
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// IsPublic reports whether a registered route pattern is served without a session.
func (s *Server) IsPublic(pattern string) bool { return s.public[pattern] }

// Metrics is the server's metric registry.
func (s *Server) Metrics() *Metrics { return s.metrics }

// userFrom returns the authenticated user of a request. Routes not marked public only
// reach their handler with one, so handlers can rely on it.
func userFrom(r *http.Request) airlock.User {
	u, _ := auth.UserFrom(r.Context())
	return u
}

// sessionFrom returns the authenticated session of a request.
func sessionFrom(r *http.Request) (auth.Session, bool) {
	return auth.SessionFrom(r.Context())
}
