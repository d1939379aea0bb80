package service

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
)

// checkWorkspace: u may view ws and its folder exists (both not_found otherwise).
func (s *Airlock) checkWorkspace(u airlock.User, ws string) error {
	if err := airlock.CheckCanViewWorkspace(u, ws); err != nil {
		return err
	}
	if !s.ws.Exists(ws) {
		return airlock.Errorf(airlock.CodeNotFound, "Workspace '%s' was not found.", ws)
	}
	return nil
}

// statFile returns the workspace file at p and whether it is a visible file; only errors
// other than not_found are returned.
func (s *Airlock) statFile(ws, p string) (airlock.WorkspaceFile, bool, error) {
	wf, err := s.ws.Stat(ws, p)
	if err != nil {
		if airlock.ErrorCode(err) == airlock.CodeNotFound {
			return airlock.WorkspaceFile{}, false, nil
		}
		return airlock.WorkspaceFile{}, false, err
	}
	return wf, true, nil
}

// workspaceStatus is the status of every file of r in its workspace as r's author sees it
// (UNDER_REVIEW, UPDATED, WITHDRAWN while r is active; RELEASED, UNRELEASED or INVALID
// otherwise), given the contents released in the workspace, and the size of each file's
// current workspace content. r must be indexed (airlock.ReleaseRequest.Indexed).
func (s *Airlock) workspaceStatus(r *airlock.ReleaseRequest, released map[string]bool) (map[string]airlock.WorkspaceFileStatus, map[string]int64) {
	author := airlock.User{Username: r.Author}
	files := r.AllFiles()
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.RelPath
	}
	wfs, errs := s.statFiles(r.Workspace, paths)
	status := make(map[string]airlock.WorkspaceFileStatus, len(files))
	size := make(map[string]int64, len(files))
	for i, p := range paths {
		// Any failure (not a visible file, or unreadable) counts as not a valid file.
		status[p] = airlock.FileStatusFor(author, p, wfs[i].ContentHash, errs[i] == nil, released, r)
		if errs[i] == nil {
			size[p] = wfs[i].Size
		}
	}
	return status, size
}

// fileStatter is implemented by Workspaces that stat many files of one workspace at once
// (workspace.Workspaces): files[i] and errs[i] are what Stat(ws, paths[i]) returns.
type fileStatter interface {
	StatFiles(ws string, paths []string) (files []airlock.WorkspaceFile, errs []error)
}

// statFiles stats paths of ws, at once when the Workspaces can, else one by one.
func (s *Airlock) statFiles(ws string, paths []string) ([]airlock.WorkspaceFile, []error) {
	if fs, ok := s.ws.(fileStatter); ok {
		return fs.StatFiles(ws, paths)
	}
	files, errs := make([]airlock.WorkspaceFile, len(paths)), make([]error, len(paths))
	for i, p := range paths {
		files[i], errs[i] = s.ws.Stat(ws, p)
	}
	return files, errs
}

