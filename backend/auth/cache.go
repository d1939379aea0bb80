package auth

import (
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// cacheTTL is how long a session or user record read from the store is trusted without
// reading it again. Changes made through this Authenticator (login, logout, refresh) update
// the cache at once; the TTL only bounds how late a change made elsewhere is seen.
const cacheTTL = 10 * time.Second

// cacheMax bounds the entries kept; beyond it stale entries are swept.
const cacheMax = 10000

// cache keeps recently used sessions and user records in memory, so that an API call does
// not read the database twice before its handler runs.
type cache struct {
	mu       sync.Mutex
	sessions map[string]cachedEntry[cachedSession]
	users    map[string]cachedEntry[cachedUser]
}

type cachedEntry[T any] struct {
	v       T
	fetched time.Time
}

type cachedSession struct {
	username, csrf string
	expires        time.Time
}

type cachedUser struct {
	user      airlock.User
	refreshed time.Time
}

func newCache() *cache {
	return &cache{sessions: map[string]cachedEntry[cachedSession]{}, users: map[string]cachedEntry[cachedUser]{}}
}

func fresh(fetched, now time.Time) bool {
	age := now.Sub(fetched)
	return age >= 0 && age < cacheTTL
}

func (c *cache) session(key string, now time.Time) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sessions[key]
	if !ok || !fresh(e.fetched, now) {
		return cachedSession{}, false
	}
	return e.v, true
}

func (c *cache) putSession(key string, s cachedSession, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sessions) >= cacheMax {
		sweep(c.sessions, now)
	}
	c.sessions[key] = cachedEntry[cachedSession]{v: s, fetched: now}
}

func (c *cache) dropSession(key string) {
	c.mu.Lock()
	delete(c.sessions, key)
	c.mu.Unlock()
}

func (c *cache) user(name string, now time.Time) (cachedUser, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[name]
	if !ok || !fresh(e.fetched, now) {
		return cachedUser{}, false
	}
	return e.v, true
}

func (c *cache) putUser(name string, u cachedUser, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.users) >= cacheMax {
		sweep(c.users, now)
	}
	c.users[name] = cachedEntry[cachedUser]{v: u, fetched: now}
}

func (c *cache) dropUser(name string) {
	c.mu.Lock()
	delete(c.users, name)
	c.mu.Unlock()
}

func sweep[T any](m map[string]cachedEntry[T], now time.Time) {
	for k, e := range m {
		if !fresh(e.fetched, now) {
			delete(m, k)
		}
	}
}
