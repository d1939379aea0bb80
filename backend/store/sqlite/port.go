package sqlite

import (
	"context"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// TxPort is service.Tx spelled out. service declares Tx as an alias of this same interface
// literal, so the two are one type and *Store satisfies service.Store without this package
// importing service (dependencies point inward). The package's tests assert that
// *Store is a service.Store, so any drift fails to compile there.
type TxPort = interface {
	GetRequest(ctx context.Context, id string) (*airlock.ReleaseRequest, error)
	GetRequestForUpload(ctx context.Context, id, relpath string) (*airlock.ReleaseRequest, error)
	GetRequestWithoutComments(ctx context.Context, id string) (*airlock.ReleaseRequest, error)
	RequestVersion(ctx context.Context, id string) (airlock.RequestVersion, error)
	FindCurrentRequest(ctx context.Context, workspace, author string) (*airlock.ReleaseRequest, error)
	CurrentRequestID(ctx context.Context, workspace, author string) (string, error)
	ListRequests(ctx context.Context, f airlock.RequestFilter) ([]*airlock.ReleaseRequest, error)
	WorkspaceProjects(ctx context.Context) (map[string]airlock.Project, error)
	InsertRequest(ctx context.Context, r *airlock.ReleaseRequest, ev airlock.AuditEvent) error
	UpdateRequest(ctx context.Context, r *airlock.ReleaseRequest, ev airlock.AuditEvent) error

	UpsertGroup(ctx context.Context, requestID string, g *airlock.FileGroup, ev airlock.AuditEvent) error

	InsertFile(ctx context.Context, requestID string, f *airlock.RequestFile, ev airlock.AuditEvent) error
	UpdateFile(ctx context.Context, requestID string, f *airlock.RequestFile, ev airlock.AuditEvent) error
	DeleteFile(ctx context.Context, requestID, relpath string) error
	RecordUploadAttempt(ctx context.Context, requestID, relpath string, at time.Time, lastError string) error

	UpsertReview(ctx context.Context, requestID, relpath string, rv *airlock.FileReview, ev airlock.AuditEvent) error
	DeleteReview(ctx context.Context, requestID, relpath, reviewer string, ev airlock.AuditEvent) error

	CommentsAfter(ctx context.Context, requestID string, after int64) (map[string][]*airlock.Comment, error)
	InsertComment(ctx context.Context, requestID, group string, c *airlock.Comment, ev airlock.AuditEvent) error
	DeleteComment(ctx context.Context, requestID, commentID string, ev airlock.AuditEvent) error
	SetCommentVisibility(ctx context.Context, requestID, commentID string, v airlock.Visibility, ev airlock.AuditEvent) error

	AppendAudit(ctx context.Context, ev airlock.AuditEvent) error
	HideAuditEventsForTurn(ctx context.Context, requestID string, turn int) error
	ListAudit(ctx context.Context, f airlock.AuditFilter) ([]airlock.AuditEvent, error)

	ReleasedFileIDs(ctx context.Context, workspace string) (map[string]bool, error)
	PendingUploads(ctx context.Context) ([]*airlock.ReleaseRequest, error)

	UpsertUser(ctx context.Context, u airlock.User, refreshedAt time.Time) error
	GetUser(ctx context.Context, username string) (airlock.User, time.Time, error)

	EnqueueNotification(ctx context.Context, q *airlock.QueuedNotification) error
	NotificationQueue(ctx context.Context, limit int) ([]airlock.QueuedNotification, error)
	LockNotification(ctx context.Context, id int64) (q airlock.QueuedNotification, ok bool, err error)
	UpdateNotification(ctx context.Context, q airlock.QueuedNotification) error
	ListNotifications(ctx context.Context, requestID string) ([]airlock.QueuedNotification, error)
	CountNotifications(ctx context.Context) (map[airlock.NotificationState]int, error)
}

var _ TxPort = (*Tx)(nil)
