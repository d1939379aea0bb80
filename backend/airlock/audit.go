package airlock

import (
	"strconv"
	"time"
)

// AuditType is the type of an audit event, stored by name.
type AuditType string

const (
	AuditWorkspaceFileView           AuditType = "WORKSPACE_FILE_VIEW"
	AuditRequestFileView             AuditType = "REQUEST_FILE_VIEW"
	AuditRequestFileDownload         AuditType = "REQUEST_FILE_DOWNLOAD"
	AuditRequestCreate               AuditType = "REQUEST_CREATE"
	AuditRequestSubmit               AuditType = "REQUEST_SUBMIT"
	AuditRequestWithdraw             AuditType = "REQUEST_WITHDRAW"
	AuditRequestReview               AuditType = "REQUEST_REVIEW"
	AuditRequestApprove              AuditType = "REQUEST_APPROVE"
	AuditRequestReject               AuditType = "REQUEST_REJECT"
	AuditRequestReturn               AuditType = "REQUEST_RETURN"
	AuditRequestRelease              AuditType = "REQUEST_RELEASE"
	AuditRequestEarlyReturn          AuditType = "REQUEST_EARLY_RETURN"
	AuditRequestEdit                 AuditType = "REQUEST_EDIT"
	AuditRequestComment              AuditType = "REQUEST_COMMENT"
	AuditRequestCommentDelete        AuditType = "REQUEST_COMMENT_DELETE"
	AuditRequestCommentVisibilityPub AuditType = "REQUEST_COMMENT_VISIBILITY_PUBLIC"
	AuditRequestFileAdd              AuditType = "REQUEST_FILE_ADD"
	AuditRequestFileUpdate           AuditType = "REQUEST_FILE_UPDATE"
	AuditRequestFileWithdraw         AuditType = "REQUEST_FILE_WITHDRAW"
	AuditRequestFileApprove          AuditType = "REQUEST_FILE_APPROVE"
	AuditRequestFileRequestChanges   AuditType = "REQUEST_FILE_REQUEST_CHANGES"
	AuditRequestFileResetReview      AuditType = "REQUEST_FILE_RESET_REVIEW"
	AuditRequestFileUndecided        AuditType = "REQUEST_FILE_UNDECIDED"
	AuditRequestFileRelease          AuditType = "REQUEST_FILE_RELEASE"
	AuditRequestFileUpload           AuditType = "REQUEST_FILE_UPLOAD"
	AuditRequestForceClose           AuditType = "REQUEST_FORCE_CLOSE"
	AuditRequestFileUploadFailed     AuditType = "REQUEST_FILE_UPLOAD_FAILED"
	// AuditRequestNotificationUnknown: a notification was sent to job-server and no answer
	// came; it may or may not have been handled, and is not resent (its handler is not
	// idempotent). Extra: event_type, error.
	AuditRequestNotificationUnknown AuditType = "REQUEST_NOTIFICATION_UNKNOWN"
)

// AuditTypes lists every audit event type.
var AuditTypes = []AuditType{
	AuditWorkspaceFileView, AuditRequestFileView, AuditRequestFileDownload, AuditRequestCreate,
	AuditRequestSubmit, AuditRequestWithdraw, AuditRequestReview, AuditRequestApprove,
	AuditRequestReject, AuditRequestReturn, AuditRequestRelease, AuditRequestEarlyReturn,
	AuditRequestEdit, AuditRequestComment, AuditRequestCommentDelete,
	AuditRequestCommentVisibilityPub, AuditRequestFileAdd, AuditRequestFileUpdate,
	AuditRequestFileWithdraw, AuditRequestFileApprove, AuditRequestFileRequestChanges,
	AuditRequestFileResetReview, AuditRequestFileUndecided, AuditRequestFileRelease,
	AuditRequestFileUpload, AuditRequestForceClose, AuditRequestFileUploadFailed,
	AuditRequestNotificationUnknown,
}

// AuditEvent records one view, edit or decision. Request-scoped events carry
// Extra["review_turn"]; Extra["visibility"] (absent means PUBLIC) limits who sees it.
type AuditEvent struct {
	ID        int64
	Type      AuditType
	User      string
	Workspace string
	Request   string
	Path      string
	Extra     map[string]string
	CreatedAt time.Time
	Hidden    bool
}

