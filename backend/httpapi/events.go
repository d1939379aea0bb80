package httpapi

import (
	"net/http"

	"github.com/gorilla/websocket"

	"github.com/trelab/airlock/backend/airlock"
)

// handleEvents upgrades GET /api/v1/events to a WebSocket of live events (docs/api.md "Live
// updates"). The session is checked like any API call; the Origin must be the server's
// own, wails://wails or a configured one.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if !s.hub.CheckOrigin(r) {
		writeError(w, r, airlock.Errorf(airlock.CodePermissionDenied, "Live updates are not available to pages from %s", r.Header.Get("Origin")))
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		writeError(w, r, airlock.Errorf(airlock.CodeInvalid, "This address speaks WebSocket only"))
		return
	}
	sess, _ := sessionFrom(r)
	if err := s.hub.ServeWS(w, r, sess.User, sess.Key); err != nil {
		loggerFrom(r).InfoContext(r.Context(), "websocket upgrade failed", "err", err)
	}
}
