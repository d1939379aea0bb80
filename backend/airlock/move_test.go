package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The per-file "move" action: CheckCanChangeFileProperties with a group change.
func TestCheckCanMoveFile(t *testing.T) {
	alice := researcher("alice")
	r := newReq(StatusReturned)
	r.addFile("g1", "out/w.csv", FileTypeWithdrawn)
	r.addFile("another group", "out/b.csv", FileTypeOutput)
	assert.NoError(t, CheckCanMoveFile(alice, r, "out/a.csv", WorkspaceUnderReview))
	assert.NoError(t, CheckCanMoveFile(alice, r, "out/b.csv", WorkspaceUnderReview), "a file of any group can move")
	assert.NoError(t, CheckCanMoveFile(alice, r, "out/notes.txt", WorkspaceReleased), "44: a released supporting file may change group")
	assert.EqualError(t, CheckCanMoveFile(alice, r, "out/a.csv", WorkspaceReleased),
		"invalid: Released files cannot be added as output files", "38: moving keeps the type")
	assert.EqualError(t, CheckCanMoveFile(alice, r, "out/w.csv", WorkspaceWithdrawn),
		"invalid_state: Cannot change file group or type for a withdrawn file", "43")
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanMoveFile(alice, r, "out/nope.csv", WorkspaceUnderReview)))
	assert.Equal(t, CodePermissionDenied, ErrorCode(CheckCanMoveFile(researcher("carol"), r, "out/a.csv", WorkspaceUnderReview)))
	assert.Equal(t, CodeNotFound, ErrorCode(CheckCanMoveFile(User{Username: "stranger"}, r, "out/a.csv", WorkspaceUnderReview)))
	r.Status = StatusSubmitted
	assert.EqualError(t, CheckCanMoveFile(alice, r, "out/a.csv", WorkspaceUnderReview),
		"invalid_state: This request is being reviewed: it can be changed again only if the output checkers return it")
}
