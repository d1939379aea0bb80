package httpapi

import (
	"net/http"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// registerRoutes is the one block of every route (docs/api.md). Routes registered with
// handle need a session (401 otherwise); handlePublic routes do not.
func (s *Server) registerRoutes() {
	// Authentication.
	s.handlePublic("POST /api/v1/auth/login", s.handleLogin)
	s.handle("POST /api/v1/auth/logout", s.handleLogout)
	s.handle("GET /api/v1/auth/me", s.handleMe)
	s.handlePublic("GET /api/v1/config", s.handleConfig)

	// Workspaces (workspace_handlers.go).
	s.handle("GET /api/v1/workspaces", s.handleWorkspaceList)
	s.handle("GET /api/v1/all-workspaces", s.handleAllWorkspaces)
	s.handle("GET /api/v1/workspaces/{ws}", s.handleWorkspaceGet)
	s.handle("GET /api/v1/workspaces/{ws}/tree", s.handleWorkspaceTree)
	s.handle("GET /api/v1/workspaces/{ws}/tree/{path...}", s.handleWorkspaceTree)
	s.handle("GET /api/v1/workspaces/{ws}/files/{path...}", s.handleWorkspaceFile)
	s.handle("GET /api/v1/workspaces/{ws}/content/{path...}", s.handleWorkspaceContent)
	s.handle("GET /api/v1/workspaces/{ws}/table/{path...}", s.handleWorkspaceTable)
	s.handle("GET /api/v1/workspaces/{ws}/summary/{path...}", s.handleWorkspaceSummary)
	s.handle("GET /api/v1/workspaces/{ws}/log/{path...}", s.handleWorkspaceLog)
	s.handle("GET /api/v1/workspaces/{ws}/acro/{path...}", s.handleWorkspaceACRO)

	// Release requests (request_handlers.go).
	s.handle("POST /api/v1/requests", s.handleRequestCreate)
	s.handle("GET /api/v1/requests", s.handleRequestList)
	s.handle("GET /api/v1/requests/{id}", s.handleRequestGet)
	s.handle("POST /api/v1/requests/{id}/files", s.handleRequestAddFiles)
	s.handle("POST /api/v1/requests/{id}/files/update", s.handleRequestUpdateFiles)
	s.handle("POST /api/v1/requests/{id}/files/withdraw", s.handleRequestWithdrawFiles)
	s.handle("POST /api/v1/requests/{id}/files/properties", s.handleRequestFileProperties)
	s.handle("GET /api/v1/requests/{id}/content/{path...}", s.handleRequestContent)
	s.handle("GET /api/v1/requests/{id}/table/{path...}", s.handleRequestTable)
	s.handle("GET /api/v1/requests/{id}/summary/{path...}", s.handleRequestSummary)
	s.handle("GET /api/v1/requests/{id}/log/{path...}", s.handleRequestLog)
	s.handle("GET /api/v1/requests/{id}/changes/{path...}", s.handleRequestChanges)
	s.handle("GET /api/v1/requests/{id}/acro/{path...}", s.handleRequestACRO)
	s.handle("PATCH /api/v1/requests/{id}/groups/{group}", s.handleGroupEdit)
	s.handle("POST /api/v1/requests/{id}/groups/{group}/comments", s.handleCommentAdd)
	s.handle("DELETE /api/v1/requests/{id}/comments/{commentId}", s.handleCommentDelete)
	s.handle("POST /api/v1/requests/{id}/comments/{commentId}/publish", s.handleCommentPublish)
	s.handle("POST /api/v1/requests/{id}/votes", s.handleVote)
	s.handle("POST /api/v1/requests/{id}/submit", s.handleStep(s.svc.Submit))
	s.handle("POST /api/v1/requests/{id}/withdraw", s.handleStep(s.svc.WithdrawRequest))
	s.handle("POST /api/v1/requests/{id}/review", s.handleStep(s.svc.SubmitReview))
	s.handle("POST /api/v1/requests/{id}/return", s.handleStep(s.svc.Return))
	s.handle("POST /api/v1/requests/{id}/reject", s.handleStep(s.svc.Reject))
	s.handle("POST /api/v1/requests/{id}/release", s.handleStep(s.svc.Release))
	s.handle("GET /api/v1/requests/{id}/activity", s.handleActivity)

	// Audit (audit_handlers.go).
	s.handle("GET /api/v1/audit", s.handleAudit)

	// Live updates.
	s.handle("GET /api/v1/events", s.handleEvents)

	// Operations.
	s.handlePublic("GET /healthz", s.handleHealthz)
	s.handlePublic("GET /metrics", s.handleMetrics)

	// Anything else: an unknown API route under /api/, else the web UI (GET and HEAD).
	s.handleInternal("/", s.handleFallback)
}

// handle registers a route that needs an authenticated user.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.register(pattern, h, false, true)
}

// handlePublic registers a route that anonymous clients may call.
func (s *Server) handlePublic(pattern string, h http.HandlerFunc) {
	s.register(pattern, h, true, true)
}

// handleInternal registers a public catch-all that is not part of the documented API.
func (s *Server) handleInternal(pattern string, h http.HandlerFunc) {
	s.register(pattern, h, true, false)
}

func (s *Server) register(pattern string, h http.HandlerFunc, public, documented bool) {
	if documented {
		s.routes = append(s.routes, pattern)
	}
	if public {
		s.public[pattern] = true
	}
	s.metrics.route(pattern)
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri := infoFrom(r); ri != nil {
			ri.route = pattern
		}
		if !public {
			if _, ok := sessionFrom(r); !ok {
				writeError(w, r, airlock.Errorf(airlock.CodeUnauthenticated, "You are not logged in, or your session has expired"))
				return
			}
		}
		h(w, r)
	}))
}

func (s *Server) handleFallback(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		s.handleUnknownAPI(w, r)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, r, airlock.Errorf(airlock.CodeNotFound, "There is nothing to %s at %s", r.Method, r.URL.Path))
	default:
		s.spa.ServeHTTP(w, r)
	}
}

func (s *Server) handleUnknownAPI(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, airlock.Errorf(airlock.CodeNotFound, "There is no API route %s %s", r.Method, r.URL.Path))
}
