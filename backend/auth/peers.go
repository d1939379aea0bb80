package auth

import (
	"context"

	"github.com/trelab/airlock/backend/airlock"
)

// Peers is told what the other servers sharing this server's database must know at once:
// they keep sessions and user records in memory for a few seconds (cacheTTL). The
// composition root sends it over the live bus (docs/operations.md, "Several servers"); with
// one server it is nil. Failed logins are not among it: they are in the database
// (FailureLog), which every server reads.
type Peers interface {
	SessionEnded(key string)
	UserRefreshed(username string)
	UserRevoked(username string)
}

// ForgetSession drops a session ended on another server from memory: the next request
// with it reads the database, which no longer has it.
func (a *Authenticator) ForgetSession(key string) { a.cache.sessions.drop(key) }

// ReloadUser drops a user record refreshed on another server from memory and reads the
// stored one, which that server saved.
func (a *Authenticator) ReloadUser(ctx context.Context, username string) (airlock.User, error) {
	a.cache.users.drop(username)
	u, _, err := a.getUser(ctx, username, a.clock())
	return u, err
}

// ForgetUser drops every session of a user revoked on another server, and the user record,
// from memory (that server deleted them from the database).
func (a *Authenticator) ForgetUser(username string) {
	a.cache.sessions.dropWhere(func(cs cachedSession) bool { return cs.username == username })
	a.cache.users.drop(username)
}

// peer calls f with the Peers, when there are any.
func (a *Authenticator) peer(f func(Peers)) {
	if a.cfg.Peers != nil {
		f(a.cfg.Peers)
	}
}
