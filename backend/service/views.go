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
	ID              string         `json:"id"`
	Workspace       string         `json:"workspace"`
	Author          string         `json:"author"`
	Status          airlock.Status `json:"status"`
	Turn            int            `json:"turn"`
	CreatedAt       time.Time      `json:"createdAt"`
	LastSubmittedAt *time.Time     `json:"lastSubmittedAt"`
	OutputFiles     int            `json:"outputFiles"`
	// Project and Orgs are the workspace's project and organisations, recorded when the
	// request was created.
	Project string   `json:"project"`
	Orgs    []string `json:"orgs"`
	// Warnings adds up the warning counts of the output files; BlockFiles counts those with
	// a BLOCK warning and UncountedFiles those never counted.
	Warnings       airlock.WarningCounts `json:"-"`
	BlockFiles     int                   `json:"-"`
	UncountedFiles int                   `json:"-"`
	// MyReview is set for users who may review the request.
	MyReview *MyReview `json:"myReview"`
	// Request is the aggregate without its comments, for callers that need more (never
	// serialised).
	Request *airlock.ReleaseRequest `json:"-"`
}

// MyReview is the viewer's progress reviewing a request.
type MyReview struct {
	// Voted counts the output files the viewer voted APPROVED or CHANGES_REQUESTED on.
	Voted     int  `json:"voted"`
	Submitted bool `json:"submitted"`
}

// FileSpec is one file to add to a request.
type FileSpec struct {
	Path     string           `json:"path"`
	FileType airlock.FileType `json:"fileType"`
}

// WorkspaceSummary is a workspace as one user sees it.
type WorkspaceSummary struct {
	Name     string          `json:"name"`
	Project  airlock.Project `json:"project"`
	Archived bool            `json:"archived"`
	Active   bool            `json:"active"`
	// Access is ROLE, COPILOT, CHECKER or READONLY.
	Access           string `json:"access"`
	CanCreateRequest bool   `json:"canCreateRequest"`
	// CreateRequest says whether u may start a request here, and why not (the domain's reason).
	CreateRequest    airlock.ActionState `json:"createRequest"`
	CurrentRequestID *string             `json:"currentRequestId"`
	// ManifestHash is set by GetWorkspace only.
	ManifestHash string `json:"manifestHash,omitempty"`
	// Actions (airlock.WorkspaceActions) is set by GetWorkspace only.
	Actions airlock.Actions `json:"actions,omitempty"`
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
	ID       string           `json:"id"`
	Group    string           `json:"group"`
	FileType airlock.FileType `json:"fileType"`
}
