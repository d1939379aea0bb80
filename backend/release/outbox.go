package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/internal/fsutil"
)

// ManifestName is the name of the file listing a delivered release, written beside the
// released files once every one of them is in place.
const ManifestName = "release.json"

// tmpMarker is part of every temporary name the outbox writes; a crash can leave such a
// file behind, never a partial file under a final name.
const tmpMarker = ".airlock-tmp-"

// Manifest is the content of release.json.
type Manifest struct {
	Workspace string `json:"workspace"`
	RequestID string `json:"requestId"`
	// ReleasedBy and ReleasedAt are those of the most recently released file.
	ReleasedBy  string         `json:"releasedBy"`
	ReleasedAt  time.Time      `json:"releasedAt"`
	DeliveredAt time.Time      `json:"deliveredAt"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one delivered file in release.json.
type ManifestFile struct {
	Path       string    `json:"path"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	ReleasedBy string    `json:"releasedBy"`
	ReleasedAt time.Time `json:"releasedAt"`
}

// Outbox delivers released files to a local folder:
// <dir>/<workspace>/<request id>/<path>, byte-identical to the stored copy, then
// <dir>/<workspace>/<request id>/release.json. Every file is written to a temporary name in
// its final directory, fsynced, renamed into place, and the directory fsynced. All access
// goes through an os.Root, so nothing outside dir is ever followed or created.
type Outbox struct {
	root  *os.Root
	clock func() time.Time
	log   *slog.Logger

	mu sync.Mutex
	// dirMu serialises the first use of a directory (its creation).
	dirMu sync.Mutex
	// delivered remembers, per request, the files known to be in place (an optimisation
	// only: the disk is checked for everything else).
	delivered map[string]map[string]bool
	// syncedDirs are directories known to exist durably.
	syncedDirs map[string]bool
}

// NewOutbox opens (creating it if needed) the release folder dir.
func NewOutbox(dir string, clock func() time.Time, log *slog.Logger) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("release: create outbox %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("release: open outbox %s: %w", dir, err)
	}
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{root: root, clock: clock, log: log,
		delivered: map[string]map[string]bool{}, syncedDirs: map[string]bool{".": true}}, nil
}

// Close releases the folder handle.
func (o *Outbox) Close() error { return o.root.Close() }

// Dir is the release folder.
func (o *Outbox) Dir() string { return o.root.Name() }

// Name implements Target.
func (o *Outbox) Name() string { return "outbox" }

// CreateRelease checks that every file of the release can be delivered safely; the outbox
// keeps no release id.
func (o *Outbox) CreateRelease(_ context.Context, _ airlock.User, r *airlock.ReleaseRequest, files []airlock.ReleaseFile) (string, error) {
	if err := checkRequestNames(r); err != nil {
		return "", err
	}
	for _, f := range files {
		if err := checkOutboxPath(f.Path); err != nil {
			return "", err
		}
	}
	return "", nil
}

func checkRequestNames(r *airlock.ReleaseRequest) error {
	if err := cleanName("workspace", r.Workspace); err != nil {
		return err
	}
	return cleanName("request", r.ID)
}

func checkOutboxPath(p string) error {
	if err := fsutil.CheckRelPath(p); err != nil {
		return airlock.Errorf(airlock.CodeInvalid, "Unsafe release path %q: %s.", p, err)
	}
	if p == ManifestName {
		return airlock.Errorf(airlock.CodeInvalid,
			"A released file may not be called %s at the top level: the release folder lists its files under that name.", ManifestName)
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.Contains(seg, tmpMarker) {
			return airlock.Errorf(airlock.CodeInvalid, "Unsafe release path %q: reserved name.", p)
		}
	}
	return nil
}

