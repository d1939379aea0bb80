package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// What each viewer is told to do next (the request page's "For you now"), from the rules.
func TestNextStep(t *testing.T) {
	p := DefaultPolicy()
	alice, chk := researcher("alice"), checker("chk1")

	r := newReq(StatusSubmitted)
	r.addFile("g1", "out/b.csv", FileTypeOutput)
	r.vote("out/a.csv", "chk1", VoteApproved, r.ReviewTurn)
	assert.Contains(t, NextStep(chk, r, p), "1 of 2 done")
	assert.Contains(t, NextStep(alice, r, p), "with the output checkers")
	assert.Equal(t, "The request is under review.", NextStep(copilot("cop"), r, p))
	r.vote("out/b.csv", "chk1", VoteApproved, r.ReviewTurn)
	assert.Contains(t, NextStep(chk, r, p), "then submit your review")
	r.submitReviews("chk1")
	assert.Contains(t, NextStep(chk, r, p), "submitted your review")

	empty := &ReleaseRequest{Workspace: ws, Author: "alice", Status: StatusPending}
	assert.Equal(t, "Your turn: Cannot submit request with no output files", NextStep(alice, empty, p))
	assert.Contains(t, NextStep(alice, newReq(StatusPending), p), "submit the request for review")
	assert.Contains(t, NextStep(researcher("carol"), newReq(StatusPending), p), "with its author")

	assert.Contains(t, NextStep(chk, matrixReq(StatusReviewed), p), "return, reject or release")
	assert.Contains(t, NextStep(alice, matrixReq(StatusReviewed), p), "deciding")
	assert.Equal(t, "This request is closed.", NextStep(chk, matrixReq(StatusRejected), p))
}

func TestReviewList(t *testing.T) {
	want := map[Status]string{
		StatusSubmitted: "OUTSTANDING", StatusPartiallyReviewed: "OUTSTANDING", StatusReviewed: "OUTSTANDING",
		StatusReturned: "RETURNED", StatusApproved: "APPROVED",
	}
	for _, st := range allStatuses {
		assert.Equal(t, want[st], st.ReviewList(), st)
	}
}
