package service

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// fileCopy is a workspace file checked for adding or updating, and then its stored copy.
type fileCopy struct {
	path     string
	fileType airlock.FileType
	wf       airlock.WorkspaceFile
	// Set once copied into the store.
	fileID string
	size   int64
	// warnings of the stored copy, counted after copying (nil when they could not be).
	warnings *airlock.WarningCounts
}

// cleanPaths checks a list of request paths: not empty, no duplicates.
func cleanPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, airlock.Errorf(airlock.CodeInvalid, "No files were given")
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if p == "" {
			return nil, airlock.Errorf(airlock.CodeInvalid, "A file path is empty")
		}
		if seen[p] {
			return nil, airlock.Errorf(airlock.CodeInvalid, "File %s is listed more than once", p)
		}
		seen[p] = true
		out = append(out, p)
	}
	return out, nil
}

// AddFiles adds workspace files to group of request id (created on first use; "" is
// "default"), as OUTPUT unless a spec says SUPPORTING (§4.4.2). A file on the request as
// WITHDRAWN is re-added in its place (§4.4.4). All or nothing: every file is validated
// before anything is copied, and the copies are checked against the manifest's content hash.
// The copies of a failed call are left to the recovery sweep (docs/decisions.md §7).
func (s *Airlock) AddFiles(ctx context.Context, u airlock.User, id, group string, files []FileSpec) (RequestView, error) {
	group = strings.TrimSpace(group)
	if group == "" {
		group = airlock.DefaultGroup
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	if _, err := cleanPaths(paths); err != nil {
		return RequestView{}, err
	}
	plan := func(ctx context.Context, tx Tx, r *airlock.ReleaseRequest) ([]*fileCopy, error) {
		if err := airlock.CheckGroupName(r, group); err != nil {
			return nil, err
		}
		released, err := tx.ReleasedFileIDs(ctx, r.Workspace)
		if err != nil {
			return nil, err
		}
		out := make([]*fileCopy, 0, len(files))
		for _, spec := range files {
			ft := spec.FileType
			if ft == "" {
				ft = airlock.FileTypeOutput
			}
			wf, ok, err := s.statFile(r.Workspace, spec.Path)
			if err != nil {
				return nil, err
			}
			if !ok {
				unlisted, found := s.ws.StatUnlisted(r.Workspace, spec.Path)
				if !found {
					return nil, s.notAWorkspaceFile(u, r, spec.Path, ft)
				}
				// On disk but not in the manifest: refused, with the reason.
				wf = unlisted
			}
			st := airlock.FileStatusFor(u, spec.Path, wf.ContentHash, ok, released, r)
			if err := airlock.CheckCanAddWorkspaceFile(u, r, wf, st, ft, s.policy); err != nil {
				return nil, err
			}
			if !ok {
				// CheckListedInManifest refuses every unlisted file; never copy one.
				return nil, s.notAWorkspaceFile(u, r, spec.Path, ft)
			}
			out = append(out, &fileCopy{path: spec.Path, fileType: ft, wf: wf})
		}
		return out, nil
	}
	return s.copyAndWrite(ctx, u, id, plan, func(ctx context.Context, tx Tx, r *airlock.ReleaseRequest, c *fileCopy) error {
		nf := newRequestFile(c, group, c.fileType)
		if old := r.File(c.path); old != nil {
			// On the request as WITHDRAWN: re-add in its place.
			return s.replaceFile(ctx, tx, u, r, old, nf)
		}
		ev := s.audit(airlock.AuditRequestFileAdd, u, r, c.path,
			map[string]string{"group": group, "filetype": string(c.fileType)})
		return tx.InsertFile(ctx, r.ID, nf, ev)
	})
}

// notAWorkspaceFile is the answer to adding path p that does not resolve to a visible file
// of r's workspace (missing, not an output, "..", absolute, NUL, a symlink leaving the
// workspace): not_found (docs/api.md), once u may edit r and asked for a valid file type —
// so that a denial about the request itself still comes first, as CheckCanAddFile orders
// them.
func (s *Airlock) notAWorkspaceFile(u airlock.User, r *airlock.ReleaseRequest, p string, ft airlock.FileType) error {
	if err := airlock.CheckCanEdit(u, r); err != nil {
		return err
	}
	if !ft.Valid() {
		return airlock.Errorf(airlock.CodeInvalid, "Cannot add a file as %s", ft)
	}
	return airlock.Errorf(airlock.CodeNotFound, "%s is not a file in workspace %s", p, r.Workspace)
}

// UpdateFiles takes the current workspace content of files on request id whose workspace
// status is UPDATED, keeping their group and type; their votes are reset (§4.4.3).
func (s *Airlock) UpdateFiles(ctx context.Context, u airlock.User, id string, paths []string) (RequestView, error) {
	paths, err := cleanPaths(paths)
	if err != nil {
		return RequestView{}, err
	}
	plan := func(ctx context.Context, tx Tx, r *airlock.ReleaseRequest) ([]*fileCopy, error) {
		released, err := tx.ReleasedFileIDs(ctx, r.Workspace)
		if err != nil {
			return nil, err
		}
		out := make([]*fileCopy, 0, len(paths))
		for _, p := range paths {
			wf, ok, err := s.statFile(r.Workspace, p)
			if err != nil {
				return nil, err
			}
			st := airlock.FileStatusFor(u, p, wf.ContentHash, ok, released, r)
			wf.Path = p // also when it is no longer a workspace file (INVALID)
			if err := airlock.CheckCanUpdateWorkspaceFile(u, r, wf, st, s.policy); err != nil {
				return nil, err
			}
			out = append(out, &fileCopy{path: p, fileType: r.File(p).FileType, wf: wf})
		}
		return out, nil
	}
	return s.copyAndWrite(ctx, u, id, plan, func(ctx context.Context, tx Tx, r *airlock.ReleaseRequest, c *fileCopy) error {
		old := r.File(c.path)
		return s.replaceFile(ctx, tx, u, r, old, newRequestFile(c, old.Group, old.FileType))
	})
}

// copyAndWrite is the shared flow of adding and updating files: plan (validate every file
// against fresh state) in a read transaction, copy each file into the store outside any
// transaction, then plan again in the write transaction (the state or the workspace may have
// changed meanwhile) and apply each copy.
//
// A call that fails removes nothing it stored: another add of the same content to the same
// request (of this process or of another server on a shared data folder) may have found that
// copy in place meanwhile and be committing a reference to it, or have committed one already,
// and nothing here can tell. Its copies are left to the recovery sweep, which removes a copy
// only once it is older than the grace period and no file of the request refers to it
// (SweepFiles, docs/reliability.md).
func (s *Airlock) copyAndWrite(ctx context.Context, u airlock.User, id string,
	plan func(ctx context.Context, tx Tx, r *airlock.ReleaseRequest) ([]*fileCopy, error),
	apply func(ctx context.Context, tx Tx, r *airlock.ReleaseRequest, c *fileCopy) error,
) (RequestView, error) {
	var (
		r      *airlock.ReleaseRequest
		copies []*fileCopy
	)
	err := s.view(ctx, func(tx Tx) error {
		var err error
		if r, err = loadRequest(ctx, tx, u, id); err != nil {
			return err
		}
		copies, err = plan(ctx, tx, r)
		return err
	})
	if err != nil {
		return RequestView{}, err
	}

	// From the first copy until the references are committed (or the copies removed), the
	// recovery sweep keeps out of this request's folder.
	defer s.adds.begin(r.Workspace, r.ID)()
	for _, c := range copies {
		if err := s.copyIn(ctx, r, c); err != nil {
			return RequestView{}, err
		}
		s.countCopy(ctx, r, c)
	}

	err = s.change(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		again, err := plan(ctx, tx, r)
		if err != nil {
			return err
		}
		for i, c := range again {
			done := copies[i]
			if c.wf.ContentHash != "" && c.wf.ContentHash != done.fileID {
				return airlock.Errorf(airlock.CodeConflict,
					"%s changed in the workspace while it was being added; please try again", c.path)
			}
			if err := apply(ctx, tx, r, done); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RequestView{}, err
	}
	// Committed: the copies belong to the request now, whatever happens next.
	return s.GetRequest(ctx, u, id)
}

// copyIn copies workspace file c into the request's store, checking it against the content
// hash the workspace reports.
func (s *Airlock) copyIn(ctx context.Context, r *airlock.ReleaseRequest, c *fileCopy) error {
	src, err := s.ws.Open(r.Workspace, c.path)
	if err != nil {
		return err
	}
	defer src.Close()
	// The size was checked before copying; a file that grew since is still never copied
	// past the limit.
	var in io.Reader = src
	var lim *limitedReader
	if limit := s.policy.MaxFileSize; limit > 0 {
		lim = &limitedReader{r: src, left: limit}
		in = lim
	}
	sum, size, err := s.files.Put(ctx, r.Workspace, r.ID, in, c.wf.ContentHash)
	if lim != nil && lim.over {
		grown := s.policy.MaxFileSize + 1
		if end, serr := src.Seek(0, io.SeekEnd); serr == nil && end > grown {
			grown = end
		}
		if err := airlock.CheckFileSize(c.path, grown, s.policy); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	c.fileID, c.size = sum, size
	return nil
}

// limitedReader reads at most left bytes of r and fails, setting over, when r has more.
type limitedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Anything more is over the limit.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.over = true
			return 0, errFileOverLimit
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

var errFileOverLimit = errors.New("file over the size limit")

// newRequestFile is the request file for a stored copy, with the workspace's metadata.
func newRequestFile(c *fileCopy, group string, ft airlock.FileType) *airlock.RequestFile {
	return &airlock.RequestFile{
		RelPath:   c.path,
		Group:     group,
		FileType:  ft,
		FileID:    c.fileID,
		Size:      c.size,
		Timestamp: c.wf.ModifiedAt,
		JobID:     c.wf.JobID,
		Commit:    c.wf.Commit,
		Repo:      c.wf.Repo,
		RowCount:  c.wf.RowCount,
		ColCount:  c.wf.ColCount,
		Warnings:  c.warnings,
		Reviews:   map[string]*airlock.FileReview{},
	}
}

// replaceFile puts nf in the place of old (§4.4.4): every vote on old is deleted
// (REQUEST_FILE_RESET_REVIEW, old group and type), old is removed (REQUEST_FILE_WITHDRAW)
// and nf inserted (REQUEST_FILE_UPDATE, new group and type).
func (s *Airlock) replaceFile(ctx context.Context, tx Tx, u airlock.User, r *airlock.ReleaseRequest, old, nf *airlock.RequestFile) error {
	// What the reviewers saw stays known, to show what changed since.
	nf.ReviewedFileID = airlock.ReviewedContent(old)
	if err := s.resetVotes(ctx, tx, u, r, old); err != nil {
		return err
	}
	if err := tx.DeleteFile(ctx, r.ID, old.RelPath); err != nil {
		return err
	}
	withdraw := s.audit(airlock.AuditRequestFileWithdraw, u, r, old.RelPath,
		map[string]string{"group": old.Group, "filetype": string(old.FileType)})
	if err := tx.AppendAudit(ctx, withdraw); err != nil {
		return err
	}
	update := s.audit(airlock.AuditRequestFileUpdate, u, r, nf.RelPath,
		map[string]string{"group": nf.Group, "filetype": string(nf.FileType)})
	return tx.InsertFile(ctx, r.ID, nf, update)
}

// resetVotes deletes every vote on f, one REQUEST_FILE_RESET_REVIEW each.
func (s *Airlock) resetVotes(ctx context.Context, tx Tx, u airlock.User, r *airlock.ReleaseRequest, f *airlock.RequestFile) error {
	for _, ch := range airlock.PlanResetVotes(f) {
		if err := s.changeVote(ctx, tx, u, r, ch); err != nil {
			return err
		}
	}
	return nil
}

// WithdrawFiles withdraws files from request id (§4.4.6): from a PENDING request they are
// removed, from a RETURNED one they stay as WITHDRAWN (votes kept).
func (s *Airlock) WithdrawFiles(ctx context.Context, u airlock.User, id string, paths []string) (RequestView, error) {
	paths, err := cleanPaths(paths)
	if err != nil {
		return RequestView{}, err
	}
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		for _, p := range paths {
			if err := airlock.CheckCanWithdrawFile(u, r, p); err != nil {
				return err
			}
			f := r.File(p)
			ev := s.audit(airlock.AuditRequestFileWithdraw, u, r, p, map[string]string{"group": f.Group})
			if airlock.WithdrawDeletes(r) {
				if err := tx.DeleteFile(ctx, r.ID, p); err != nil {
					return err
				}
				if err := tx.AppendAudit(ctx, ev); err != nil {
					return err
				}
				removeFile(r, p)
				continue
			}
			f.FileType = airlock.FileTypeWithdrawn
			if err := tx.UpdateFile(ctx, r.ID, f, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// removeFile drops relpath from the in-memory request (its group stays).
func removeFile(r *airlock.ReleaseRequest, relpath string) {
	for _, g := range r.Groups {
		for i, f := range g.Files {
			if f.RelPath == relpath {
				g.Files = append(g.Files[:i], g.Files[i+1:]...)
				return
			}
		}
	}
}

// ChangeFileProperties moves files of request id to group and/or makes them ft, keeping
// their content (§4.4.5); "" leaves the group or the type as it is. Votes are reset.
func (s *Airlock) ChangeFileProperties(ctx context.Context, u airlock.User, id string, paths []string, group string, ft airlock.FileType) (RequestView, error) {
	paths, err := cleanPaths(paths)
	if err != nil {
		return RequestView{}, err
	}
	group = strings.TrimSpace(group)
	return s.mutate(ctx, u, id, func(tx Tx, eff *effects, r *airlock.ReleaseRequest) error {
		if group != "" {
			if err := airlock.CheckGroupName(r, group); err != nil {
				return err
			}
		}
		released, err := tx.ReleasedFileIDs(ctx, r.Workspace)
		if err != nil {
			return err
		}
		for _, p := range paths {
			wf, ok, err := s.statFile(r.Workspace, p)
			if err != nil {
				return err
			}
			st := airlock.FileStatusFor(u, p, wf.ContentHash, ok, released, r)
			if err := airlock.CheckCanChangeFileProperties(u, r, p, st, group, ft); err != nil {
				return err
			}
			f := r.File(p)
			f.ReviewedFileID = airlock.ReviewedContent(f) // before its votes go
			if err := s.resetVotes(ctx, tx, u, r, f); err != nil {
				return err
			}
			if group != "" {
				f.Group = group
			}
			if ft != "" {
				f.FileType = ft
			}
			ev := s.audit(airlock.AuditRequestFileUpdate, u, r, p,
				map[string]string{"group": f.Group, "filetype": string(f.FileType)})
			if err := tx.UpdateFile(ctx, r.ID, f, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// OpenRequestFile opens the stored copy of file relpath of request id for u, recording
// REQUEST_FILE_VIEW, or REQUEST_FILE_DOWNLOAD when download is set (output checkers who are
// not the author, docs/decisions.md §6). The audit path is "<group>/<relpath>". The caller
// closes the reader.
func (s *Airlock) OpenRequestFile(ctx context.Context, u airlock.User, id, relpath string, download bool) (io.ReadSeekCloser, *airlock.RequestFile, error) {
	return s.openRequestFile(ctx, u, id, relpath, download, true)
}

// ReadRequestFile opens the stored copy of file relpath of request id for u to read for
// view v, recording REQUEST_FILE_VIEW when v opens the file (FileView.Opens). The caller
// closes the reader.
func (s *Airlock) ReadRequestFile(ctx context.Context, u airlock.User, id, relpath string, v FileView) (io.ReadSeekCloser, *airlock.RequestFile, error) {
	return s.openRequestFile(ctx, u, id, relpath, false, v.Opens())
}

func (s *Airlock) openRequestFile(ctx context.Context, u airlock.User, id, relpath string, download, audited bool) (io.ReadSeekCloser, *airlock.RequestFile, error) {
	var (
		rc io.ReadSeekCloser
		rf *airlock.RequestFile
	)
	run := s.store.View // an unaudited read writes nothing
	if audited {
		run = s.store.InTx
	}
	err := run(ctx, func(tx Tx) error {
		r, err := loadRequest(ctx, tx, u, id)
		if err != nil {
			return err
		}
		f := r.File(relpath)
		if f == nil {
			return airlock.Errorf(airlock.CodeNotFound, "File %s is not on this request", relpath)
		}
		t := airlock.AuditRequestFileView
		if download {
			if err := airlock.CheckCanDownload(u, r); err != nil {
				return err
			}
			t = airlock.AuditRequestFileDownload
		}
		if audited {
			if err := tx.AppendAudit(ctx, s.audit(t, u, r, f.GroupPath(), map[string]string{"group": f.Group})); err != nil {
				return err
			}
		}
		if rc != nil {
			rc.Close()
		}
		if rc, err = s.files.Open(r.Workspace, r.ID, f.FileID); err != nil {
			rc = nil
			return err
		}
		rf = f
		return nil
	})
	if err != nil {
		if rc != nil {
			rc.Close()
		}
		return nil, nil, err
	}
	return rc, rf, nil
}
