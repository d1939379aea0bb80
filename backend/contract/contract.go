// Package contract holds the JSON shapes of the API (docs/api.md) that the web UI and the
// desktop window see, and the converters that build them from the service's values. The
// converters apply the domain's visibility rules once (comments, decisions, audit events)
// and compute the actions blocks with the domain's rules, so every client gets the same
// filtered view. Field names are camelCase; times are UTC RFC 3339.
package contract

import (
	"maps"
	"slices"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
)

// Project is a workspace's project.
type Project struct {
	Name    string   `json:"name"`
	Ongoing bool     `json:"ongoing"`
	Orgs    []string `json:"orgs"`
}

// Grant is what a user record says about one workspace.
type Grant struct {
	Project  Project `json:"project"`
	Archived bool    `json:"archived"`
}

// User is the logged-in user (login and me).
type User struct {
	Username            string           `json:"username"`
	Fullname            string           `json:"fullname"`
	OutputChecker       bool             `json:"outputChecker"`
	ReadonlyAccess      bool             `json:"readonlyAccess"`
	Workspaces          map[string]Grant `json:"workspaces"`
	CopilotedWorkspaces map[string]Grant `json:"copilotedWorkspaces"`
	// Actions says what the user may do beyond single workspaces (an extension):
	// "viewAllWorkspaces", the "All workspaces" list; "reviewRequests", the review lists.
	Actions airlock.Actions `json:"actions"`
}

// WorkspaceSummary is one workspace the user may view.
type WorkspaceSummary struct {
	Name     string  `json:"name"`
	Project  Project `json:"project"`
	Archived bool    `json:"archived"`
	Active   bool    `json:"active"`
	// Access is ROLE, COPILOT, CHECKER or READONLY.
	Access           string `json:"access"`
	CanCreateRequest bool   `json:"canCreateRequest"`
	// CreateRequest is canCreateRequest with the reason when not allowed (an extension).
	CreateRequest    airlock.ActionState `json:"createRequest"`
	CurrentRequestID *string             `json:"currentRequestId"`
	// ManifestHash is set on the single-workspace answer only.
	ManifestHash string `json:"manifestHash,omitempty"`
	// Actions (an extension, on the single-workspace answer only): addFiles and
	// updateFiles, adding and updating the files the user selects.
	Actions airlock.Actions `json:"actions,omitempty"`
}

// WorkspaceList is the answer of GET /workspaces.
type WorkspaceList struct {
	Workspaces []WorkspaceSummary `json:"workspaces"`
}

// AllWorkspaces is the answer of GET /all-workspaces (an extension): the workspaces that
// match the search, grouped by project.
type AllWorkspaces struct {
	Projects []ProjectWorkspaces `json:"projects"`
	Total    int                 `json:"total"`
	Matched  int                 `json:"matched"`
}

// ProjectWorkspaces is one project of the list ("" when not known) with its workspaces.
type ProjectWorkspaces struct {
	Name       string            `json:"name"`
	Orgs       []string          `json:"orgs"`
	Workspaces []ListedWorkspace `json:"workspaces"`
}

// ListedWorkspace is one workspace of the list with the caller's access to it.
type ListedWorkspace struct {
	Name   string `json:"name"`
	Access string `json:"access"`
}

// FromAllWorkspaces is the answer of GET /all-workspaces.
func FromAllWorkspaces(a service.AllWorkspaces) AllWorkspaces {
	out := AllWorkspaces{Projects: make([]ProjectWorkspaces, 0, len(a.Projects)), Total: a.Total, Matched: a.Matched}
	for _, p := range a.Projects {
		op := ProjectWorkspaces{Name: p.Name, Orgs: orgsOf(p.Orgs), Workspaces: make([]ListedWorkspace, 0, len(p.Workspaces))}
		for _, w := range p.Workspaces {
			op.Workspaces = append(op.Workspaces, ListedWorkspace{Name: w.Name, Access: w.Access})
		}
		out.Projects = append(out.Projects, op)
	}
	return out
}

// EntryKind is what an entry of a directory level is.
type EntryKind string

// Entry kinds.
const (
	KindDir  EntryKind = "dir"
	KindFile EntryKind = "file"
)

