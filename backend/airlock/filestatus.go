package airlock

// FileStatusFor is the status of workspace file path for user u (§2.6). hash is its
// current content hash, valid whether it is a visible workspace file, released the content
// hashes of every released file of the workspace, current u's current request for the
// workspace (nil when none). Status is by content hash: RELEASED for any released copy of
// the same bytes; on u's current request WITHDRAWN, UNDER_REVIEW or (content changed) UPDATED.
func FileStatusFor(u User, path, hash string, valid bool, released map[string]bool, current *ReleaseRequest) WorkspaceFileStatus {
	if !valid {
		return WorkspaceInvalid
	}
	if hash != "" && released[hash] {
		return WorkspaceReleased
	}
	if current != nil && current.Author == u.Username && current.Status.IsActive() {
		if f := current.File(path); f != nil {
			switch {
			case f.FileType == FileTypeWithdrawn:
				return WorkspaceWithdrawn
			case f.FileID == hash:
				return WorkspaceUnderReview
			default:
				return WorkspaceUpdated
			}
		}
	}
	return WorkspaceUnreleased
}
