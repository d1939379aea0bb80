package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// OutboxEntry is one regular file of the release folder.
type OutboxEntry struct {
	// Path is relative to the release folder, slash-separated: <workspace>/<request id>/...
	Path    string
	Size    int64
	ModTime time.Time
	// Temp marks an interrupted write's temporary file.
	Temp bool
}

// Entries lists every regular file of the release folder (anything else — folders,
// links — is not listed), by path.
func (o *Outbox) Entries() ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := fs.WalkDir(o.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, OutboxEntry{Path: p, Size: fi.Size(), ModTime: fi.ModTime(), Temp: isOutboxTemp(d.Name())})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release: list the outbox: %w", err)
	}
	return out, nil
}

// CheckDelivered compares what the outbox holds for request r with the database: every
// released file recorded as uploaded is in place with its size (and, with hash, its
// SHA-256), and a RELEASED request has a release.json listing exactly its released files.
// It returns one line per problem, and the outbox paths that r accounts for (delivered
// files, files whose delivery is still pending, and release.json).
func (o *Outbox) CheckDelivered(r *airlock.ReleaseRequest, hash bool) (problems []string, known map[string]bool) {
	known = map[string]bool{}
	if checkRequestNames(r) != nil {
		return nil, known
	}
	dir := path.Join(r.Workspace, r.ID)
	files := ReleasedFiles(r)
	for _, f := range files {
		p := path.Join(dir, f.RelPath)
		known[p] = true
		if !f.Uploaded {
			continue // not delivered yet: whatever is there will be written again
		}
		if err := o.verify(p, f.Size, f.FileID, hash); err != nil {
			problems = append(problems, fmt.Sprintf("outbox: request %s file %s is recorded as delivered, but %v", r.ID, f.RelPath, err))
		}
	}
	mp := path.Join(dir, ManifestName)
	known[mp] = true
	if r.Status != airlock.StatusReleased {
		return problems, known
	}
	data, err := o.root.ReadFile(mp)
	if err != nil {
		return append(problems, fmt.Sprintf("outbox: request %s is RELEASED but %s cannot be read: %v", r.ID, mp, unwrapFS(err))), known
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return append(problems, fmt.Sprintf("outbox: request %s: %s is not valid JSON: %v", r.ID, mp, err)), known
	}
	var want, got []string
	for _, f := range files {
		want = append(want, f.RelPath+" "+f.FileID)
	}
	for _, f := range m.Files {
		got = append(got, f.Path+" "+f.SHA256)
	}
	slices.Sort(want)
	slices.Sort(got)
	if m.RequestID != r.ID || m.Workspace != r.Workspace || !slices.Equal(want, got) {
		problems = append(problems, fmt.Sprintf("outbox: request %s: %s does not list the request's released files", r.ID, mp))
	}
	return problems, known
}

// verify checks one delivered file's size and, with hash, its SHA-256.
func (o *Outbox) verify(p string, size int64, sha string, hash bool) error {
	fh, err := o.root.Open(p)
	if err != nil {
		return fmt.Errorf("it is missing (%v)", unwrapFS(err))
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Size() != size {
		return fmt.Errorf("it has %d bytes instead of %d", fi.Size(), size)
	}
	if !hash {
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("its content differs from the reviewed file (SHA-256 %s)", got)
	}
	return nil
}

func unwrapFS(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
