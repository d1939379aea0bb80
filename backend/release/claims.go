package release

import (
	"context"
	"sync"
)

// Claims lets one uploader at a time work on a file when several servers share one database
// (docs/operations.md, "Uploads and notifications"). PostgreSQL's implementation is
// store/postgres.Locks (advisory locks, lost with the server's connection, so a killed
// server's files are taken over); a single server uses LocalClaims.
type Claims interface {
	// Claim takes the claim called name unless someone holds it (ok false). While it is
	// held, ctx (derived from parent) stays alive; it ends when the claim is released or
	// lost, and the work it guards stops. release is idempotent.
	Claim(parent context.Context, name string) (ctx context.Context, release func(), ok bool, err error)
}

// LocalClaims are claims within one process: the SQLite store has one server, so a claim
// only keeps two passes of the same process apart.
type LocalClaims struct {
	mu   sync.Mutex
	held map[string]bool
}

// Claim implements Claims.
func (c *LocalClaims) Claim(parent context.Context, name string) (context.Context, func(), bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[name] {
		return nil, nil, false, nil
	}
	if c.held == nil {
		c.held = map[string]bool{}
	}
	c.held[name] = true
	ctx, cancel := context.WithCancel(parent)
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			cancel()
			c.mu.Lock()
			delete(c.held, name)
			c.mu.Unlock()
		})
	}, true, nil
}

// UploadClaim is the name of the claim on delivering one file.
func UploadClaim(requestID, relpath string) string {
	return "upload\x00" + requestID + "\x00" + relpath
}
