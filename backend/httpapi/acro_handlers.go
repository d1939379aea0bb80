package httpapi

import (
	"net/http"

	"github.com/trelab/airlock/backend/contract"
)

// handleWorkspaceACRO answers what ACRO recorded about a workspace file (docs/api.md "ACRO
// results"): {"acro": ACRO} or {"acro": null}.
func (s *Server) handleWorkspaceACRO(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.WorkspaceFileACRO(r.Context(), userFrom(r), r.PathValue("ws"), r.PathValue("path"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromACRO(v))
}

// handleRequestACRO answers what ACRO recorded about a request file, its stored copy verified.
func (s *Server) handleRequestACRO(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.RequestFileACRO(r.Context(), userFrom(r), r.PathValue("id"), r.PathValue("path"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromACRO(v))
}
