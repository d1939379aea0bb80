package airlock

import "time"

// WorkspaceFileStatus is the status of a workspace file for one viewing user (§2.6).
type WorkspaceFileStatus string

const (
	WorkspaceUnreleased  WorkspaceFileStatus = "UNRELEASED"
	WorkspaceUnderReview WorkspaceFileStatus = "UNDER_REVIEW"
	WorkspaceUpdated     WorkspaceFileStatus = "UPDATED"
	WorkspaceReleased    WorkspaceFileStatus = "RELEASED"
	WorkspaceWithdrawn   WorkspaceFileStatus = "WITHDRAWN"
	WorkspaceInvalid     WorkspaceFileStatus = "INVALID"
)

// WorkspaceFile is what a workspace knows of one visible file: from the job-runner manifest
// when there is one, else from the file system (docs/decisions.md §11).
type WorkspaceFile struct {
	Path       string // workspace-relative POSIX path
	Size       int64
	ModifiedAt time.Time
	// ContentHash is the SHA-256 hex of the content ("" when not yet known).
	ContentHash string
	// OutOfDate is set for outputs of actions no longer in the project (out_of_date_action).
	OutOfDate  bool
	InManifest bool
	JobID      string
	Commit     string
	Repo       string
	RowCount   *int
	ColCount   *int
}

// TreeEntry is one entry of one directory level of a workspace tree.
type TreeEntry struct {
	Name string
	Path string
	Dir  bool
	File WorkspaceFile // only for files
}
