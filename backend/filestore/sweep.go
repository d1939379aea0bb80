package filestore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/internal/fsutil"
)

// tempPrefix starts the name of every temporary file Put writes (fsutil.CreateTemp's prefix).
const tempPrefix = ".tmp-"

// Kind says what a file in a request folder is.
type Kind int

const (
	// KindBlob is a stored copy: named by its SHA-256 hex.
	KindBlob Kind = iota
	// KindTemp is a copy Put was writing when it was interrupted (or is writing now).
	KindTemp
	// KindOther is anything else: the store never writes such names.
	KindOther
)

func (k Kind) String() string {
	switch k {
	case KindBlob:
		return "blob"
	case KindTemp:
		return "temporary file"
	}
	return "unexpected file"
}

// Entry is one file of a request folder.
type Entry struct {
	Name    string
	Kind    Kind
	Size    int64
	ModTime time.Time
}

// Folders lists the request folders on disk: workspace → request ids, sorted. Names the
// store would never create (hidden ones) are skipped.
func (s *Store) Folders() (map[string][]string, error) {
	out := map[string][]string{}
	workspaces, err := os.ReadDir(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: list %s: %w", s.root, err)
	}
	for _, ws := range workspaces {
		if !ws.IsDir() || !validSegment(ws.Name()) {
			continue
		}
		reqs, err := os.ReadDir(filepath.Join(s.root, ws.Name()))
		if err != nil {
			return nil, fmt.Errorf("filestore: list %s: %w", ws.Name(), err)
		}
		for _, r := range reqs {
			if r.IsDir() && validSegment(r.Name()) {
				out[ws.Name()] = append(out[ws.Name()], r.Name())
			}
		}
		sort.Strings(out[ws.Name()])
	}
	return out, nil
}

// List returns the files of one request folder, by name (none when it does not exist).
// Folders and symbolic links inside it are listed as KindOther.
func (s *Store) List(workspace, requestID string) ([]Entry, error) {
	dir, err := s.requestDir(workspace, requestID)
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: list %s/%s: %w", workspace, requestID, err)
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("filestore: stat %s/%s/%s: %w", workspace, requestID, de.Name(), err)
		}
		e := Entry{Name: de.Name(), Size: fi.Size(), ModTime: fi.ModTime(), Kind: KindOther}
		if fi.Mode().IsRegular() {
			switch {
			case validHash(e.Name):
				e.Kind = KindBlob
			case strings.HasPrefix(e.Name, tempPrefix):
				e.Kind = KindTemp
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// Sweep removes from one request folder the temporary files of interrupted copies and the
// blobs not in keep, each only when it was last modified before `before` (a grace period:
// a copy in progress writes its temporary file all the time, and a blob just renamed into
// place may belong to an add that has not committed yet). The caller makes sure no add of
// its own process is writing to this folder while it sweeps (service.SweepFiles). It
// returns the names it removed; files of KindOther are never touched.
//
// Adds of other processes on the same folder (servers sharing the data folder, operator
// commands) are not held back by the caller, so an old blob is not removed by its name: it
// is first renamed to a temporary name, which takes exactly the file that was there, and
// looked at again. If that file is recent after all — a Put of the same content marked it
// as just stored since the listing — it is put back; else it is removed. A Put that finds
// the name gone stores its own copy, and so does a Put whose mark landed only after this
// look (it looks at the name again after marking it, and finds it gone). So once Put has
// returned the name holds a recent file, and the reference the add commits next has its
// copy.
func (s *Store) Sweep(workspace, requestID string, keep map[string]bool, before time.Time) ([]string, error) {
	entries, err := s.List(workspace, requestID)
	if err != nil {
		return nil, err
	}
	dir, _ := s.requestDir(workspace, requestID) // valid: List checked it
	var removed []string
	var errs []error
	for _, e := range entries {
		if e.Kind == KindOther || !e.ModTime.Before(before) || (e.Kind == KindBlob && keep[e.Name]) {
			continue
		}
		gone, err := removeOld(dir, e, before)
		if err != nil {
			errs = append(errs, fmt.Errorf("filestore: remove %s/%s/%s: %w", workspace, requestID, e.Name, err))
			continue
		}
		if gone {
			removed = append(removed, e.Name)
		}
	}
	if len(removed) > 0 {
		if err := fsutil.SyncDirAt(dir); err != nil {
			errs = append(errs, fmt.Errorf("filestore: sync %s/%s: %w", workspace, requestID, err))
		}
	}
	return removed, errors.Join(errs...)
}

// removeOld removes entry e of folder dir, found last modified before `before`, and reports
// whether it did. A temporary file is removed by its name (it is private to the copy that
// wrote it). A blob is renamed aside first and removed only if what was taken is still old
// (Sweep); a crash between the two leaves a temporary file, which a later sweep removes.
func removeOld(dir string, e Entry, before time.Time) (bool, error) {
	p := filepath.Join(dir, e.Name)
	if e.Kind != KindBlob {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		return true, nil
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	aside := filepath.Join(dir, tempPrefix+"swept-"+hex.EncodeToString(rnd[:]))
	if err := os.Rename(p, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil // removed meanwhile
		}
		return false, err
	}
	fi, err := os.Lstat(aside)
	if err == nil && fi.ModTime().Before(before) {
		return true, os.Remove(aside)
	}
	// Marked as just stored since the listing (or it cannot be told): put it back. A copy
	// stored under the name meanwhile has the same content, so either may stay.
	if rerr := os.Rename(aside, p); rerr != nil {
		return false, errors.Join(err, rerr)
	}
	return false, err
}

// Verify checks that the stored copy fileID of a request is there with the given size and,
// when hash is set, that its content still hashes to fileID. The error says what is wrong
// in words for an operator.
func (s *Store) Verify(workspace, requestID, fileID string, size int64, hash bool) error {
	p, err := s.Path(workspace, requestID, fileID)
	if err != nil {
		if airlock.ErrorCode(err) == airlock.CodeNotFound {
			return errors.New("the stored copy is missing")
		}
		return err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return fmt.Errorf("the stored copy cannot be opened: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("the stored copy cannot be read: %w", err)
	}
	if fi.Size() != size {
		return fmt.Errorf("the stored copy has %d bytes, the database says %d", fi.Size(), size)
	}
	if !hash {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("the stored copy cannot be read: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != fileID {
		return fmt.Errorf("the stored copy's content has changed (its SHA-256 is now %s)", got)
	}
	return nil
}