// ListWorkspaces lists every workspace folder u may view, by name, with u's access.
func (s *Airlock) ListWorkspaces(ctx context.Context, u airlock.User) ([]WorkspaceSummary, error) {
	names, err := s.ws.Names()
	if err != nil {
		return nil, err
	}
	out := []WorkspaceSummary{}
	err = s.view(ctx, func(tx Tx) error {
		out = out[:0]
		for _, ws := range names {
			if !airlock.CanViewWorkspace(u, ws) {
				continue
			}
			sum, err := s.summary(ctx, tx, u, ws)
			if err != nil {
				return err
			}
			out = append(out, sum)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetWorkspace returns workspace ws as u sees it, with its manifest hash.
func (s *Airlock) GetWorkspace(ctx context.Context, u airlock.User, ws string) (WorkspaceSummary, error) {
	if err := s.checkWorkspace(u, ws); err != nil {
		return WorkspaceSummary{}, err
	}
	var sum WorkspaceSummary
	err := s.view(ctx, func(tx Tx) error {
		var err error
		if sum, err = s.summary(ctx, tx, u, ws); err != nil {
			return err
		}
		var current *airlock.ReleaseRequest
		if sum.CurrentRequestID != nil {
			// Through the view cache: possibly shared, and only read here.
			if current, err = s.readRequest(ctx, tx, u, *sum.CurrentRequestID, withoutComments); err != nil {
				return err
			}
		}
		sum.Actions = airlock.WorkspaceActions(u, ws, current)
		return nil
	})
	if err != nil {
		return WorkspaceSummary{}, err
	}
	if sum.ManifestHash, err = s.ws.ManifestHash(ws); err != nil {
		return WorkspaceSummary{}, err
	}
	return sum, nil
}

func (s *Airlock) summary(ctx context.Context, tx Tx, u airlock.User, ws string) (WorkspaceSummary, error) {
	grant, access := airlock.WorkspaceAccess(u, ws)
	sum := WorkspaceSummary{
		Name:          ws,
		Project:       grant.Project,
		Archived:      grant.Archived,
		Active:        airlock.WorkspaceIsActive(u, ws),
		Access:        access,
		CreateRequest: airlock.CreateRequestAction(u, ws),
	}
	sum.CanCreateRequest = sum.CreateRequest.Allowed
	if sum.Project.Orgs == nil {
		sum.Project.Orgs = []string{}
	}
	id, err := tx.CurrentRequestID(ctx, ws, u.Username)
	if err != nil {
		return WorkspaceSummary{}, err
	}
	if id != "" {
		sum.CurrentRequestID = &id
	}
	return sum, nil
}

// statusContext reads, in one view, what a workspace file's status for u depends on beside
// the file itself: the content hashes released from ws, and u's current request on ws (for
// reading only: it may be the view cache's shared aggregate).
func (s *Airlock) statusContext(ctx context.Context, u airlock.User, ws string) (released map[string]bool, current *airlock.ReleaseRequest, err error) {
	err = s.view(ctx, func(tx Tx) error {
		var err error
		if released, err = tx.ReleasedFileIDs(ctx, ws); err != nil {
			return err
		}
		id, err := tx.CurrentRequestID(ctx, ws, u.Username)
		if err != nil || id == "" {
			return err
		}
		// Through the view cache: possibly shared, and only read by the callers.
		current, err = s.readRequest(ctx, tx, u, id, withoutComments)
		return err
	})
	return released, current, err
}

// ListTree lists one directory level of ws ("" is the root) with each file's status for u.
func (s *Airlock) ListTree(ctx context.Context, u airlock.User, ws, dir string, includeOutOfDate bool) ([]TreeItem, error) {
	if err := s.checkWorkspace(u, ws); err != nil {
		return nil, err
	}
	entries, err := s.ws.List(ws, dir, includeOutOfDate)
	if err != nil {
		return nil, err
	}
	released, current, err := s.statusContext(ctx, u, ws)
	if err != nil {
		return nil, err
	}
	if current != nil {
		// FileStatusFor looks each path up on the request: an indexed copy makes that O(1).
		current = current.Indexed()
	}
	t := airlock.AddTargetFor(u, ws, current)
	// When u may not add to the target at all, every file says so alike: computed once
	// (but for which of add and update is shown, which depends on the status).
	var shared map[airlock.WorkspaceFileStatus]airlock.Actions
	if t.Denied(u) != nil {
		shared = map[airlock.WorkspaceFileStatus]airlock.Actions{}
	}
	out := make([]TreeItem, 0, len(entries))
	for _, e := range entries {
		item := TreeItem{TreeEntry: e}
		if !e.Dir {
			item.Status = airlock.FileStatusFor(u, e.Path, e.File.ContentHash, true, released, current)
			item.AllowedType = airlock.IsAllowedFileType(e.Path, s.policy)
			if shared == nil {
				item.Actions, item.AddFileType = airlock.WorkspaceFileActions(u, t, e.File, item.Status, s.policy)
			} else if a, ok := shared[item.Status]; ok {
				item.Actions = a
			} else {
				item.Actions, _ = airlock.WorkspaceFileActions(u, t, airlock.WorkspaceFile{}, item.Status, s.policy)
				shared[item.Status] = item.Actions
			}
		}
		out = append(out, item)
	}
	s.treeWarnings(ctx, ws, out)
	return out, nil
}

// GetWorkspaceFile returns workspace file p of ws as u sees it: its status, where it is on
// u's current request, and whether u may add or update it (with the reason when not).
func (s *Airlock) GetWorkspaceFile(ctx context.Context, u airlock.User, ws, p string) (WorkspaceFileDetail, error) {
	if err := s.checkWorkspace(u, ws); err != nil {
		return WorkspaceFileDetail{}, err
	}
	wf, err := s.ws.Stat(ws, p)
	if err != nil {
		return WorkspaceFileDetail{}, err
	}
	released, current, err := s.statusContext(ctx, u, ws)
	if err != nil {
		return WorkspaceFileDetail{}, err
	}
	st := airlock.FileStatusFor(u, p, wf.ContentHash, true, released, current)
	d := WorkspaceFileDetail{
		File:        wf,
		Status:      st,
		AllowedType: airlock.IsAllowedFileType(p, s.policy),
		ProducedBy:  s.provenance(wf),
	}
	d.Actions, d.AddFileType = airlock.WorkspaceFileActions(u, airlock.AddTargetFor(u, ws, current), wf, st, s.policy)
	if current != nil {
		if f := current.File(p); f != nil {
			d.Request = &FileOnRequest{ID: current.ID, Group: f.Group, FileType: f.FileType}
		}
	}
	return d, nil
}

// OpenWorkspaceFile opens workspace file p of ws for u to view, recording
// WORKSPACE_FILE_VIEW. The caller closes the reader.
func (s *Airlock) OpenWorkspaceFile(ctx context.Context, u airlock.User, ws, p string) (io.ReadSeekCloser, airlock.WorkspaceFile, error) {
	return s.ReadWorkspaceFile(ctx, u, ws, p, FileView{Kind: ViewContent})
}

// ReadWorkspaceFile opens workspace file p of ws for u to read for view v, recording
// WORKSPACE_FILE_VIEW when v opens the file (FileView.Opens). The caller closes the reader.
func (s *Airlock) ReadWorkspaceFile(ctx context.Context, u airlock.User, ws, p string, v FileView) (io.ReadSeekCloser, airlock.WorkspaceFile, error) {
	if err := s.checkWorkspace(u, ws); err != nil {
		return nil, airlock.WorkspaceFile{}, err
	}
	wf, err := s.ws.Stat(ws, p)
	if err != nil {
		if _, lerr := s.ws.List(ws, p, true); lerr == nil && p != "" {
			return nil, airlock.WorkspaceFile{}, airlock.Errorf(airlock.CodeInvalid, "%s is a directory, not a file", p)
		}
		return nil, airlock.WorkspaceFile{}, err
	}
	rc, err := s.ws.Open(ws, p)
	if err != nil {
		return nil, airlock.WorkspaceFile{}, err
	}
	if !v.Opens() {
		return rc, wf, nil
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		ev := airlock.NewWorkspaceAuditEvent(airlock.AuditWorkspaceFileView, u, ws, p, nil)
		ev.CreatedAt = s.now()
		return tx.AppendAudit(ctx, ev)
	})
	if err != nil {
		rc.Close()
		return nil, airlock.WorkspaceFile{}, err
	}
	return rc, wf, nil
}

// AllWorkspaces is the "All workspaces" list: the workspaces matching a search, grouped by
// project.
type AllWorkspaces struct {
	// Projects by name, the workspaces of no known project last (Name "").
	Projects []ProjectWorkspaces
	// Total counts every workspace, Matched those listed.
	Total, Matched int
}

// ProjectWorkspaces is one project of the list with its workspaces, by name.
type ProjectWorkspaces struct {
	Name       string
	Orgs       []string
	Workspaces []ListedWorkspace
}

// ListedWorkspace is one workspace of the list, with the viewer's access to it.
type ListedWorkspace struct {
	Name   string
	Access string
}

// maxSearch bounds the search text of the workspace list.
const maxSearch = 200

// ListAllWorkspaces lists every workspace folder for the users who may view any workspace
// (airlock.CheckCanViewAllWorkspaces), keeping those whose name, project or organisation
// contains every word of q (ignoring case). A workspace's project is the one u's record
// names, else the one on its latest request (docs/decisions.md §15). The folders are listed
// with one read of the root, without reading manifests (as the reference's list,
// docs/reference/ui.md §3.3); the projects come from one query.
func (s *Airlock) ListAllWorkspaces(ctx context.Context, u airlock.User, q string) (AllWorkspaces, error) {
	if err := airlock.CheckCanViewAllWorkspaces(u); err != nil {
		return AllWorkspaces{}, err
	}
	if len(q) > maxSearch {
		return AllWorkspaces{}, airlock.Errorf(airlock.CodeInvalid, "The search is longer than %d characters", maxSearch)
	}
	terms := strings.Fields(strings.ToLower(q))
	names, err := s.folderNames()
	if err != nil {
		return AllWorkspaces{}, err
	}
	var recorded map[string]airlock.Project
	if err := s.view(ctx, func(tx Tx) error {
		var err error
		recorded, err = tx.WorkspaceProjects(ctx)
		return err
	}); err != nil {
		return AllWorkspaces{}, err
	}
	out := AllWorkspaces{Projects: []ProjectWorkspaces{}}
	byProject := map[string]int{}
	for _, ws := range names {
		grant, access := airlock.WorkspaceAccess(u, ws)
		if access == "" {
			continue
		}
		out.Total++
		p := recorded[ws]
		if access == airlock.AccessRole || access == airlock.AccessCopilot {
			p = grant.Project // the record's own entry for ws
		}
		if !matchesAll(terms, ws, p) {
			continue
		}
		out.Matched++
		i, ok := byProject[p.Name]
		if !ok {
			i = len(out.Projects)
			byProject[p.Name] = i
			orgs := slices.Clone(p.Orgs)
			if orgs == nil {
				orgs = []string{}
			}
			out.Projects = append(out.Projects, ProjectWorkspaces{Name: p.Name, Orgs: orgs})
		}
		out.Projects[i].Workspaces = append(out.Projects[i].Workspaces, ListedWorkspace{Name: ws, Access: access})
	}
	slices.SortFunc(out.Projects, func(a, b ProjectWorkspaces) int {
		switch {
		case a.Name == b.Name:
			return 0
		case a.Name == "":
			return 1
		case b.Name == "":
			return -1
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	for _, p := range out.Projects {
		slices.SortFunc(p.Workspaces, func(a, b ListedWorkspace) int { return strings.Compare(a.Name, b.Name) })
	}
	return out, nil
}

// folderLister is implemented by Workspaces that list their folders without reading any
// manifest (workspace.Workspaces).
type folderLister interface {
	FolderNames() ([]string, error)
}

// folderNames lists the workspace folders cheaply when the Workspaces can, else by Names.
func (s *Airlock) folderNames() ([]string, error) {
	if fl, ok := s.ws.(folderLister); ok {
		return fl.FolderNames()
	}
	return s.ws.Names()
}

// matchesAll: every term occurs in the workspace's name, its project's name or one of its
// organisations (terms are lower-case).
func matchesAll(terms []string, ws string, p airlock.Project) bool {
	if len(terms) == 0 {
		return true
	}
	hay := strings.ToLower(ws + "\n" + p.Name + "\n" + strings.Join(p.Orgs, "\n"))
	for _, t := range terms {
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}
