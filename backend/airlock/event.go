package airlock

// EventType is the type of a live invalidation event.
type EventType string

const (
	EventHello            EventType = "hello"
	EventRequestChanged   EventType = "request.changed"
	EventWorkspaceChanged EventType = "workspace.changed"
)

// Event is a thin invalidation published after a commit (or a change on disk). It never
// carries comment text, votes or file content; clients refetch through the API.
type Event struct {
	Type      EventType `json:"type"`
	RequestID string    `json:"requestId,omitempty"`
	Workspace string    `json:"workspace,omitempty"`
	Status    Status    `json:"status,omitempty"`
	Paths     []string  `json:"paths,omitempty"`
	User      string    `json:"user,omitempty"`
}