// AuditFilter selects audit events. Zero fields do not filter.
type AuditFilter struct {
	User         string
	Workspace    string
	Request      string
	Group        string
	ExcludeTypes []AuditType
	Limit        int
}

// NewAuditEvent builds a request-scoped audit event: the actor, r's workspace and id, path,
// a copy of extra, and extra["review_turn"] set to r's current turn. With r nil it is a
// workspace-less event (use NewWorkspaceAuditEvent for workspace file views). An automated
// actor (User.Automated) adds extra["automated_action"] = "true". CreatedAt is left for the
// service to stamp.
func NewAuditEvent(t AuditType, u User, r *ReleaseRequest, path string, extra map[string]string) AuditEvent {
	ev := AuditEvent{Type: t, User: u.Username, Path: path, Extra: map[string]string{}}
	for k, v := range extra {
		ev.Extra[k] = v
	}
	if u.Automated {
		ev.Extra["automated_action"] = "true"
	}
	if r != nil {
		ev.Workspace = r.Workspace
		ev.Request = r.ID
		ev.Extra["review_turn"] = r.TurnString()
	}
	return ev
}

// NewWorkspaceAuditEvent builds an event about a workspace (no request, no turn), such as
// WORKSPACE_FILE_VIEW.
func NewWorkspaceAuditEvent(t AuditType, u User, ws, path string, extra map[string]string) AuditEvent {
	ev := NewAuditEvent(t, u, nil, path, extra)
	ev.Workspace = ws
	return ev
}

// Visibility is the event's visibility (extra "visibility", absent means PUBLIC).
func (ev AuditEvent) Visibility() Visibility {
	if v := Visibility(ev.Extra["visibility"]); v == VisibilityPrivate {
		return v
	}
	return VisibilityPublic
}

// Turn is the event's review turn, or -1 when it has none.
func (ev AuditEvent) Turn() int {
	s, ok := ev.Extra["review_turn"]
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// AuditDescription is the text shown for an event type in the activity log.
func AuditDescription(t AuditType) string { return auditDescriptions[t] }

var auditDescriptions = map[AuditType]string{
	AuditWorkspaceFileView:           "Viewed file",
	AuditRequestFileView:             "Viewed file",
	AuditRequestFileDownload:         "Downloaded file",
	AuditRequestCreate:               "Created request",
	AuditRequestSubmit:               "Submitted request",
	AuditRequestWithdraw:             "Withdrew request",
	AuditRequestReview:               "Submitted review",
	AuditRequestApprove:              "Approved request",
	AuditRequestReject:               "Rejected request",
	AuditRequestReturn:               "Returned request",
	AuditRequestRelease:              "Released request",
	AuditRequestEarlyReturn:          "Request returned early; comments and votes for turn reset",
	AuditRequestEdit:                 "Edited the Context/Controls",
	AuditRequestComment:              "Commented",
	AuditRequestCommentDelete:        "Comment deleted",
	AuditRequestCommentVisibilityPub: "Private comment made public",
	AuditRequestFileAdd:              "Added file",
	AuditRequestFileUpdate:           "Updated file",
	AuditRequestFileWithdraw:         "Withdrew file from group",
	AuditRequestFileApprove:          "Approved file",
	AuditRequestFileRequestChanges:   "Changes requested to file",
	AuditRequestFileResetReview:      "Reset review of file",
	AuditRequestFileUndecided:        "File with changes requested moved to undecided",
	AuditRequestFileRelease:          "File released",
	AuditRequestFileUpload:           "File uploaded",
	AuditRequestForceClose:           "Request closed by an operator",
	AuditRequestFileUploadFailed:     "File upload failed",
	AuditRequestNotificationUnknown:  "Job-server did not answer a notification; it may not have been delivered",
}

// ReadOnlyAuditTypes are the view events the activity panels leave out.
var ReadOnlyAuditTypes = []AuditType{AuditWorkspaceFileView, AuditRequestFileView, AuditRequestFileUndecided}
