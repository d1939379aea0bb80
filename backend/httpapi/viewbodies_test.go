package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// TestRequestAnswersKeepBlinding: the request answers are kept per viewer, and each viewer
// gets only their own, whoever asked first and however the askers alternate — Checker1's
// private comment and vote never reach Checker2 or the author, and what changes reaches
// everyone it should on their next GET.
func TestRequestAnswersKeepBlinding(t *testing.T) {
	h := newAPI(t)
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File("output/a.csv"), testenv.File("output/b.csv"))
	c1, c2, author := h.login(t, "checker1"), h.login(t, "checker2"), h.login(t, "researcher")
	c1.do("POST", "/api/v1/requests/"+r.ID+"/votes", map[string]any{"paths": []string{"output/a.csv"}, "vote": "APPROVED"}, nil).want(t, 200, "")
	c1.do("POST", "/api/v1/requests/"+r.ID+"/groups/"+testenv.DefaultGroup+"/comments",
		map[string]string{"text": "a private note of checker one", "visibility": "PRIVATE"}, nil).want(t, 201, "")

	raw := func(c *client) string {
		res := c.do("GET", "/api/v1/requests/"+r.ID, nil, nil)
		res.want(t, 200, "")
		return string(res.body)
	}
	for round := range 4 {
		order := []*client{c2, c1, author, c2, c1}
		if round%2 == 1 {
			order = []*client{c1, c1, author, c2, author}
		}
		for _, c := range order {
			body := raw(c)
			if c == c1 {
				assert.Contains(t, body, "a private note of checker one", "round %d", round)
				assert.Equal(t, airlock.VoteApproved, *fileOf(c1.request(r.ID), "output/a.csv").MyVote)
				continue
			}
			assert.NotContains(t, body, "a private note of checker one", "round %d", round)
			assert.Nil(t, fileOf(c.request(r.ID), "output/a.csv").MyVote, "round %d", round)
		}
	}

	// Checker2's own vote shows to Checker2 at once, and to nobody else.
	c2.do("POST", "/api/v1/requests/"+r.ID+"/votes", map[string]any{"paths": []string{"output/b.csv"}, "vote": "CHANGES_REQUESTED"}, nil).want(t, 200, "")
	assert.Equal(t, airlock.VoteChangesRequested, *fileOf(c2.request(r.ID), "output/b.csv").MyVote)
	assert.Nil(t, fileOf(c1.request(r.ID), "output/b.csv").MyVote)
	assert.Nil(t, fileOf(author.request(r.ID), "output/b.csv").MyVote)
}

// TestRequestAnswerFollowsTheUserRecord: an answer kept for a username is not reused when
// that user's record has changed (a refresh took a role away): the answer is made again
// for the record as it is now.
func TestRequestAnswerFollowsTheUserRecord(t *testing.T) {
	h := newAPI(t)
	r := testenv.CreateRequestAtStatus(t, h.env, testenv.Researcher(), airlock.StatusSubmitted, testenv.File("output/a.csv"))
	ctx := testenv.Ctx()
	_, err := h.svc.AddComment(ctx, testenv.Checker1(), r.ID, testenv.DefaultGroup, "checkers only", airlock.VisibilityPrivate)
	require.NoError(t, err)

	var c viewBodies
	v, err := h.svc.GetRequest(ctx, testenv.Checker1(), r.ID)
	require.NoError(t, err)
	first, err := c.body(v)
	require.NoError(t, err)
	again, err := c.body(v)
	require.NoError(t, err)
	require.Equal(t, string(first), string(again))
	assert.Contains(t, string(first), "checkers only")

	// The same username, no longer an output checker.
	demoted := v
	demoted.Viewer.OutputChecker = false
	body, err := c.body(demoted)
	require.NoError(t, err)
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(contract.FromRequestView(demoted)))
	assert.Equal(t, want.String(), string(body))
	assert.NotEqual(t, string(first), string(body))
}
