// Package auth resolves who is calling: the users file, single-use login tokens, job-server
// logins with periodic re-authorisation, login rate limits and server-side sessions. It
// turns every credential into an airlock.User and knows nothing of HTTP routing.
//
// The login and re-authorisation protocol is docs/reference/domain.md §8 (a bare "§N" in
// this package cites that document).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// CookieName is the name of the session cookie.
const CookieName = "airlock_session"

// Defaults of Config.
const (
	DefaultSessionLifetime = 8 * 7 * 24 * time.Hour
	DefaultAuthoriseAfter  = 15 * time.Minute
	DefaultTokenLifetime   = 30 * time.Minute
	DefaultFailureWindow   = 15 * time.Minute
	DefaultMaxUserFailures = 5
	DefaultMaxAddrFailures = 20
	// touchEvery limits how often a session's sliding expiry is written.
	touchEvery = 5 * time.Minute
	// authoriseRetry is the least gap between two failed re-authorisations of one user.
	authoriseRetry = 30 * time.Second
)

const invalidLogin = "Invalid user or token"

// Store is what auth needs from the database (implemented by store/sqlite). Unknown
// sessions and users are *airlock.Error with CodeNotFound.
type Store interface {
	// CreateSession stores u's record (refreshed at createdAt) and the session together.
	CreateSession(ctx context.Context, u airlock.User, idHash, csrfToken string, createdAt, expiresAt time.Time) error
	GetSession(ctx context.Context, idHash string) (username, csrfToken string, expiresAt time.Time, err error)
	TouchSession(ctx context.Context, idHash string, expiresAt time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteUserSessions removes every session (and login token) of a user.
	DeleteUserSessions(ctx context.Context, username string) (int, error)
	InsertLoginToken(ctx context.Context, username, tokenHash string, expiresAt time.Time) error
	ConsumeLoginToken(ctx context.Context, username, tokenHash string, now time.Time) (bool, error)
	UpsertUser(ctx context.Context, u airlock.User, refreshedAt time.Time) error
	GetUser(ctx context.Context, username string) (airlock.User, time.Time, error)
	// FailureLog keeps failed logins, for the rate limits.
	FailureLog
}

// Config configures an Authenticator. Store is required; at least one of Users and
// JobServer should be set for anyone to log in.
type Config struct {
	Store     Store
	Users     *UsersFile
	JobServer *JobServer
	Clock     func() time.Time
	Logger    *slog.Logger

	SessionLifetime time.Duration // sliding; default 8 weeks
	AuthoriseAfter  time.Duration // re-authorise a user record older than this; default 15 minutes
	TokenLifetime   time.Duration // single-use tokens; default 30 minutes
	FailureWindow   time.Duration // login failures counted over this window; default 15 minutes
	MaxUserFailures int           // per username within the window; default 5
	MaxAddrFailures int           // per client address within the window; default 20

	// OnUserRefreshed, when set, is called with a user record re-read from the users file
	// or job-server (the live hub updates its routing with it).
	OnUserRefreshed func(airlock.User)
	// OnUserRevoked, when set, is called with the name of a user whose sessions were ended
	// because job-server took their access away (the live hub closes their sockets).
	OnUserRevoked func(username string)
	// Peers, when set, is told of ended sessions and refreshed and revoked users, for the
	// other servers sharing the database (failed logins need no telling: they are counted in
	// the database).
	Peers Peers
}

// Authenticator logs users in and resolves sessions.
type Authenticator struct {
	cfg     Config
	store   Store
	clock   func() time.Time
	log     *slog.Logger
	limiter *limiter

	mu         sync.Mutex
	refreshing map[string]bool
	lastFailed map[string]time.Time

	cache *cache
}

// New returns an Authenticator.
func New(cfg Config) *Authenticator {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SessionLifetime, DefaultSessionLifetime)
	def(&cfg.AuthoriseAfter, DefaultAuthoriseAfter)
	def(&cfg.TokenLifetime, DefaultTokenLifetime)
	def(&cfg.FailureWindow, DefaultFailureWindow)
	if cfg.MaxUserFailures <= 0 {
		cfg.MaxUserFailures = DefaultMaxUserFailures
	}
	if cfg.MaxAddrFailures <= 0 {
		cfg.MaxAddrFailures = DefaultMaxAddrFailures
	}
	return &Authenticator{
		cfg: cfg, store: cfg.Store, clock: cfg.Clock, log: cfg.Logger,
		limiter:    newLimiter(cfg.Store, cfg.FailureWindow),
		refreshing: map[string]bool{}, lastFailed: map[string]time.Time{},
		cache: newCache(),
	}
}

