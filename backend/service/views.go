package service

import (
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// RequestView is a request as one viewer sees it. The contract package turns it into the
// API's JSON, filtering comments and decisions with the airlock visibility rules and
// computing the actions block with airlock.RequestActions.
type RequestView struct {
	// Request is for reading only: it is the view cache's aggregate, shared by every view
	// of the same state of the request (viewcache.go).
	Request *airlock.ReleaseRequest
	Viewer  airlock.User
	Policy  airlock.Policy
	// WorkspaceStatus maps each file's relpath to the status of the workspace file as the
	// request's author sees it (UNDER_REVIEW, UPDATED, WITHDRAWN, RELEASED, INVALID, ...).
	WorkspaceStatus map[string]airlock.WorkspaceFileStatus
	// WorkspaceSize maps each relpath that is still a visible workspace file to the size of
	// its current workspace content (what "update" would copy).
	WorkspaceSize map[string]int64
}

// RequestQuery selects requests for ListRequests.
type RequestQuery struct {
	Workspace string
	Statuses  []airlock.Status
	// Scope is "" (every request the user may view), "mine" (authored by the user) or
	// "review" (output checkers: requests they may review).
	Scope string
	// Org, when set, keeps the requests whose project has this organisation.
	Org string
}

// Request list scopes.
const (
	ScopeAll    = ""
	ScopeMine   = "mine"
	ScopeReview = "review"
)

// RequestSummary is one line of a request list.
type RequestSummary struct {
	ID              string
	Workspace       string
	Author          string
	Status          airlock.Status
	Turn            int
	CreatedAt       time.Time
	LastSubmittedAt *time.Time
	OutputFiles     int
	// Project and Orgs are the workspace's project and organisations, recorded when the
	// request was created.
	Project string
	Orgs    []string
	// Warnings adds up the warning counts of the output files; BlockFiles counts those with
	// a BLOCK warning and UncountedFiles those never counted.
	Warnings       airlock.WarningCounts
	BlockFiles     int
	UncountedFiles int
	// MyReview is set for users who may review the request.
	MyReview *MyReview
	// Request is the aggregate without its comments, for callers that need more (the
	// contract's RequestSummary leaves it out).
	Request *airlock.ReleaseRequest
}

// MyReview is the viewer's progress reviewing a request.
type MyReview struct {
	// Voted counts the output files the viewer voted APPROVED or CHANGES_REQUESTED on.
	Voted     int
	Submitted bool
}

// FileSpec is one file to add to a request.
type FileSpec struct {
	Path     string
	FileType airlock.FileType
}

// WorkspaceSummary is a workspace as one user sees it.
type WorkspaceSummary struct {
	Name     string
	Project  airlock.Project
	Archived bool
	Active   bool
	// Access is ROLE, COPILOT, CHECKER or READONLY.
	Access           string
	CanCreateRequest bool
	// CreateRequest says whether u may start a request here, and why not (the domain's reason).
	CreateRequest    airlock.ActionState
	CurrentRequestID *string
	// ManifestHash is set by GetWorkspace only.
	ManifestHash string
	// Actions (airlock.WorkspaceActions) is set by GetWorkspace only.
	Actions airlock.Actions
}

// TreeItem is one entry of a workspace directory listing with the viewer's status.
type TreeItem struct {
	airlock.TreeEntry
	// Status is the workspace file status for the viewer ("" for directories).
	Status      airlock.WorkspaceFileStatus
	AllowedType bool
	// Actions is, for files, what the viewer may do with the file
	// (airlock.WorkspaceFileActions); AddFileType the type it is added as by default.
	Actions     airlock.Actions
	AddFileType airlock.FileType
	// Warnings counts the file's disclosure-check warnings: nil for directories, files
	// without checks and files still being counted (WarningsPending).
	Warnings        *airlock.WarningCounts
	WarningsPending bool
}

// WorkspaceFileDetail is one workspace file as the viewer sees it, with what they can do.
type WorkspaceFileDetail struct {
	File        airlock.WorkspaceFile
	Status      airlock.WorkspaceFileStatus
	AllowedType bool
	// Request is the file on the viewer's current request, or nil.
	Request *FileOnRequest
	// ProducedBy is the manifest's record of what produced the file, or nil without one.
	ProducedBy *Provenance
	// Actions holds "add" and "update" (plus "addOutput" and "addSupporting": whether the
	// file may be added with that type), from airlock.WorkspaceFileActions; AddFileType is
	// the type it is added as by default.
	Actions     airlock.Actions
	AddFileType airlock.FileType
}

// FileOnRequest says where a workspace file is on the viewer's current request.
type FileOnRequest struct {
	ID       string
	Group    string
	FileType airlock.FileType
}
