package app

import (
	"net/http"

	"github.com/trelab/airlock/backend/auth"
)

// Handler wraps the handler the window's asset server serves (the API and web UI of
// `airlock serve`, or the proxy to a server) with the window's cookie jar: it adds the
// cookie of the session the window logged in with (Login) to the window's requests. It
// reads nothing of the answers and decides nothing: the API answers every request.
func (w *Window) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if id := w.sessionID(); id != "" {
			if _, err := r.Cookie(auth.CookieName); err != nil {
				r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: id})
			}
		}
		next.ServeHTTP(rw, r)
	})
}
