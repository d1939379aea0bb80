package airlock

import "time"

// Notification tells job-server of a status change (reference §7.5).
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

// ReleaseFile describes one stored copy being released (reference §7.1).
type ReleaseFile struct {
	Path   string
	Size   int64
	SHA256 string
	// Date is the stored copy's modification time (roughly when it was added).
	Date time.Time
}
