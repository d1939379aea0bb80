package airlock

import (
	"slices"
	"strings"
)

// checkCanCommentOn: who may comment on r at all (§4.4.13, as changed by
// docs/decisions.md §3): role holders while r is with the author; output checkers who are
// not the author while r is under review. Copilots and read-only users without a role view
// but never comment.
func checkCanCommentOn(u User, r *ReleaseRequest) error {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return err
	}
	switch {
	case r.Status.IsEditable():
		if !HasRole(u, r.Workspace) {
			return Errorf(CodePermissionDenied, "Only users with a role on %s can comment while the request is with its author", r.Workspace)
		}
	case r.Status.IsUnderReview():
		if err := CheckCanReview(u, r); err != nil {
			return Errorf(CodePermissionDenied, "Only output checkers who are not the author can comment while the request is under review")
		}
	default:
		return Errorf(CodeInvalidState, "This request can no longer be modified.")
	}
	return nil
}

// WritableVisibilities are the visibilities u may give a new comment on r
// (docs/decisions.md §2), preferred first: checkers reviewing r write PRIVATE or PUBLIC;
// everyone else who may comment writes PUBLIC only. Empty when u may not comment at all.
func WritableVisibilities(u User, r *ReleaseRequest) []Visibility {
	if checkCanCommentOn(u, r) != nil {
		return nil
	}
	if r.Status.IsUnderReview() && CanReview(u, r) {
		return []Visibility{VisibilityPrivate, VisibilityPublic}
	}
	return []Visibility{VisibilityPublic}
}

// CanComment: see CheckCanComment.
func CanComment(u User, r *ReleaseRequest, group string, v Visibility) bool {
	return CheckCanComment(u, r, group, v) == nil
}

// CheckCanComment: u may comment on r (docs/decisions.md §3), the group exists (when
// given), and v is one of u's writable visibilities (docs/decisions.md §2).
func CheckCanComment(u User, r *ReleaseRequest, group string, v Visibility) error {
	if err := checkCanCommentOn(u, r); err != nil {
		return err
	}
	if group != "" && r.Group(group) == nil {
		return Errorf(CodeNotFound, "Group %s is not on this request", group)
	}
	if !v.Valid() {
		return Errorf(CodeInvalid, "Unknown comment visibility %q", v)
	}
	if !slices.Contains(WritableVisibilities(u, r), v) {
		return Errorf(CodeInvalid, "You cannot write %s comments on this request now", strings.ToLower(string(v)))
	}
	return nil
}

func checkOwnComment(u User, r *ReleaseRequest, commentID string) (*Comment, error) {
	if err := CheckCanViewWorkspace(u, r.Workspace); err != nil {
		return nil, err
	}
	c, _ := r.Comment(commentID)
	if c == nil || !CommentVisible(u, r, c) {
		return nil, Errorf(CodeNotFound, "Comment not found")
	}
	if c.Author != u.Username {
		return nil, Errorf(CodePermissionDenied, "You can only change your own comments")
	}
	return c, checkCanCommentOn(u, r)
}

// CanDeleteComment: see CheckCanDeleteComment.
func CanDeleteComment(u User, r *ReleaseRequest, commentID string) bool {
	return CheckCanDeleteComment(u, r, commentID) == nil
}

// CheckCanDeleteComment: the comment exists, u wrote it, and u may comment on r now.
func CheckCanDeleteComment(u User, r *ReleaseRequest, commentID string) error {
	_, err := checkOwnComment(u, r, commentID)
	return err
}

// CanPublishComment: see CheckCanPublishComment.
func CanPublishComment(u User, r *ReleaseRequest, commentID string) bool {
	return CheckCanPublishComment(u, r, commentID) == nil
}

// CheckCanPublishComment: as deleting, plus the comment is PRIVATE and of the current turn
// ("Comments visibility cannot be changed after a round finishes").
func CheckCanPublishComment(u User, r *ReleaseRequest, commentID string) error {
	c, err := checkOwnComment(u, r, commentID)
	if err != nil {
		return err
	}
	if c.ReviewTurn != r.ReviewTurn {
		return Errorf(CodeInvalidState, "Comments visibility cannot be changed after a round finishes")
	}
	if c.Visibility == VisibilityPublic {
		return Errorf(CodeInvalidState, "Comment is already public")
	}
	return nil
}
