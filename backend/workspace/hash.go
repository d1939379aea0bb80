package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// fileKey identifies one version of a file well enough to reuse its hash: an atomic
// replace changes the inode, a write changes size or mtime (or ctime).
type fileKey struct {
	size  int64
	mtime int64
	ctime int64
	dev   uint64
	ino   uint64
}

func keyOf(fi fs.FileInfo) fileKey {
	k := fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	k.dev, k.ino, k.ctime = sysKey(fi)
	return k
}

// hashCache remembers the SHA-256 of files by (size, mtime, ctime, device, inode), so an
// unchanged file is never hashed twice. Keys are "<workspace>/<relative path>".
//
// A file changed twice within one tick of the file system's clock keeps its stat when its
// size does (see statCache), so a hash is trusted by its key alone only when it was read
// racyWindow or more after the file's last change (settled), or while a watcher follows
// the workspace (the event of every change forgets the path). Otherwise the file is hashed
// again, and cached as settled once it is.
type hashCache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]hashEntry
	hashed  int64 // number of files actually hashed (for tests and metrics)
}

type hashEntry struct {
	key     fileKey
	hash    string
	settled bool
}

func newHashCache(now func() time.Time) *hashCache {
	return &hashCache{now: now, entries: map[string]hashEntry{}}
}

// settledAt reports whether a file whose stat is k, read from time t on, can change again
// only with another stat (its last change is racyWindow older than t).
func settledAt(k fileKey, t time.Time) bool {
	return k.ino != 0 && max(k.mtime, k.ctime) <= t.Add(-racyWindow).UnixNano()
}

// lookup returns the cached hash of name when it was read at version k, and is settled or
// followed says a watcher follows its workspace.
func (c *hashCache) lookup(name string, k fileKey, followed bool) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[name]
	if !ok || e.key != k || !e.settled && !followed {
		return "", false
	}
	return e.hash, true
}

// lookupWalked completes entries[d.i].File with the cached hash of each disk entry d found
// by a walk (d.e.key set) whose version is cached (as lookup); it returns the others.
func (c *hashCache) lookupWalked(ws string, refs []diskRef, entries []airlock.TreeEntry, followed bool) (miss []diskRef) {
	if len(refs) == 0 {
		return nil
	}
	name := make([]byte, 0, len(ws)+64)
	name = append(name, ws...)
	name = append(name, '/')
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range refs {
		if d.e.key != (fileKey{}) {
			name = append(name[:len(ws)+1], d.e.file.Path...)
			if e, ok := c.entries[string(name)]; ok && e.key == d.e.key && (e.settled || followed) {
				f := d.e.file
				f.ContentHash = e.hash
				entries[d.i].File = f
				continue
			}
		}
		miss = append(miss, d)
	}
	return miss
}

func (c *hashCache) store(name string, k fileKey, h string, settled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[name] = hashEntry{key: k, hash: h, settled: settled}
}

func (c *hashCache) forget(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.entries {
		if name == prefix || len(name) > len(prefix) && name[:len(prefix)] == prefix && name[len(prefix)] == '/' {
			delete(c.entries, name)
		}
	}
}

func (c *hashCache) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hashed
}

// hashOpen returns the hash of the opened file f, whose stat is fi, from the cache when its
// key is unchanged (as lookup). A file that changes while it is hashed is not cached.
func (c *hashCache) hashOpen(name string, f *os.File, fi fs.FileInfo, followed bool) (string, error) {
	k := keyOf(fi)
	if h, ok := c.lookup(name, k, followed); ok {
		return h, nil
	}
	// Before the read: a change after it shows in the stat when this is settled.
	t := c.now()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	h := hex.EncodeToString(sum.Sum(nil))
	c.mu.Lock()
	c.hashed++
	c.mu.Unlock()
	if after, err := f.Stat(); err == nil && keyOf(after) == k {
		c.store(name, k, h, settledAt(k, t))
	}
	return h, nil
}