// Entry is one item of a workspace directory level.
type Entry struct {
	Name string    `json:"name"`
	Path string    `json:"path"`
	Kind EntryKind `json:"kind"`
	Size int64     `json:"size"`
	// ModifiedAt is null for directories.
	ModifiedAt *time.Time `json:"modifiedAt"`
	// Status is the workspace file status for the viewer; omitted for directories.
	Status      airlock.WorkspaceFileStatus `json:"status,omitempty"`
	AllowedType bool                        `json:"allowedType"`
	OutOfDate   bool                        `json:"outOfDate"`
	// Actions is, on the files of a tree level, what the viewer may do with the file (the
	// keys of FileDetail's actions); omitted for directories.
	Actions TreeFileActions `json:"actions,omitzero"`
	// AddFileType (an extension) is the type a file is added as by default: OUTPUT, or
	// SUPPORTING when it can only be a supporting file; omitted when it cannot be added.
	AddFileType airlock.FileType `json:"addFileType,omitempty"`
	// Warnings counts a tree file's disclosure-check warnings (an extension): absent for
	// directories, files without checks and while WarningsPending (being counted; a
	// workspace.changed event for the path says when the count is ready).
	Warnings        *Warnings `json:"warnings,omitempty"`
	WarningsPending bool      `json:"warningsPending,omitempty"`
}

// TreeFileActions is the actions block of a file of a tree level.
type TreeFileActions struct {
	Add           airlock.ActionState `json:"add"`
	AddOutput     airlock.ActionState `json:"addOutput"`
	AddSupporting airlock.ActionState `json:"addSupporting"`
	Update        airlock.ActionState `json:"update"`
}

// Warnings counts a file's disclosure-check warnings by severity (hints, never decisions).
type Warnings struct {
	Info  int `json:"INFO"`
	Warn  int `json:"WARN"`
	Block int `json:"BLOCK"`
}

func fromWarnings(w airlock.WarningCounts) Warnings {
	return Warnings{Info: w.Info, Warn: w.Warn, Block: w.Block}
}

func fromWarningsPtr(w *airlock.WarningCounts) *Warnings {
	if w == nil {
		return nil
	}
	out := fromWarnings(*w)
	return &out
}

// Acknowledgement is a reviewer's note on approving a file with BLOCK warnings.
type Acknowledgement struct {
	Reviewer string `json:"reviewer"`
	Note     string `json:"note"`
	Turn     int    `json:"turn"`
}

// Tree is one directory level.
type Tree struct {
	Path    string  `json:"path"`
	Entries []Entry `json:"entries"`
}

// FileOnRequest says where a workspace file is on the viewer's current request.
type FileOnRequest struct {
	ID       string           `json:"id"`
	Group    string           `json:"group"`
	FileType airlock.FileType `json:"fileType"`
}

// FileDetail is one workspace file with what the viewer can do with it. Actions holds
// "add" and "update" (and "addOutput", "addSupporting": adding with that file type).
type FileDetail struct {
	Entry
	SHA256      string          `json:"sha256"`
	ContentType string          `json:"contentType"`
	Request     *FileOnRequest  `json:"request"`
	Actions     airlock.Actions `json:"actions"`
	// ProducedBy is what produced the output, from job-runner's manifest; null for a file
	// the manifest does not list (and in workspaces without one).
	ProducedBy *ProducedBy `json:"producedBy"`
}

// ProducedBy is the provenance of a workspace output (an extension). CodeURL is set when
// a code browser is configured (--code-url).
type ProducedBy struct {
	Action     string `json:"action"`
	JobID      string `json:"jobId"`
	JobRequest string `json:"jobRequest"`
	Commit     string `json:"commit"`
	Repo       string `json:"repo"`
	User       string `json:"user"`
	CodeURL    string `json:"codeUrl,omitempty"`
}