// Upload implements Target: it copies the stored copy to its final name atomically,
// checking that the bytes written are exactly the reviewed ones (size and sha256), and
// writes release.json once every released file of r is in place.
func (o *Outbox) Upload(ctx context.Context, r *airlock.ReleaseRequest, f *airlock.RequestFile, open OpenFunc) error {
	if err := checkRequestNames(r); err != nil {
		return err
	}
	if err := checkOutboxPath(f.RelPath); err != nil {
		return err
	}
	reqDir := path.Join(r.Workspace, r.ID)
	final := path.Join(reqDir, f.RelPath)
	src, err := open()
	if err != nil {
		return fmt.Errorf("release: open stored copy of %s: %w", f.RelPath, err)
	}
	defer src.Close()
	err = o.writeAtomic(ctx, final, func(w io.Writer) error {
		h := sha256.New()
		buf := make([]byte, 1<<20)
		n, err := io.CopyBuffer(io.MultiWriter(w, h), fsutil.Reader(ctx, src), buf)
		if err != nil {
			return err
		}
		if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.FileID {
			return airlock.Errorf(airlock.CodeInternal,
				"The stored copy of %s does not match what was reviewed (size %d, expected %d).", f.RelPath, n, f.Size)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return o.finishIfComplete(ctx, r, f.RelPath)
}

// finishIfComplete writes release.json when every released file of r is in place.
func (o *Outbox) finishIfComplete(ctx context.Context, r *airlock.ReleaseRequest, justDelivered string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	known := o.delivered[r.ID]
	if known == nil {
		known = map[string]bool{}
		o.delivered[r.ID] = known
	}
	known[justDelivered] = true
	files := ReleasedFiles(r)
	for _, f := range files {
		if known[f.RelPath] {
			continue
		}
		fi, err := o.root.Lstat(path.Join(r.Workspace, r.ID, f.RelPath))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != f.Size {
			return nil // not complete yet; a later delivery finishes it
		}
		known[f.RelPath] = true
	}
	m := Manifest{Workspace: r.Workspace, RequestID: r.ID, DeliveredAt: o.clock().UTC(), Files: []ManifestFile{}}
	for _, f := range files {
		mf := ManifestFile{Path: f.RelPath, Size: f.Size, SHA256: f.FileID, ReleasedBy: f.ReleasedBy, ReleasedAt: f.ReleasedAt.UTC()}
		if !mf.ReleasedAt.Before(m.ReleasedAt) {
			m.ReleasedAt, m.ReleasedBy = mf.ReleasedAt, mf.ReleasedBy
		}
		m.Files = append(m.Files, mf)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := o.writeAtomic(ctx, path.Join(r.Workspace, r.ID, ManifestName), func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	}); err != nil {
		return err
	}
	delete(o.delivered, r.ID)
	o.log.Info("release delivered to outbox", "workspace", r.Workspace, "request", r.ID, "files", len(files))
	return nil
}

// writeAtomic writes name (a path relative to the root) through fill, atomically
// (fsutil.WriteFile: a temporary file in the same directory, fsynced, renamed over name,
// then the directory fsynced). On any error the temporary file is removed and name is
// untouched; fill's own error, or the context's once fill is done, is returned as it is.
func (o *Outbox) writeAtomic(ctx context.Context, name string, fill func(io.Writer) error) error {
	dir := path.Dir(name)
	if err := o.ensureDir(dir); err != nil {
		return err
	}
	var fillErr error
	err := fsutil.WriteFile(o.root, name, "."+path.Base(name)+tmpMarker, 0o644, func(w io.Writer) error {
		if fillErr = fill(w); fillErr == nil {
			fillErr = ctx.Err()
		}
		return fillErr
	})
	if err != nil && err != fillErr {
		return fmt.Errorf("release: write %s: %w", name, err)
	}
	return err
}

// ensureDir creates dir (and its parents) below the root and makes their entries durable.
// It removes nothing: the folder may be shared by several servers, and a temporary file
// here may be another server's write in progress. The leftovers of interrupted writes are
// SweepTemps' work, by age.
func (o *Outbox) ensureDir(dir string) error {
	o.dirMu.Lock()
	defer o.dirMu.Unlock()
	if o.syncedDirs[dir] {
		return nil
	}
	if err := o.root.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("release: create folder %s: %w", dir, err)
	}
	// Sync every directory from dir up to the root, so a new folder's entry survives a crash.
	for d := dir; ; d = path.Dir(d) {
		if err := o.syncDir(d); err != nil {
			return err
		}
		if d == "." {
			break
		}
	}
	o.syncedDirs[dir] = true
	return nil
}

func (o *Outbox) syncDir(dir string) error {
	if err := fsutil.SyncDir(o.root, dir); err != nil {
		return fmt.Errorf("release: sync folder %s: %w", dir, err)
	}
	return nil
}

// SweepTemps removes, anywhere in the release folder, the temporary files of interrupted
// writes that were last modified before `before` (a write in progress keeps its file's
// modification time fresh), and returns their paths. It is the outbox's part of the
// recovery on start (docs/reliability.md); delivered files are never touched.
func (o *Outbox) SweepTemps(before time.Time) ([]string, error) {
	var removed []string
	var errs []error
	err := fs.WalkDir(o.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if !d.Type().IsRegular() || !isOutboxTemp(d.Name()) {
			return nil
		}
		fi, err := d.Info()
		if err != nil || !fi.ModTime().Before(before) {
			return nil
		}
		if err := o.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("release: remove %s: %w", p, err))
			return nil
		}
		removed = append(removed, p)
		o.log.Info("recovery: removed an interrupted write from the outbox", "path", p)
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// isOutboxTemp reports whether name is one of writeAtomic's temporary names.
func isOutboxTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tmpMarker)
}
