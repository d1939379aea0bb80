package httpapi

import (
	"net/http"
	"strconv"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
)

// Audit log limits: the default and the most events one answer holds.
const (
	defaultAuditLimit = 500
	maxAuditLimit     = 10_000
)

// handleAudit answers the audit log, newest first, filtered by user, workspace and request
// (output checkers only; the service enforces it).
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := airlock.AuditFilter{User: q.Get("user"), Workspace: q.Get("workspace"), Request: q.Get("request"), Limit: defaultAuditLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			writeError(w, r, airlock.Errorf(airlock.CodeInvalid, "limit must be a whole number from 1 to %d", maxAuditLimit))
			return
		}
		f.Limit = n
	}
	evs, err := s.svc.Audit(r.Context(), userFrom(r), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, contract.FromAuditEvents(evs))
}
