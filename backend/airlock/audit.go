package airlock

import "time"

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
