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
	sessions *ttlMap[cachedSession] // by session key
	users    *ttlMap[cachedUser]    // by username
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
	return &cache{sessions: newTTLMap[cachedSession](), users: newTTLMap[cachedUser]()}
}

// ttlMap holds values for cacheTTL after they were fetched, at most about cacheMax of them.
type ttlMap[T any] struct {
	mu sync.Mutex
	m  map[string]cachedEntry[T]
}

type cachedEntry[T any] struct {
	v       T
	fetched time.Time
}

func newTTLMap[T any]() *ttlMap[T] { return &ttlMap[T]{m: map[string]cachedEntry[T]{}} }

func fresh(fetched, now time.Time) bool {
	age := now.Sub(fetched)
	return age >= 0 && age < cacheTTL
}

// get returns the value kept for key when it is still fresh at now.
func (c *ttlMap[T]) get(key string, now time.Time) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !fresh(e.fetched, now) {
		var zero T
		return zero, false
	}
	return e.v, true
}

// put keeps v for key as fetched at now, first sweeping stale entries when full.
func (c *ttlMap[T]) put(key string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheMax {
		for k, e := range c.m {
			if !fresh(e.fetched, now) {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = cachedEntry[T]{v: v, fetched: now}
}

func (c *ttlMap[T]) drop(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// dropWhere removes every entry whose value matches.
func (c *ttlMap[T]) dropWhere(match func(T) bool) {
	c.mu.Lock()
	for k, e := range c.m {
		if match(e.v) {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}