// Session is an authenticated session.
type Session struct {
	// ID is the secret cookie value. Only Login returns it; it is never stored.
	ID string
	// Key identifies the session without revealing it (the hash of ID, as stored).
	Key       string
	User      airlock.User
	CSRFToken string
	ExpiresAt time.Time
	// Renewed is set by Authenticate when the sliding expiry moved forward (a client
	// cookie carrying an expiry should be sent again).
	Renewed bool
}

// Login checks a username and token (users file token, single-use token, or job-server
// login) and starts a session. addr is the client's address, for rate limiting.
func (a *Authenticator) Login(ctx context.Context, username, token, addr string) (Session, error) {
	username = strings.TrimSpace(username)
	if username == "" || token == "" {
		return Session{}, airlock.Errorf(airlock.CodeInvalid, "Enter your username and token")
	}
	now := a.clock()
	limits := a.limits(username, addr)
	wait, userFailures, err := a.limiter.blocked(ctx, now, limits...)
	if err != nil {
		return Session{}, fmt.Errorf("auth: reading the failed logins of %q: %w", username, err)
	}
	if wait > 0 {
		return Session{}, airlock.Errorf(airlock.CodeRateLimited,
			"Too many failed login attempts; try again in %s", roundUpMinutes(wait))
	}
	user, err := a.verify(ctx, username, token, now)
	if err != nil {
		if airlock.ErrorCode(err) == airlock.CodeUnauthenticated {
			// A failure that cannot be counted refuses the login as an error, never as a
			// plain wrong token, so that guesses are never free.
			if ferr := a.limiter.fail(ctx, now, limits...); ferr != nil {
				return Session{}, fmt.Errorf("auth: recording a failed login of %q: %w", username, ferr)
			}
			a.log.Info("login failed", "user", username, "addr", addr)
		}
		return Session{}, err
	}
	// A success clears the user's failures (when any count: most logins follow none, and
	// then write nothing more than the session).
	if userFailures > 0 {
		if err := a.limiter.reset(ctx, userKey(username)); err != nil {
			return Session{}, fmt.Errorf("auth: clearing the failed logins of %q: %w", username, err)
		}
	}
	user = normalizeUser(user)
	id := randomString(32)
	s := Session{
		ID: id, Key: HashSecret(id), User: user,
		CSRFToken: randomString(24), ExpiresAt: now.Add(a.cfg.SessionLifetime),
	}
	// The user record and the session in one write.
	if err := a.store.CreateSession(ctx, user, s.Key, s.CSRFToken, now, s.ExpiresAt); err != nil {
		a.cache.users.drop(user.Username)
		return Session{}, fmt.Errorf("auth: creating session for %q: %w", user.Username, err)
	}
	a.cache.users.put(user.Username, cachedUser{user: user, refreshed: now}, now)
	a.cache.sessions.put(s.Key, cachedSession{username: user.Username, csrf: s.CSRFToken, expires: s.ExpiresAt}, now)
	a.log.Info("login", "user", user.Username, "addr", addr)
	return s, nil
}

// verify finds the user a username and token belong to.
func (a *Authenticator) verify(ctx context.Context, username, token string, now time.Time) (airlock.User, error) {
	if a.cfg.Users != nil {
		if u, ok := a.cfg.Users.Check(username, token); ok {
			return u, nil
		}
	}
	// A single-use token from `airlock token`, for a user of the users file (never for a
	// job-server user, whose access job-server decides).
	if known := a.localUser(username); known != nil {
		ok, err := a.store.ConsumeLoginToken(ctx, username, HashSecret(token), now)
		if err != nil {
			return airlock.User{}, fmt.Errorf("auth: checking login token: %w", err)
		}
		if ok {
			return *known, nil
		}
	}
	if a.cfg.JobServer != nil {
		doc, err := a.cfg.JobServer.Authenticate(ctx, username, token)
		if err != nil {
			a.log.Warn("job-server login failed", "user", username, "err", err)
			return airlock.User{}, loginError(err)
		}
		return doc.User(), nil
	}
	return airlock.User{}, airlock.Errorf(airlock.CodeUnauthenticated, "%s", invalidLogin)
}

