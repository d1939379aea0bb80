package airlock

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The reviews figure is the same for every viewer and agrees with the status: one review in
// PARTIALLY_REVIEWED, two in REVIEWED and after a decision, and after a return the turn that
// ended (issue 13: the header said "Reviews submitted 0" beside "one review submitted").
func TestReviewsSubmitted_AgreesWithStatus(t *testing.T) {
	cases := map[Status]ReviewCount{
		StatusPending:           {},
		StatusSubmitted:         {Submitted: 0, Turn: 1},
		StatusPartiallyReviewed: {Submitted: 1, Turn: 1},
		StatusReviewed:          {Submitted: 2, Turn: 1},
		StatusApproved:          {Submitted: 2, Turn: 1},
		StatusRejected:          {Submitted: 2, Turn: 1},
		StatusReleased:          {Submitted: 2, Turn: 1},
		StatusReturned:          {Submitted: 2, Turn: 1},
		StatusWithdrawn:         {Submitted: 2, Turn: 1},
	}
	for st, want := range cases {
		assert.Equal(t, want, ReviewsSubmitted(matrixReq(st)), st)
	}
}

// A refused action names the groups its reason is about, so that the page can link to each
// (issue 13 item 6: "which group needs a comment?").
func TestStateOf_CarriesTheGroupsOfTheReason(t *testing.T) {
	p := DefaultPolicy()
	r := submittedReq()
	chk := checker("chk1")
	r.vote("out/a.csv", "chk1", VoteChangesRequested, 1)
	r.vote("out/b.csv", "chk1", VoteChangesRequested, 1)
	st := RequestActions(chk, r, p)[ActionReview]
	assert.False(t, st.Allowed)
	assert.Equal(t, []string{"g1", "g2"}, st.Groups)
	r.comment("g1", "chk1", VisibilityPrivate, 1)
	assert.Equal(t, []string{"g2"}, RequestActions(chk, r, p)[ActionReview].Groups)
	r.comment("g2", "chk1", VisibilityPrivate, 1)
	st = RequestActions(chk, r, p)[ActionReview]
	assert.True(t, st.Allowed)
	assert.Empty(t, st.Groups)

	inc := newReq(StatusPending)
	inc.addGroup("empty-ctx").Context = ""
	inc.addFile("empty-ctx", "out/c.csv", FileTypeOutput)
	assert.Equal(t, []string{"empty-ctx"}, RequestActions(researcher("alice"), inc, p)[ActionSubmit].Groups)
}
