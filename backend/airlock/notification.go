package airlock

import (
	"fmt"
	"time"
)

// Notification tells job-server of a status change (docs/reference/domain.md §7.5).
type Notification struct {
	EventType     string               `json:"event_type"`
	Workspace     string               `json:"workspace"`
	Request       string               `json:"request"`
	RequestAuthor string               `json:"request_author"`
	User          string               `json:"user"`
	Updates       []NotificationUpdate `json:"updates"`
}

// NotificationUpdate is one line of detail in a notification.
type NotificationUpdate struct {
	Update string `json:"update"`
	User   string `json:"user,omitempty"`
	Group  string `json:"group,omitempty"`
}

// ReleaseFile describes one stored copy being released (§7.1).
type ReleaseFile struct {
	Path   string
	Size   int64
	SHA256 string
	// Date is the stored copy's modification time (roughly when it was added).
	Date time.Time
}

// Notification event types sent to job-server on status changes (§7.5).
const (
	NotifyRequestSubmitted         = "request_submitted"
	NotifyRequestResubmitted       = "request_resubmitted"
	NotifyRequestPartiallyReviewed = "request_partially_reviewed"
	NotifyRequestReviewed          = "request_reviewed"
	NotifyRequestApproved          = "request_approved"
	NotifyRequestRejected          = "request_rejected"
	NotifyRequestReturned          = "request_returned"
	NotifyRequestReleased          = "request_released"
	NotifyRequestWithdrawn         = "request_withdrawn"
)

// NotificationEventType is the job-server event type of a move from one status to another
// (§7.5), or "" when the move is not notified (PENDING is never a target).
func NotificationEventType(from, to Status) string {
	switch to {
	case StatusSubmitted:
		if from == StatusReturned {
			return NotifyRequestResubmitted
		}
		return NotifyRequestSubmitted
	case StatusPartiallyReviewed:
		return NotifyRequestPartiallyReviewed
	case StatusReviewed:
		return NotifyRequestReviewed
	case StatusApproved:
		return NotifyRequestApproved
	case StatusRejected:
		return NotifyRequestRejected
	case StatusReturned:
		return NotifyRequestReturned
	case StatusReleased:
		return NotifyRequestReleased
	case StatusWithdrawn:
		return NotifyRequestWithdrawn
	case StatusPending:
		return ""
	}
	return ""
}

// FilesToUploadUpdate is the update line of a request_approved notification:
// "1 file will be uploaded", "N files will be uploaded".
func FilesToUploadUpdate(n int) NotificationUpdate {
	if n == 1 {
		return NotificationUpdate{Update: "1 file will be uploaded"}
	}
	return NotificationUpdate{Update: fmt.Sprintf("%d files will be uploaded", n)}
}