// localUser returns the record of a user of the users file, or nil.
func (a *Authenticator) localUser(username string) *airlock.User {
	if a.cfg.Users == nil {
		return nil
	}
	e, ok := a.cfg.Users.Lookup(username)
	if !ok {
		return nil
	}
	u := e.Details.User()
	return &u
}

// LookupUser returns the current record of a user for an operator's automation (regular
// release requests, docs/reference/domain.md §10.1): a users-file user's entry, else,
// with job-server configured, its fresh answer to authorise (create-or-refresh, §8.3),
// else the record cached from an earlier login. The record read is cached as at a login.
// An unknown user is not_found.
func (a *Authenticator) LookupUser(ctx context.Context, username string) (airlock.User, error) {
	now := a.clock()
	if local := a.localUser(username); local != nil {
		u := normalizeUser(*local)
		if err := a.saveUser(ctx, u, now); err != nil {
			return airlock.User{}, fmt.Errorf("auth: saving user %q: %w", username, err)
		}
		return u, nil
	}
	if a.cfg.JobServer != nil {
		doc, err := a.cfg.JobServer.Authorise(ctx, username)
		if err == nil && doc.Username != username {
			err = fmt.Errorf("job-server answered for user %q", doc.Username)
		}
		if err != nil {
			return airlock.User{}, airlock.WrapError(airlock.CodeUnavailable, err, "job-server could not confirm user %q", username)
		}
		u := normalizeUser(doc.User())
		if err := a.saveUser(ctx, u, now); err != nil {
			return airlock.User{}, fmt.Errorf("auth: saving user %q: %w", username, err)
		}
		a.refreshed(u)
		return u, nil
	}
	u, _, err := a.store.GetUser(ctx, username)
	switch {
	case airlock.ErrorCode(err) == airlock.CodeNotFound:
		return airlock.User{}, airlock.Errorf(airlock.CodeNotFound, "Unknown user %q", username)
	case err != nil:
		return airlock.User{}, fmt.Errorf("auth: reading user %q: %w", username, err)
	}
	return normalizeUser(u), nil
}

// IssueToken creates a single-use login token for a user of the users file, valid for
// Config.TokenLifetime. A user known only from job-server (the user cache) is refused:
// shell access must not become a login that job-server did not grant.
func (a *Authenticator) IssueToken(ctx context.Context, username string) (string, time.Time, error) {
	if a.localUser(username) == nil {
		_, _, err := a.store.GetUser(ctx, username)
		switch {
		case err == nil:
			return "", time.Time{}, airlock.Errorf(airlock.CodePermissionDenied,
				"%s is a job-server user: log in with a token from job-server (airlock token only serves users of the users file)", username)
		case airlock.ErrorCode(err) == airlock.CodeNotFound:
			return "", time.Time{}, airlock.Errorf(airlock.CodeNotFound, "Unknown user %q (not in the users file)", username)
		default:
			return "", time.Time{}, fmt.Errorf("auth: reading user %q: %w", username, err)
		}
	}
	token := NewLoginToken()
	expires := a.clock().Add(a.cfg.TokenLifetime)
	if err := a.store.InsertLoginToken(ctx, username, HashSecret(token), expires); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: storing login token: %w", err)
	}
	return token, expires, nil
}

