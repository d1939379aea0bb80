// Package fsutil is the file-system toolkit every part of Airlock that writes or reads
// files uses: atomic writes (a temporary file beside the final name, written, fsynced,
// renamed, the folder fsynced), a reader that stops when its context ends, and the one
// rule for relative paths. It imports nothing of ours.
package fsutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
)

// Temp is a temporary file being written beside the name it will take. Commit makes it
// that name durably; Discard (safe to defer, and a no-op after Commit) removes it. Its
// name starts with the prefix CreateTemp was given, so a sweep can recognise the leftovers
// of a process that died while writing.
type Temp struct {
	root *os.Root
	dir  string
	name string // the temporary file's path inside root
	f    *os.File
	done bool
}

// CreateTemp creates a new temporary file in folder dir of root (dir "." is root itself),
// named prefix followed by random hex, with permissions perm (less the umask).
func CreateTemp(root *os.Root, dir, prefix string, perm fs.FileMode) (*Temp, error) {
	for range 10 {
		var rnd [8]byte
		_, _ = rand.Read(rnd[:])
		name := path.Join(dir, prefix+hex.EncodeToString(rnd[:]))
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &Temp{root: root, dir: dir, name: name, f: f}, nil
	}
	return nil, &fs.PathError{Op: "createtemp", Path: path.Join(dir, prefix+"*"), Err: fs.ErrExist}
}

// Write writes to the temporary file.
func (t *Temp) Write(p []byte) (int, error) { return t.f.Write(p) }

// Name is the temporary file's path inside its root.
func (t *Temp) Name() string { return t.name }

// Commit fsyncs and closes the temporary file, renames it to name (a path inside the
// root, normally in the same folder) and fsyncs that folder, so that after a crash name is
// either what it was or the whole new content. When any step fails before the rename the
// temporary file is removed and name is untouched.
func (t *Temp) Commit(name string) error {
	if t.done {
		return errors.New("fsutil: temporary file already committed or discarded")
	}
	if err := t.f.Sync(); err != nil {
		t.Discard()
		return err
	}
	if err := t.f.Close(); err != nil {
		t.Discard()
		return err
	}
	if err := t.root.Rename(t.name, name); err != nil {
		t.Discard()
		return err
	}
	t.done = true
	return SyncDir(t.root, path.Dir(name))
}

// Discard closes and removes the temporary file unless it was committed.
func (t *Temp) Discard() {
	if t.done {
		return
	}
	t.done = true
	_ = t.f.Close()
	_ = t.root.Remove(t.name)
}

// WriteFile writes name, a path inside root, atomically: fill writes the content into a
// temporary file in name's folder (named prefix and random hex, created with perm less
// the umask) and Commit puts it in place. When fill or any later step fails, name is
// untouched and the temporary file removed.
func WriteFile(root *os.Root, name, prefix string, perm fs.FileMode, fill func(io.Writer) error) error {
	t, err := CreateTemp(root, path.Dir(name), prefix, perm)
	if err != nil {
		return err
	}
	if err := fill(t); err != nil {
		t.Discard()
		return err
	}
	return t.Commit(name)
}

// WriteFileAt is WriteFile for a path on disk: the folder of name must exist.
func WriteFileAt(name, prefix string, perm fs.FileMode, fill func(io.Writer) error) error {
	root, err := os.OpenRoot(filepath.Dir(name))
	if err != nil {
		return err
	}
	defer root.Close()
	return WriteFile(root, filepath.Base(name), prefix, perm, fill)
}

// SyncDir fsyncs folder dir of root, making the entries added to or removed from it
// durable.
func SyncDir(root *os.Root, dir string) error {
	return syncDir(func() (*os.File, error) { return root.Open(dir) })
}

// SyncDirAt is SyncDir for a folder on disk.
func SyncDirAt(dir string) error {
	return syncDir(func() (*os.File, error) { return os.Open(dir) })
}

// syncsDirs is false on Windows, where folders cannot be fsynced (NTFS journals their
// entries): there syncDir does nothing.
const syncsDirs = runtime.GOOS != "windows"

func syncDir(open func() (*os.File, error)) error {
	if !syncsDirs {
		return nil
	}
	d, err := open()
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// MkdirAll creates folder dir on disk and its missing parents with permissions perm,
// fsyncing each parent that gained an entry, so that the new folders survive a crash.
func MkdirAll(dir string, perm fs.FileMode) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirAll(parent, perm); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return SyncDirAt(parent)
}

// Reader returns a reader of r that fails with the context's error once ctx ends, so that
// a long copy stops between two reads.
func Reader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx: ctx, r: r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