// Request is a release request as the caller may see it.
type Request struct {
	ID        string         `json:"id"`
	Workspace string         `json:"workspace"`
	Author    string         `json:"author"`
	Status    airlock.Status `json:"status"`
	Turn      int            `json:"turn"`
	Phase     airlock.Phase  `json:"phase"`
	// Project and Orgs are the workspace's project and its organisations, as recorded
	// when the request was created (an extension).
	Project         string     `json:"project"`
	Orgs            []string   `json:"orgs"`
	CreatedAt       time.Time  `json:"createdAt"`
	LastSubmittedAt *time.Time `json:"lastSubmittedAt"`
	// SubmittedReviewers are the reviewers who submitted this turn, as far as the caller
	// may know: during independent review only the caller's own submission.
	SubmittedReviewers []string `json:"submittedReviewers"`
	// Reviews counts the reviews of the latest review turn (airlock.ReviewsSubmitted): the
	// figure the page shows, the same for every viewer, as the status is.
	Reviews ReviewCount `json:"reviews"`
	Groups  []Group     `json:"groups"`
	Upload  Upload      `json:"upload"`
	// Actions is the request-level actions block (docs/api.md "Actions").
	Actions airlock.Actions `json:"actions"`
	// NextStep (an extension) says, in a sentence or two, what the caller is expected to do
	// now.
	NextStep string `json:"nextStep"`
	// CommentVisibilities are the visibilities the caller may write comments with now.
	CommentVisibilities []airlock.Visibility `json:"commentVisibilities"`
}

// ReviewCount is how many reviews were submitted in a review turn (an extension).
type ReviewCount struct {
	Submitted int `json:"submitted"`
	Turn      int `json:"turn"`
}

// Group is a file group with its files and the comments the caller may see.
type Group struct {
	Name     string    `json:"name"`
	Context  string    `json:"context"`
	Controls string    `json:"controls"`
	Files    []File    `json:"files"`
	Comments []Comment `json:"comments"`
}

// File is one file on a request.
type File struct {
	Path     string           `json:"path"`
	FileType airlock.FileType `json:"fileType"`
	SHA256   string           `json:"sha256"`
	Size     int64            `json:"size"`
	// Decision is the combined decision as the caller may see it.
	Decision airlock.Decision `json:"decision"`
	// MyVote is the caller's own vote (null when none, and for non-output files).
	MyVote          *airlock.Vote               `json:"myVote"`
	WorkspaceStatus airlock.WorkspaceFileStatus `json:"workspaceStatus"`
	Released        bool                        `json:"released"`
	Uploaded        bool                        `json:"uploaded"`
	// UploadAttempts and UploadError show a failing upload (docs/decisions.md §14).
	UploadAttempts int    `json:"uploadAttempts"`
	UploadError    string `json:"uploadError,omitempty"`
	ContentType    string `json:"contentType"`
	// ReviewedSHA256 is the content the file's reviewers last voted on when it differs from
	// SHA256 (the file was updated since a review), else null; "changes" compares them.
	ReviewedSHA256 *string `json:"reviewedSha256"`
	// Warnings counts the stored copy's disclosure-check warnings (null: never counted).
	Warnings *Warnings `json:"warnings"`
	// Acknowledgements are the notes on approvals of this file the caller may see
	// (airlock.VisibleAcknowledgements).
	Acknowledgements []Acknowledgement `json:"acknowledgements"`
	// Actions are the file-level operations: vote, approve (voting APPROVED; its
	// acknowledge says why a note is needed), resetVote, withdraw, update, changeType
	// (output ↔ supporting), move (to another group, keeping the type), download, changes
	// (see what changed since the review).
	Actions airlock.Actions `json:"actions"`
}

// Comment is one comment the caller may see.
type Comment struct {
	ID     string `json:"id"`
	Author string `json:"author"`
	Text   string `json:"text"`
	// HTML is Text rendered from markdown, safe to insert (see RenderMarkdown).
	HTML       string             `json:"html"`
	Visibility airlock.Visibility `json:"visibility"`
	Turn       int                `json:"turn"`
	CreatedAt  time.Time          `json:"createdAt"`
	// Blinded: only its writer sees it until the independent reviews are complete.
	Blinded    bool `json:"blinded"`
	CanDelete  bool `json:"canDelete"`
	CanPublish bool `json:"canPublish"`
}

// CommentOutput is the answer of adding a comment.
type CommentOutput struct {
	Comment Comment `json:"comment"`
}

// Upload counts a request's released and uploaded output files.
type Upload struct {
	Released int `json:"released"`
	Uploaded int `json:"uploaded"`
}

