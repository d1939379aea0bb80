// Package filestore is the content-addressed store of request file copies (service.Files):
// <root>/requests/<workspace>/<request id>/<sha256 hex>.
//
// A copy is streamed once into a temporary file in the request's folder while it is
// hashed, fsynced, checked against the expected hash, renamed to its hash and the folder
// fsynced. Identical content in one request shares one blob. Nothing is left behind when
// any step fails, unless the process dies: then a temporary file (or a blob whose add never
// committed, or of an add or update that failed) stays until Sweep removes it. A blob is
// deleted only by Sweep, the recovery of docs/reliability.md, once it is old and no request
// file refers to it: a blob may be shared by several adds at once, on several servers of a
// shared folder, so no add removes one (docs/decisions.md §7).
package filestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/internal/fsutil"
)

// Store keeps request file copies under one root folder.
type Store struct {
	root string
}

// New returns the store under root (usually the data directory); blobs live in
// root/requests.
func New(root string) *Store {
	return &Store{root: filepath.Join(root, "requests")}
}

// validSegment reports whether s can be one path segment (fsutil.CheckName) that is not
// hidden (temporary files start with a dot).
func validSegment(s string) bool { return fsutil.CheckName(s) == nil && !strings.HasPrefix(s, ".") }

func (s *Store) requestDir(workspace, requestID string) (string, error) {
	if !validSegment(workspace) || !validSegment(requestID) {
		return "", airlock.Errorf(airlock.CodeInvalid, "Invalid workspace or request id.")
	}
	return filepath.Join(s.root, workspace, requestID), nil
}

// validHash reports whether h is a lower-case SHA-256 hex digest.
func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// afterTouch, when set (by tests), runs in Put between marking stored content as just
// stored and looking at its name again: what a sweep does at that moment.
var afterTouch func(name string)

// Put streams src into the request's folder, hashing while copying. When wantHash is not
// empty the content must match it (else CodeInvalid). It returns the SHA-256 hex and size.
func (s *Store) Put(ctx context.Context, workspace, requestID string, src io.Reader, wantHash string) (sum string, size int64, err error) {
	dir, err := s.requestDir(workspace, requestID)
	if err != nil {
		return "", 0, err
	}
	if err := fsutil.MkdirAll(dir, 0o750); err != nil {
		return "", 0, airlock.WrapError(airlock.CodeInternal, err, "cannot create request folder")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", 0, airlock.WrapError(airlock.CodeInternal, err, "cannot open request folder")
	}
	defer root.Close()
	tmp, err := fsutil.CreateTemp(root, ".", tempPrefix, 0o440)
	if err != nil {
		return "", 0, airlock.WrapError(airlock.CodeInternal, err, "cannot create temporary file")
	}
	defer tmp.Discard() // a no-op once committed

	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), fsutil.Reader(ctx, src))
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, airlock.WrapError(airlock.CodeUnavailable, err, "The copy was cancelled.")
		}
		return "", 0, airlock.WrapError(airlock.CodeInternal, err, "cannot copy file")
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if wantHash != "" && !strings.EqualFold(wantHash, sum) {
		return "", 0, airlock.Errorf(airlock.CodeInvalid,
			"The file has changed on disk since the workspace manifest was written (its content no longer matches the recorded hash), so it cannot be added.")
	}
	if fi, err := root.Lstat(sum); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
		// Identical content is stored already. That file stays (a reader, perhaps on
		// another server, may have it open) and is marked as just stored, so that a
		// recovery sweep running at this moment (another server's, on a shared folder)
		// leaves it: an old blob no request refers to may be swept, but not the copy an add
		// is about to commit a reference to (Sweep). The copy is dropped (the deferred
		// Discard).
		//
		// Setting the time looks the name up first and changes the file it found. A sweep
		// may take that file aside and look at its time between the two (on a network
		// file system the lookup may even be one cached earlier) and, finding it still old,
		// remove it — the time is then set on a file no longer in the folder. So the name
		// is looked at again after setting the time: a sweep that went wrong this way has
		// taken the file aside before, so the name is gone (this copy then takes its place)
		// or holds a copy stored since (recent, so no sweep removes it).
		now := time.Now()
		if err := root.Chtimes(sum, now, now); err == nil {
			if afterTouch != nil {
				afterTouch(sum)
			}
			if fi, err := root.Lstat(sum); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
				return sum, size, nil
			}
		}
		// Swept meanwhile, or its time cannot be set: this copy takes its place.
	}
	if err := tmp.Commit(sum); err != nil {
		// Where a file open for reading cannot be replaced (Windows: the rename fails),
		// identical content already in place is as good.
		var renameErr *os.LinkError
		if fi, serr := root.Lstat(sum); errors.As(err, &renameErr) && serr == nil && fi.Mode().IsRegular() && fi.Size() == size {
			return sum, size, nil
		}
		return "", 0, airlock.WrapError(airlock.CodeInternal, err, "cannot store file")
	}
	return sum, size, nil
}

// Open opens a stored copy.
func (s *Store) Open(workspace, requestID, fileID string) (io.ReadSeekCloser, error) {
	p, err := s.Path(workspace, requestID, fileID)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return nil, notFound(err)
	}
	return f, nil
}

// Path is the on-disk path of a stored copy; CodeNotFound when there is none.
func (s *Store) Path(workspace, requestID, fileID string) (string, error) {
	p, _, err := s.stat(workspace, requestID, fileID)
	return p, err
}

// Stat describes a stored copy (a regular file: the store never follows a link); CodeNotFound
// when there is none.
func (s *Store) Stat(workspace, requestID, fileID string) (fs.FileInfo, error) {
	_, fi, err := s.stat(workspace, requestID, fileID)
	return fi, err
}

func (s *Store) stat(workspace, requestID, fileID string) (string, fs.FileInfo, error) {
	dir, err := s.requestDir(workspace, requestID)
	if err != nil || !validHash(fileID) {
		return "", nil, airlock.Errorf(airlock.CodeNotFound, "The stored copy of this file was not found.")
	}
	p := filepath.Join(dir, fileID)
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return "", nil, notFound(err)
	}
	return p, fi, nil
}

func notFound(err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return airlock.Errorf(airlock.CodeNotFound, "The stored copy of this file was not found.")
	}
	return airlock.WrapError(airlock.CodeNotFound, err, "The stored copy of this file was not found.")
}
