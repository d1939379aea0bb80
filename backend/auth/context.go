package auth

import (
	"context"

	"github.com/trelab/airlock/backend/airlock"
)

type sessionKey struct{}

// NewContext returns a context carrying an authenticated session.
func NewContext(ctx context.Context, s Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom returns the session of the context, if any.
func SessionFrom(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}

// UserFrom returns the authenticated user of the context, if any.
func UserFrom(ctx context.Context) (airlock.User, bool) {
	s, ok := SessionFrom(ctx)
	return s.User, ok
}
