package airlock

import "time"

// Status is the status of a release request.
type Status string

const (
	StatusPending           Status = "PENDING"
	StatusSubmitted         Status = "SUBMITTED"
	StatusPartiallyReviewed Status = "PARTIALLY_REVIEWED"
	StatusReviewed          Status = "REVIEWED"
	StatusReturned          Status = "RETURNED"
	StatusApproved          Status = "APPROVED"
	StatusRejected          Status = "REJECTED"
	StatusReleased          Status = "RELEASED"
	StatusWithdrawn         Status = "WITHDRAWN"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{
	StatusPending, StatusSubmitted, StatusPartiallyReviewed, StatusReviewed, StatusReturned,
	StatusApproved, StatusRejected, StatusReleased, StatusWithdrawn,
}

// Owner says who acts on a request in a given status.
type Owner string

const (
	OwnerAuthor   Owner = "AUTHOR"
	OwnerReviewer Owner = "REVIEWER"
	OwnerSystem   Owner = "SYSTEM"
)

// Phase drives what each viewer may see of the current turn.
type Phase string

const (
	PhaseAuthor        Phase = "AUTHOR"
	PhaseIndependent   Phase = "INDEPENDENT"
	PhaseConsolidating Phase = "CONSOLIDATING"
	PhaseComplete      Phase = "COMPLETE"
)

// FileType is the role of a file on a request.
type FileType string

const (
	FileTypeOutput     FileType = "OUTPUT"
	FileTypeSupporting FileType = "SUPPORTING"
	FileTypeWithdrawn  FileType = "WITHDRAWN"
)

// Vote is one reviewer's opinion on one output file.
type Vote string

const (
	VoteApproved         Vote = "APPROVED"
	VoteChangesRequested Vote = "CHANGES_REQUESTED"
	VoteUndecided        Vote = "UNDECIDED"
)

// Decision combines the votes of the reviewers whose reviews count.
type Decision string

const (
	DecisionIncomplete       Decision = "INCOMPLETE"
	DecisionApproved         Decision = "APPROVED"
	DecisionChangesRequested Decision = "CHANGES_REQUESTED"
	DecisionConflicted       Decision = "CONFLICTED"
)

// Visibility of a comment or audit event.
type Visibility string

const (
	VisibilityPublic  Visibility = "PUBLIC"
	VisibilityPrivate Visibility = "PRIVATE"
)

// DefaultGroup is the group name used when none is given.
const DefaultGroup = "default"

// ReleaseRequest is the request aggregate: the request row with its groups, files, votes
// and comments. Loaded whole, so rules can be evaluated on one consistent value.
type ReleaseRequest struct {
	ID              string
	Workspace       string
	Project         string
	Organisations   []string
	Author          string
	Status          Status
	CreatedAt       time.Time
	LastSubmittedAt *time.Time
	// SubmittedReviews holds the reviewers who submitted a review in the current turn.
	SubmittedReviews map[string]time.Time
	ReviewTurn       int
	// TurnReviewers holds the reviewers who had submitted in the previous turn.
	TurnReviewers []string
	// Groups in creation order.
	Groups []*FileGroup
	// ReleaseID is the id job-server returned for this request's release, if any.
	ReleaseID string

	// fileIndex, set only on the read-only copies Indexed makes, maps each relpath to its
	// file for File.
	fileIndex map[string]*RequestFile
}

// FileGroup is a named bucket of request files with shared context, controls and comments.
type FileGroup struct {
	Name      string
	Context   string
	Controls  string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Files in the order they were added.
	Files []*RequestFile
	// Comments oldest first.
	Comments []*Comment
}

// RequestFile is one file on a request: a copy of a workspace file at the time it was added.
type RequestFile struct {
	RelPath  string
	Group    string
	FileType FileType
	// FileID is the SHA-256 of the stored copy (also its blob name).
	FileID    string
	Size      int64
	Timestamp time.Time
	JobID     string
	Commit    string
	Repo      string
	RowCount  *int
	ColCount  *int
	// ReviewedFileID is the content (a stored copy of the same request) the file's reviewers
	// last voted on, kept when the votes were reset: "" when no version was reviewed
	// before. See ReviewedContent.
	ReviewedFileID string
	// Warnings counts the disclosure-check warnings of the stored copy, counted when it was
	// added or updated; nil when never counted (files added before counting existed).
	Warnings *WarningCounts
	// Reviews keyed by reviewer username.
	Reviews map[string]*FileReview

	ReleasedAt        *time.Time
	ReleasedBy        string
	Uploaded          bool
	UploadedAt        *time.Time
	UploadAttempts    int
	UploadAttemptedAt *time.Time
	UploadError       string
}

// FileReview is one reviewer's vote on one file.
type FileReview struct {
	Reviewer   string
	Status     Vote
	ReviewTurn int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Acknowledgement is the reviewer's note on approving a file with BLOCK warnings ("" for
	// other votes).
	Acknowledgement string
}

// Comment is a markdown comment on a group.
type Comment struct {
	ID         string
	Author     string
	Text       string
	Visibility Visibility
	ReviewTurn int
	CreatedAt  time.Time
}

// RequestVersion says which state of a request the database holds (declared here so that
// the store and the service share it): counters the database moves on every change,
// whichever process writes it.
type RequestVersion struct {
	// Request moves with every change to the request: its row, groups, files, votes and
	// comments.
	Request int64
	// Comments moves with every change to its comments only; CommentEdits only when a
	// comment is changed or deleted (not when one is added).
	Comments     int64
	CommentEdits int64
	// Releases moves with every release of any request's file (workspace statuses follow
	// what was released).
	Releases int64
}

// RequestFilter selects requests. Zero fields do not filter.
type RequestFilter struct {
	Workspace string
	Author    string
	Statuses  []Status
	// ExcludeAuthor drops requests authored by this user (a checker's review queue).
	ExcludeAuthor string
	// WithoutComments loads the requests without their comments (request lists never show
	// them, and a discussion can be long).
	WithoutComments bool
}