// Authenticate resolves a session cookie value into its session and current user. The
// session's expiry slides forward; a user record older than Config.AuthoriseAfter is
// refreshed, keeping the cached record when the refresh fails.
func (a *Authenticator) Authenticate(ctx context.Context, sessionID string) (Session, error) {
	if sessionID == "" {
		return Session{}, errNoSession
	}
	key := HashSecret(sessionID)
	now := a.clock()
	cs, ok := a.cache.sessions.get(key, now)
	if !ok {
		username, csrf, expires, err := a.store.GetSession(ctx, key)
		switch {
		case airlock.ErrorCode(err) == airlock.CodeNotFound:
			return Session{}, errNoSession
		case err != nil:
			return Session{}, fmt.Errorf("auth: reading session: %w", err)
		}
		cs = cachedSession{username: username, csrf: csrf, expires: expires}
		a.cache.sessions.put(key, cs, now)
	}
	username, csrf, expires := cs.username, cs.csrf, cs.expires
	if !now.Before(expires) {
		a.cache.sessions.drop(key)
		if err := a.store.DeleteSession(ctx, key); err != nil {
			a.log.Warn("deleting expired session", "err", err)
		}
		return Session{}, errNoSession
	}
	renewed := false
	if next := now.Add(a.cfg.SessionLifetime); next.Sub(expires) >= touchEvery {
		if err := a.store.TouchSession(ctx, key, next); err != nil {
			a.cache.sessions.drop(key)
			if airlock.ErrorCode(err) == airlock.CodeNotFound {
				return Session{}, errNoSession
			}
			return Session{}, fmt.Errorf("auth: renewing session: %w", err)
		}
		expires, renewed = next, true
		cs.expires = next
		a.cache.sessions.put(key, cs, now)
	}
	user, err := a.currentUser(ctx, username, now)
	if err != nil {
		return Session{}, err
	}
	return Session{Key: key, User: user, CSRFToken: csrf, ExpiresAt: expires, Renewed: renewed}, nil
}

var errNoSession = airlock.Errorf(airlock.CodeUnauthenticated, "You are not logged in, or your session has expired")

// currentUser returns the cached record of a user, refreshed when stale.
func (a *Authenticator) currentUser(ctx context.Context, username string, now time.Time) (airlock.User, error) {
	if cu, ok := a.cache.users.get(username, now); ok && now.Sub(cu.refreshed) <= a.cfg.AuthoriseAfter {
		return cu.user, nil
	}
	cached, refreshed, err := a.getUser(ctx, username, now)
	switch {
	case airlock.ErrorCode(err) == airlock.CodeNotFound:
		// The session outlived the user cache: only a users-file user can be rebuilt.
		if a.cfg.Users != nil {
			if e, ok := a.cfg.Users.Lookup(username); ok {
				u := normalizeUser(e.Details.User())
				if err := a.saveUser(ctx, u, now); err != nil {
					return airlock.User{}, fmt.Errorf("auth: saving user %q: %w", username, err)
				}
				return u, nil
			}
		}
		return airlock.User{}, errNoSession
	case err != nil:
		return airlock.User{}, fmt.Errorf("auth: reading user %q: %w", username, err)
	}
	if now.Sub(refreshed) <= a.cfg.AuthoriseAfter {
		return cached, nil
	}
	return a.refresh(ctx, cached, now)
}

// getUser reads a cached user record from the store and keeps it in memory.
func (a *Authenticator) getUser(ctx context.Context, username string, now time.Time) (airlock.User, time.Time, error) {
	u, refreshed, err := a.store.GetUser(ctx, username)
	if err != nil {
		return u, refreshed, err
	}
	u = normalizeUser(u)
	a.cache.users.put(username, cachedUser{user: u, refreshed: refreshed}, now)
	return u, refreshed, nil
}

// saveUser stores a refreshed user record (and keeps it in memory).
func (a *Authenticator) saveUser(ctx context.Context, u airlock.User, now time.Time) error {
	if err := a.store.UpsertUser(ctx, u, now); err != nil {
		a.cache.users.drop(u.Username)
		return err
	}
	a.cache.users.put(u.Username, cachedUser{user: u, refreshed: now}, now)
	return nil
}

