package service

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// Store is the persistence port, implemented by store/sqlite and store/postgres (both run
// the contract suite backend/store/storetest). Every state change happens
// inside InTx; a Tx sees a consistent snapshot and commits or rolls back as a whole.
type Store interface {
	// InTx runs fn in one immediate write transaction.
	InTx(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
}

// RequestFilter selects requests (declared in airlock so adapters need not import service).
type RequestFilter = airlock.RequestFilter

// Tx is one transaction. Mutations that users can see take the audit event that records
// them, written in the same transaction (the few exceptions are internal bookkeeping).
// Reads return *airlock.Error with CodeNotFound for unknown ids.
//
// Tx is an alias of an interface literal (not a defined type) so that store/sqlite, which
// spells out the same literal as sqlite.TxPort, satisfies Store without importing service
// (dependencies point inward). Its tests assert the two stay identical.
type Tx = interface {
	// Requests (whole aggregates: groups, files, votes, comments).
	GetRequest(ctx context.Context, id string) (*airlock.ReleaseRequest, error)
	// GetRequestForUpload loads a partial aggregate for the upload bookkeeping: the request
	// row and groups with only file relpath and at most one other released file not yet
	// uploaded — enough for airlock.CheckCanUpload and airlock.AllUploaded.
	GetRequestForUpload(ctx context.Context, id, relpath string) (*airlock.ReleaseRequest, error)
	// GetRequestWithoutComments loads the aggregate without comments: enough for the rules
	// of votes and new comments (airlock.CheckCanVote, CheckCanResetVote, CheckCanComment).
	GetRequestWithoutComments(ctx context.Context, id string) (*airlock.ReleaseRequest, error)
	// RequestVersion returns request id's change counters: they move whenever anything a
	// view of the request shows from the database may have changed, whichever process
	// wrote it.
	RequestVersion(ctx context.Context, id string) (airlock.RequestVersion, error)
	// FindCurrentRequest returns the author's active request for the workspace, without its
	// comments, or nil.
	FindCurrentRequest(ctx context.Context, workspace, author string) (*airlock.ReleaseRequest, error)
	// CurrentRequestID returns the id of the author's active request for the workspace, or "".
	CurrentRequestID(ctx context.Context, workspace, author string) (string, error)
	ListRequests(ctx context.Context, f RequestFilter) ([]*airlock.ReleaseRequest, error)
	// WorkspaceProjects maps each workspace with a request to the project (name and
	// organisations) recorded on its most recent request that has one.
	WorkspaceProjects(ctx context.Context) (map[string]airlock.Project, error)
	InsertRequest(ctx context.Context, r *airlock.ReleaseRequest, ev airlock.AuditEvent) error
	// UpdateRequest saves status, turn, last submitted time, submitted reviews, turn
	// reviewers and release id.
	UpdateRequest(ctx context.Context, r *airlock.ReleaseRequest, ev airlock.AuditEvent) error

	// UpsertGroup creates a group or saves its context and controls.
	UpsertGroup(ctx context.Context, requestID string, g *airlock.FileGroup, ev airlock.AuditEvent) error

	InsertFile(ctx context.Context, requestID string, f *airlock.RequestFile, ev airlock.AuditEvent) error
	// UpdateFile saves group, file type, content fields and release/upload fields.
	UpdateFile(ctx context.Context, requestID string, f *airlock.RequestFile, ev airlock.AuditEvent) error
	// DeleteFile removes a file and its votes (the withdraw audit is written by the caller).
	DeleteFile(ctx context.Context, requestID, relpath string) error
	// RecordUploadAttempt counts an attempt before it is made, and stores the last error.
	RecordUploadAttempt(ctx context.Context, requestID, relpath string, at time.Time, lastError string) error

	UpsertReview(ctx context.Context, requestID, relpath string, rv *airlock.FileReview, ev airlock.AuditEvent) error
	DeleteReview(ctx context.Context, requestID, relpath, reviewer string, ev airlock.AuditEvent) error

	// CommentsAfter returns request id's comments with an id above after, by group,
	// oldest first: those added since a reader's newest (comment ids only grow).
	CommentsAfter(ctx context.Context, requestID string, after int64) (map[string][]*airlock.Comment, error)
	// InsertComment stores c and sets c.ID.
	InsertComment(ctx context.Context, requestID, group string, c *airlock.Comment, ev airlock.AuditEvent) error
	DeleteComment(ctx context.Context, requestID, commentID string, ev airlock.AuditEvent) error
	SetCommentVisibility(ctx context.Context, requestID, commentID string, v airlock.Visibility, ev airlock.AuditEvent) error

	// AppendAudit writes one audit event (hash-chained).
	AppendAudit(ctx context.Context, ev airlock.AuditEvent) error
	// HideAuditEventsForTurn hides a request's events of one turn (early return).
	HideAuditEventsForTurn(ctx context.Context, requestID string, turn int) error
	// ListAudit returns events newest first.
	ListAudit(ctx context.Context, f airlock.AuditFilter) ([]airlock.AuditEvent, error)

	// ReleasedFileIDs returns the content hashes of every released file of a workspace.
	ReleasedFileIDs(ctx context.Context, workspace string) (map[string]bool, error)
	// PendingUploads returns requests with released files not yet uploaded.
	PendingUploads(ctx context.Context) ([]*airlock.ReleaseRequest, error)

	// Users: the cache of job-server user records.
	UpsertUser(ctx context.Context, u airlock.User, refreshedAt time.Time) error
	GetUser(ctx context.Context, username string) (airlock.User, time.Time, error)

	// The notification outbox (docs/operations.md, "Uploads and notifications").
	// EnqueueNotification queues q in the status change's own transaction and sets q.ID
	// (the commit order).
	EnqueueNotification(ctx context.Context, q *airlock.QueuedNotification) error
	// NotificationQueue returns at most limit notifications that may be worked on next, in
	// commit order: pending or sending, with no earlier one of their request pending or
	// sending.
	NotificationQueue(ctx context.Context, limit int) ([]airlock.QueuedNotification, error)
	// LockNotification reads notification id to change it in this transaction; ok is false
	// when there is none or (PostgreSQL) another transaction holds it.
	LockNotification(ctx context.Context, id int64) (q airlock.QueuedNotification, ok bool, err error)
	// UpdateNotification saves q's state, claim, attempts, finish time and last error.
	UpdateNotification(ctx context.Context, q airlock.QueuedNotification) error
	// ListNotifications returns request id's notifications (every request's for ""), in
	// commit order.
	ListNotifications(ctx context.Context, requestID string) ([]airlock.QueuedNotification, error)
	// CountNotifications counts the notifications in each state.
	CountNotifications(ctx context.Context) (map[airlock.NotificationState]int, error)
}

// Workspaces is the read-only view of workspace folders, implemented by backend/workspace.
// Paths are workspace-relative POSIX paths; anything resolving outside the workspace, or not
// a visible file, is a CodeNotFound error and is never read.
type Workspaces interface {
	// Names lists the workspace folders.
	Names() ([]string, error)
	// Exists reports whether a workspace folder exists.
	Exists(ws string) bool
	// ManifestHash changes whenever the set of outputs changes.
	ManifestHash(ws string) (string, error)
	// List returns one directory level ("" is the root), sorted as the tree is shown.
	List(ws, dir string, includeOutOfDate bool) ([]airlock.TreeEntry, error)
	// Stat returns a visible file's metadata with its content hash.
	Stat(ws, path string) (airlock.WorkspaceFile, error)
	// Open opens a visible file for reading.
	Open(ws, path string) (io.ReadSeekCloser, error)
	// StatUnlisted returns a file on disk at path of a workspace with a manifest that does not
	// list it (not a visible file; never read), and whether there is one, so that adding it
	// can be refused with the reason (airlock.CheckListedInManifest).
	StatUnlisted(ws, path string) (airlock.WorkspaceFile, bool)
}

// Files is the content-addressed store of request file copies, implemented by
// backend/filestore. The service never removes a copy by its name: a copy is shared by every
// add of the same content to the request, on every server of a shared data folder, so only
// the recovery sweep removes one (FileSweeper), once it is old and unreferenced.
type Files interface {
	// Put streams src into the store of a request, hashing while copying; when wantHash is
	// not empty the content must match it. It returns the sha256 hex and the size.
	Put(ctx context.Context, workspace, requestID string, src io.Reader, wantHash string) (string, int64, error)
	// Open opens a stored copy.
	Open(workspace, requestID, fileID string) (io.ReadSeekCloser, error)
	// Stat describes a stored copy (its size and modification time); CodeNotFound when
	// there is none.
	Stat(workspace, requestID, fileID string) (fs.FileInfo, error)
}

// Publisher receives events after commit (live.Hub). Publish never blocks.
type Publisher interface {
	Publish(events ...airlock.Event)
}

// Notifier tells job-server about status changes (docs/reference/domain.md §7.5). Each
// status change queues its notification in the outbox (Tx.EnqueueNotification) in its own
// transaction; after commit Notify is told of it, so that a serving process's dispatcher
// (release.Notifier) sends it from the outbox at once. Notify never blocks and never fails
// the action; a process that does not dispatch (an operator command) leaves the
// notification queued for the server.
type Notifier interface {
	Notify(ctx context.Context, n airlock.Notification)
}

// Releaser creates (or gets) the remote release of a request's output files before they are
// marked released (§7.1). A nil Releaser means the outbox target: there is no
// remote release to create.
type Releaser interface {
	CreateRelease(ctx context.Context, actor airlock.User, r *airlock.ReleaseRequest, files []airlock.ReleaseFile) (releaseID string, err error)
}

// FileSweeper is implemented by Files stores that can list their request folders and
// remove what no request file refers to: the temporary files and blobs an interrupted add
// leaves behind (SweepFiles, docs/reliability.md).
type FileSweeper interface {
	// Folders lists the request folders on disk: workspace → request ids.
	Folders() (map[string][]string, error)
	// Sweep removes from one request folder the temporary files and the blobs not in keep
	// that were last modified before `before`, and returns their names.
	Sweep(workspace, requestID string, keep map[string]bool, before time.Time) ([]string, error)
}

// Checks counts the disclosure-check warnings of file contents by severity (render's
// WarningCounter, wired by cli). Warnings are hints: the service only stores their counts
// with request files and shows them, and the domain asks for an acknowledgement note to
// approve a file with BLOCK warnings (airlock.CheckCanApprove). A nil Checks counts nothing.
//
// Keys name contents: a content hash, or for a workspace file not hashed yet its
// workspace, path, size and time.
type Checks interface {
	// Applies reports whether files at relpath have checks (those without have no warnings).
	Applies(relpath string) bool
	// Count counts src, the content of relpath, and caches the count under key; it closes src.
	Count(ctx context.Context, key, relpath string, src io.ReadSeekCloser) (airlock.WarningCounts, error)
	// Cached returns the count cached under key.
	Cached(key string) (airlock.WarningCounts, bool)
	// CountLater counts in the background, opening the content with open, unless the count
	// is cached or already being counted; it reports whether it started a job, and a started
	// job calls done when it ends, with whether the count is cached now.
	CountLater(key, relpath string, open func() (io.ReadSeekCloser, error), done func(counted bool)) bool
}
