package httpapi

import (
	"net/http"
	"time"

	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
)

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxLoginBodyBytes)
	}
	var in contract.LoginInput
	if err := decodeJSON(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	sess, err := s.auth.Login(r.Context(), in.Username, in.Token, clientAddr(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if old, ok := sessionFrom(r); ok {
		// A new login replaces the session the browser had.
		_ = s.auth.Logout(r.Context(), old.Key)
		s.hub.CloseSession(old.Key)
	}
	s.setCookie(w, r, sess.ID, sess.ExpiresAt)
	if ri := infoFrom(r); ri != nil {
		ri.user = sess.User.Username
	}
	writeJSON(w, http.StatusOK, contract.SessionOutput{User: contract.FromUser(sess.User), CSRFToken: sess.CSRFToken})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionFrom(r)
	if err := s.auth.Logout(r.Context(), sess.Key); err != nil {
		writeError(w, r, err)
		return
	}
	s.hub.CloseSession(sess.Key)
	s.clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionFrom(r)
	writeJSON(w, http.StatusOK, contract.SessionOutput{User: contract.FromUser(sess.User), CSRFToken: sess.CSRFToken})
}

// setCookie sends the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure over TLS.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, id string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: auth.CookieName, Value: id, Path: "/",
		Expires: expires.UTC(), MaxAge: int(expires.Sub(s.clock()).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure || r.TLS != nil,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: auth.CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure || r.TLS != nil,
	})
}