// refresh re-reads a stale user record from the users file or job-server (§8.3).
func (a *Authenticator) refresh(ctx context.Context, cached airlock.User, now time.Time) (airlock.User, error) {
	name := cached.Username
	if a.cfg.Users != nil {
		if e, ok := a.cfg.Users.Lookup(name); ok {
			u := normalizeUser(e.Details.User())
			if err := a.saveUser(ctx, u, now); err != nil {
				a.log.Warn("saving refreshed user", "user", name, "err", err)
			}
			a.refreshed(u)
			return u, nil
		}
		if a.cfg.JobServer == nil {
			// Removed from the users file: the operator has taken the access away.
			return airlock.User{}, errNoSession
		}
	}
	if a.cfg.JobServer == nil {
		return cached, nil
	}
	a.mu.Lock()
	if a.refreshing[name] || now.Sub(a.lastFailed[name]) < authoriseRetry {
		a.mu.Unlock()
		return cached, nil
	}
	a.refreshing[name] = true
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.refreshing, name)
		a.mu.Unlock()
	}()

	doc, err := a.cfg.JobServer.Authorise(ctx, name)
	if err == nil && doc.Username != name {
		err = fmt.Errorf("job-server answered for user %q", doc.Username)
	}
	if errors.Is(err, errAccessRevoked) {
		a.revoke(ctx, name, err)
		return airlock.User{}, errNoSession
	}
	if err != nil {
		a.mu.Lock()
		a.lastFailed[name] = now
		a.mu.Unlock()
		a.log.Warn("re-authorisation failed; keeping the cached user record", "user", name, "err", err)
		return cached, nil
	}
	a.mu.Lock()
	delete(a.lastFailed, name)
	a.mu.Unlock()
	u := normalizeUser(doc.User())
	if err := a.saveUser(ctx, u, now); err != nil {
		a.log.Warn("saving refreshed user", "user", name, "err", err)
	}
	a.refreshed(u)
	return u, nil
}

// revoke ends every session of a user job-server no longer lets in (§8.3: authorise
// answered 403 or 404), here and in the store, and has their live sockets closed.
func (a *Authenticator) revoke(ctx context.Context, name string, why error) {
	a.cache.sessions.dropWhere(func(cs cachedSession) bool { return cs.username == name })
	a.cache.users.drop(name)
	n, err := a.store.DeleteUserSessions(ctx, name)
	if err != nil {
		a.log.Error("ending the sessions of a user job-server revoked", "user", name, "err", err)
	} else {
		a.log.Info("job-server revoked the user's access; sessions ended", "user", name, "sessions", n, "answer", why.Error())
	}
	if a.cfg.OnUserRevoked != nil {
		a.cfg.OnUserRevoked(name)
	}
	a.peer(func(p Peers) { p.UserRevoked(name) })
}

func (a *Authenticator) refreshed(u airlock.User) {
	if a.cfg.OnUserRefreshed != nil {
		a.cfg.OnUserRefreshed(u)
	}
	a.peer(func(p Peers) { p.UserRefreshed(u.Username) })
}

// CheckCSRF reports whether token is the session's CSRF token, in constant time.
func (s Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) == 1
}

// Logout ends a session (by its Key).
func (a *Authenticator) Logout(ctx context.Context, key string) error {
	a.cache.sessions.drop(key)
	if err := a.store.DeleteSession(ctx, key); err != nil && airlock.ErrorCode(err) != airlock.CodeNotFound {
		return fmt.Errorf("auth: deleting session: %w", err)
	}
	a.peer(func(p Peers) { p.SessionEnded(key) })
	return nil
}

// HashSecret is how session ids and login tokens are stored: the hex SHA-256.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewLoginToken returns a fresh single-use token: 80 random bits in four groups of
// lower-case base32 (e.g. "k3f9-q2xa-7mnp-d4wz"), easy to read out and type.
func NewLoginToken() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// limits are the keys a login attempt counts against: the user's first (blocked reports its
// count), then the client address's.
func (a *Authenticator) limits(username, addr string) []limit {
	l := []limit{{userKey(username), a.cfg.MaxUserFailures}}
	if addr != "" {
		l = append(l, limit{"a:" + addr, a.cfg.MaxAddrFailures})
	}
	return l
}

func userKey(username string) string { return "u:" + strings.ToLower(username) }

func roundUpMinutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
