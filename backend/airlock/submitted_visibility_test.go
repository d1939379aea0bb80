package airlock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Who submitted a review is blinded like the reviews themselves: during independent
// review a reviewer learns only of their own submission; afterwards everyone sees all.
func TestVisibleSubmittedReviewers(t *testing.T) {
	r := &ReleaseRequest{ID: "r1", Workspace: "ws", Author: "alice", Status: StatusPartiallyReviewed, ReviewTurn: 1,
		SubmittedReviews: map[string]time.Time{"checker1": {}}}
	c1 := User{Username: "checker1", OutputChecker: true}
	c2 := User{Username: "checker2", OutputChecker: true}
	alice := User{Username: "alice"}

	assert.Equal(t, []string{"checker1"}, VisibleSubmittedReviewers(c1, r))
	assert.Equal(t, []string{}, VisibleSubmittedReviewers(c2, r))
	assert.Equal(t, []string{}, VisibleSubmittedReviewers(alice, r))

	r.Status = StatusReviewed
	r.SubmittedReviews["checker2"] = time.Time{}
	for _, u := range []User{c1, c2, alice} {
		assert.Equal(t, []string{"checker1", "checker2"}, VisibleSubmittedReviewers(u, r), u.Username)
	}
}
