package airlock

import (
	"strings"
	"time"
)

// WorkspaceFileStatus is the status of a workspace file for one viewing user (docs/reference/domain.md §2.6).
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
	OutOfDate bool
	// Manifest is what the workspace's job-runner manifest says of the file (ManifestNone in
	// a workspace without one).
	Manifest ManifestListing
	// JobID, JobRequest, Action, Commit, Repo and User are the manifest's record of what
	// produced the output (its provenance); empty without a manifest entry.
	JobID      string
	JobRequest string
	Action     string
	Commit     string
	Repo       string
	User       string
	RowCount   *int
	ColCount   *int
}

// ManifestListing is what a workspace's job-runner manifest (metadata/manifest.json) says
// of one file of the workspace.
type ManifestListing string

const (
	// ManifestNone: the workspace has no manifest; its files are described by the file
	// system (docs/decisions.md §11).
	ManifestNone ManifestListing = ""
	// ManifestOutput: the manifest lists the file as an output, not excluded.
	ManifestOutput ManifestListing = "OUTPUT"
	// ManifestExcludedNotice: the file is job-runner's notice "<output>.txt", written in
	// place of an output the manifest marks excluded (the output itself never reaches the
	// workspace).
	ManifestExcludedNotice ManifestListing = "EXCLUDED_NOTICE"
	// ManifestUnlisted: the manifest has no entry for the file: the metadata folder (job
	// logs, the manifest itself) or a file on disk that no job declared.
	ManifestUnlisted ManifestListing = "UNLISTED"
)

// CheckListedInManifest: in a workspace with a job-runner manifest only the outputs the
// manifest lists, not excluded, can go on a request (docs/reference/domain.md §4.4.2: a path
// without a manifest entry is a ManifestFileError; §2.3: an excluded output is shown only
// as job-runner's ".txt" notice). Workspaces without a manifest are not concerned.
func CheckListedInManifest(f WorkspaceFile) error {
	switch f.Manifest {
	case ManifestNone, ManifestOutput:
		return nil
	case ManifestExcludedNotice:
		return Errorf(CodeInvalid, "No entry for %s in the workspace's manifest.json: it is job-runner's notice "+
			"that the output %s was excluded, not an output, and cannot be added to a request", f.Path, strings.TrimSuffix(f.Path, ".txt"))
	}
	if strings.HasPrefix(f.Path, "metadata/") {
		return Errorf(CodeInvalid, "No entry for %s in the workspace's manifest.json: job logs and other metadata files "+
			"are not outputs and cannot be added to a request", f.Path)
	}
	return Errorf(CodeInvalid, "No entry for %s in the workspace's manifest.json: only outputs the manifest lists "+
		"can be added to a request", f.Path)
}

// TreeEntry is one entry of one directory level of a workspace tree.
type TreeEntry struct {
	Name string
	Path string
	Dir  bool
	File WorkspaceFile // only for files
}