// RequestSummary is one line of a request list.
type RequestSummary struct {
	ID              string         `json:"id"`
	Workspace       string         `json:"workspace"`
	Author          string         `json:"author"`
	Status          airlock.Status `json:"status"`
	Turn            int            `json:"turn"`
	CreatedAt       time.Time      `json:"createdAt"`
	LastSubmittedAt *time.Time     `json:"lastSubmittedAt"`
	OutputFiles     int            `json:"outputFiles"`
	MyReview        *MyReview      `json:"myReview"`
	// Project and Orgs as on Request (an extension).
	Project string   `json:"project"`
	Orgs    []string `json:"orgs"`
	// Warnings adds up the output files' warning counts; BlockFiles counts the output files
	// with a BLOCK warning, UncountedFiles those never counted (extensions).
	Warnings       Warnings `json:"warnings"`
	BlockFiles     int      `json:"blockFiles"`
	UncountedFiles int      `json:"uncountedFiles"`
	// ReviewList (an extension) is the list of the reviews page the request belongs to:
	// OUTSTANDING, RETURNED, APPROVED, or "" for none.
	ReviewList string `json:"reviewList"`
}

// MyReview is the caller's progress reviewing a request.
type MyReview struct {
	Voted     int  `json:"voted"`
	Submitted bool `json:"submitted"`
}

// RequestList is the answer of GET /requests.
type RequestList struct {
	Requests []RequestSummary `json:"requests"`
}

// AuditEvent is one audit log entry.
type AuditEvent struct {
	ID        int64             `json:"id"`
	Type      airlock.AuditType `json:"type"`
	User      string            `json:"user"`
	Workspace string            `json:"workspace"`
	Request   string            `json:"request"`
	Path      string            `json:"path"`
	Extra     map[string]string `json:"extra"`
	CreatedAt time.Time         `json:"createdAt"`
	// Description is the human label of Type ("Submitted request").
	Description string `json:"description"`
}

// Events is the answer of the activity and audit routes.
type Events struct {
	Events []AuditEvent `json:"events"`
}

// ---------------------------------------------------------------------------------------
// Converters

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func fromProject(p airlock.Project) Project {
	orgs := p.Orgs
	if orgs == nil {
		orgs = []string{}
	}
	return Project{Name: p.Name, Ongoing: p.Ongoing, Orgs: slices.Clone(orgs)}
}

// orgsOf is a copy of orgs, never null in JSON.
func orgsOf(orgs []string) []string {
	if orgs == nil {
		return []string{}
	}
	return slices.Clone(orgs)
}

func fromGrants(m map[string]airlock.WorkspaceGrant) map[string]Grant {
	out := make(map[string]Grant, len(m))
	for name, g := range m {
		out[name] = Grant{Project: fromProject(g.Project), Archived: g.Archived}
	}
	return out
}

// FromUser is the API's User.
func FromUser(u airlock.User) User {
	return User{
		Username: u.Username, Fullname: u.Fullname, OutputChecker: u.OutputChecker,
		ReadonlyAccess: u.ReadonlyAccess, Workspaces: fromGrants(u.Workspaces),
		CopilotedWorkspaces: fromGrants(u.CopilotedWorkspaces),
		Actions:             airlock.UserActions(u),
	}
}

// FromWorkspaceSummary is the API's WorkspaceSummary.
func FromWorkspaceSummary(s service.WorkspaceSummary) WorkspaceSummary {
	return WorkspaceSummary{
		Name: s.Name, Project: fromProject(s.Project), Archived: s.Archived, Active: s.Active,
		Access: s.Access, CanCreateRequest: s.CanCreateRequest, CreateRequest: s.CreateRequest,
		CurrentRequestID: s.CurrentRequestID,
		ManifestHash:     s.ManifestHash,
		Actions:          s.Actions,
	}
}

// FromWorkspaceSummaries is the answer of GET /workspaces.
func FromWorkspaceSummaries(ss []service.WorkspaceSummary) WorkspaceList {
	out := WorkspaceList{Workspaces: make([]WorkspaceSummary, 0, len(ss))}
	for _, s := range ss {
		out.Workspaces = append(out.Workspaces, FromWorkspaceSummary(s))
	}
	return out
}

func fileEntry(f airlock.WorkspaceFile, name string, st airlock.WorkspaceFileStatus, allowed bool) Entry {
	e := Entry{Name: name, Path: f.Path, Kind: KindFile, Size: f.Size, Status: st, AllowedType: allowed, OutOfDate: f.OutOfDate}
	if !f.ModifiedAt.IsZero() {
		m := f.ModifiedAt.UTC()
		e.ModifiedAt = &m
	}
	return e
}

// FromTree is one directory level.
func FromTree(dir string, items []service.TreeItem) Tree {
	out := Tree{Path: dir, Entries: make([]Entry, 0, len(items))}
	for _, it := range items {
		if it.Dir {
			out.Entries = append(out.Entries, Entry{Name: it.Name, Path: it.Path, Kind: KindDir})
			continue
		}
		e := fileEntry(it.File, it.Name, it.Status, it.AllowedType)
		e.Actions = TreeFileActions{
			Add: it.Actions[airlock.ActionAdd], AddOutput: it.Actions[airlock.ActionAddOutput],
			AddSupporting: it.Actions[airlock.ActionAddSupporting], Update: it.Actions[airlock.ActionUpdate],
		}
		e.AddFileType = it.AddFileType
		e.Warnings, e.WarningsPending = fromWarningsPtr(it.Warnings), it.WarningsPending
		out.Entries = append(out.Entries, e)
	}
	return out
}

// FromFileDetail is the detail of one workspace file.
func FromFileDetail(d service.WorkspaceFileDetail) FileDetail {
	out := FileDetail{
		Entry:       fileEntry(d.File, baseName(d.File.Path), d.Status, d.AllowedType),
		SHA256:      d.File.ContentHash,
		ContentType: render.ContentType(d.File.Path),
		Actions:     maps.Clone(d.Actions),
	}
	if out.Actions == nil {
		out.Actions = airlock.Actions{}
	}
	out.AddFileType = d.AddFileType
	if d.Request != nil {
		out.Request = &FileOnRequest{ID: d.Request.ID, Group: d.Request.Group, FileType: d.Request.FileType}
	}
	if p := d.ProducedBy; p != nil {
		out.ProducedBy = &ProducedBy{
			Action: p.Action, JobID: p.JobID, JobRequest: p.JobRequest, Commit: p.Commit, Repo: p.Repo, User: p.User,
			CodeURL: p.CodeURL,
		}
	}
	return out
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// FromRequestView is the Request as v.Viewer may see it: comments filtered with
// airlock.CommentVisible, decisions by airlock.DecisionFor, only the viewer's own votes,
// and the actions computed by the domain rules.
func FromRequestView(v service.RequestView) Request {
	// The rules look files up by relpath, file by file: an indexed copy makes that O(1).
	v.Request = v.Request.Indexed()
	r, u, p := v.Request, v.Viewer, v.Policy
	out := Request{
		ID: r.ID, Workspace: r.Workspace, Author: r.Author, Status: r.Status, Turn: r.ReviewTurn,
		Phase: r.Status.Phase(), CreatedAt: utc(r.CreatedAt), LastSubmittedAt: utcPtr(r.LastSubmittedAt),
		Project: r.Project, Orgs: orgsOf(r.Organisations),
		SubmittedReviewers: airlock.VisibleSubmittedReviewers(u, r), Groups: make([]Group, 0, len(r.Groups)),
		Reviews:             ReviewCount(airlock.ReviewsSubmitted(r)),
		Actions:             airlock.RequestActions(u, r, p),
		NextStep:            airlock.NextStep(u, r, p),
		CommentVisibilities: slices.Clone(airlock.WritableVisibilities(u, r)),
	}
	if out.CommentVisibilities == nil {
		out.CommentVisibilities = []airlock.Visibility{}
	}
	// "download" is a rule of the request, not of the file: checked once for every file.
	download := airlock.DownloadAction(u, r)
	for _, g := range r.Groups {
		og := Group{Name: g.Name, Context: g.Context, Controls: g.Controls, Files: make([]File, 0, len(g.Files)), Comments: []Comment{}}
		for _, f := range g.Files {
			og.Files = append(og.Files, fromFile(v, f, download))
			if f.FileType == airlock.FileTypeOutput && f.ReleasedAt != nil {
				out.Upload.Released++
				if f.Uploaded {
					out.Upload.Uploaded++
				}
			}
		}
		for _, c := range g.Comments {
			if airlock.CommentVisible(u, r, c) {
				og.Comments = append(og.Comments, FromComment(u, r, c))
			}
		}
		out.Groups = append(out.Groups, og)
	}
	return out
}

// fromFile is f as v's viewer sees it; download is the request's "download" action.
func fromFile(v service.RequestView, f *airlock.RequestFile, download airlock.ActionState) File {
	r, u, p := v.Request, v.Viewer, v.Policy
	st := v.WorkspaceStatus[f.RelPath]
	of := File{
		Path: f.RelPath, FileType: f.FileType, SHA256: f.FileID, Size: f.Size,
		Decision:        airlock.DecisionIncomplete,
		WorkspaceStatus: st, Released: f.ReleasedAt != nil, Uploaded: f.Uploaded,
		UploadAttempts: f.UploadAttempts, UploadError: f.UploadError,
		ContentType: render.ContentType(f.RelPath),
		Warnings:    fromWarningsPtr(f.Warnings), Acknowledgements: []Acknowledgement{},
	}
	for _, a := range airlock.VisibleAcknowledgements(u, r, f) {
		of.Acknowledgements = append(of.Acknowledgements, Acknowledgement{Reviewer: a.Reviewer, Note: a.Note, Turn: a.Turn})
	}
	if f.FileType == airlock.FileTypeOutput {
		of.Decision = airlock.DecisionFor(u, r, f, p)
		if rv := f.Vote(u.Username); rv != nil {
			vote := rv.Status
			of.MyVote = &vote
		}
	}
	size, known := v.WorkspaceSize[f.RelPath]
	of.Actions = airlock.RequestFileActions(u, r, f, airlock.FileOnDisk{Status: st, Size: size, SizeKnown: known}, download, p)
	if of.Actions[airlock.ActionChanges].Allowed {
		reviewed := f.ReviewedFileID
		of.ReviewedSHA256 = &reviewed
	}
	return of
}

// FromComment is one comment as u sees it (the caller has checked it is visible).
func FromComment(u airlock.User, r *airlock.ReleaseRequest, c *airlock.Comment) Comment {
	return Comment{
		ID: c.ID, Author: c.Author, Text: c.Text, HTML: RenderMarkdown(c.Text),
		Visibility: c.Visibility, Turn: c.ReviewTurn, CreatedAt: utc(c.CreatedAt),
		Blinded:    airlock.IsBlinded(r, c),
		CanDelete:  airlock.CanDeleteComment(u, r, c.ID),
		CanPublish: airlock.CanPublishComment(u, r, c.ID),
	}
}

// FromRequestSummaries is the answer of GET /requests.
func FromRequestSummaries(ss []service.RequestSummary) RequestList {
	out := RequestList{Requests: make([]RequestSummary, 0, len(ss))}
	for _, s := range ss {
		rs := RequestSummary{
			ID: s.ID, Workspace: s.Workspace, Author: s.Author, Status: s.Status, Turn: s.Turn,
			CreatedAt: utc(s.CreatedAt), LastSubmittedAt: utcPtr(s.LastSubmittedAt), OutputFiles: s.OutputFiles,
			Project: s.Project, Orgs: orgsOf(s.Orgs),
			Warnings: fromWarnings(s.Warnings), BlockFiles: s.BlockFiles, UncountedFiles: s.UncountedFiles,
			ReviewList: s.Status.ReviewList(),
		}
		if s.MyReview != nil {
			rs.MyReview = &MyReview{Voted: s.MyReview.Voted, Submitted: s.MyReview.Submitted}
		}
		out.Requests = append(out.Requests, rs)
	}
	return out
}

// FromAuditEvents is the answer of the activity and audit routes. The events are already
// filtered by the service (airlock.AuditEventVisible for a request's activity; output
// checkers only for the audit log).
func FromAuditEvents(evs []airlock.AuditEvent) Events {
	out := Events{Events: make([]AuditEvent, 0, len(evs))}
	for _, ev := range evs {
		extra := maps.Clone(ev.Extra)
		if extra == nil {
			extra = map[string]string{}
		}
		out.Events = append(out.Events, AuditEvent{
			ID: ev.ID, Type: ev.Type, User: ev.User, Workspace: ev.Workspace, Request: ev.Request,
			Path: ev.Path, Extra: extra, CreatedAt: utc(ev.CreatedAt), Description: airlock.AuditDescription(ev.Type),
		})
	}
	return out
}

// FromNewComment is a comment just added by its author, for the add answer. Its blinded,
// canDelete and canPublish flags need the whole request: they are false here and given by
// the request view.
func FromNewComment(c *airlock.Comment) Comment {
	return Comment{
		ID: c.ID, Author: c.Author, Text: c.Text, HTML: RenderMarkdown(c.Text),
		Visibility: c.Visibility, Turn: c.ReviewTurn, CreatedAt: utc(c.CreatedAt),
	}
}
