package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// The JSON shapes of warnings and acknowledgements (docs/api.md, "Warnings and
// acknowledgements"): counts on tree entries, request files and request summaries; the
// approve action's acknowledge; the vote's acknowledgement field; the notes as the caller
// may see them.
func TestWarningsAndAcknowledgements_Shapes(t *testing.T) {
	h := newAPI(t)
	env := h.env
	ws := testenv.Workspace
	const blocked = "output/blocked.csv"
	const clean = "output/clean.csv"
	env.WriteFile(t, ws, blocked, "band,count\na,3\nb,410\n")
	env.WriteFile(t, ws, clean, "band,count\na,1500\nb,2000\n")
	env.WriteFile(t, ws, "output/notes.txt", "notes\n")
	researcher := h.login(t, "researcher")
	c1 := h.login(t, "checker1")
	c2 := h.login(t, "checker2")

	// The tree: counts by severity on CSV files, nothing on other files.
	r := researcher.do("GET", "/api/v1/workspaces/"+ws+"/tree/output", nil, nil)
	r.want(t, 200, "")
	var raw struct {
		Entries []map[string]any `json:"entries"`
	}
	r.decode(t, &raw)
	entries := map[string]map[string]any{}
	for _, e := range raw.Entries {
		entries[e["name"].(string)] = e
	}
	require.Contains(t, entries, "blocked.csv")
	w, ok := entries["blocked.csv"]["warnings"].(map[string]any)
	require.True(t, ok, "warnings object: %v", entries["blocked.csv"])
	assert.Equal(t, []string{"BLOCK", "INFO", "WARN"}, sortedKeys(w))
	assert.Positive(t, w["BLOCK"].(float64))
	assert.Equal(t, map[string]any{"INFO": 0.0, "WARN": 0.0, "BLOCK": 0.0}, entries["clean.csv"]["warnings"])
	assert.NotContains(t, entries["notes.txt"], "warnings")
	assert.NotContains(t, entries["notes.txt"], "warningsPending")

	// A submitted request with both tables.
	rq := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusSubmitted,
		testenv.File(blocked, testenv.Content("band,count\na,3\nb,410\n")),
		testenv.File(clean, testenv.Content("band,count\na,1500\nb,2000\n")))
	id := rq.ID

	// The researcher's view: counts on each file (for the submit confirmation).
	got := researcher.request(id)
	require.NotNil(t, fileOf(got, blocked).Warnings)
	assert.Positive(t, fileOf(got, blocked).Warnings.Block)
	assert.Equal(t, &contract.Warnings{}, fileOf(got, clean).Warnings)
	assert.Equal(t, []contract.Acknowledgement{}, fileOf(got, blocked).Acknowledgements)

	// The review queue: totals of the output files.
	var list contract.RequestList
	c1.do("GET", "/api/v1/requests?scope=review", nil, nil).decode(t, &list)
	require.Len(t, list.Requests, 1)
	assert.Equal(t, *fileOf(got, blocked).Warnings, list.Requests[0].Warnings)
	assert.Equal(t, 1, list.Requests[0].BlockFiles)
	assert.Equal(t, 0, list.Requests[0].UncountedFiles)

	// The checker's approve action says why a note is needed; the vote without one is
	// refused with that text, and changes nothing.
	view := c1.request(id)
	approve := fileOf(view, blocked).Actions["approve"]
	assert.True(t, approve.Allowed)
	assert.Contains(t, approve.Acknowledge, "BLOCK warning")
	assert.Equal(t, airlock.ActionState{Shown: true, Allowed: true}, fileOf(view, clean).Actions["approve"])
	r = c1.do("POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": []string{blocked}, "vote": "APPROVED"}, nil)
	r.want(t, http.StatusBadRequest, airlock.CodeInvalid)
	assert.Equal(t, approve.Acknowledge, r.errorMessage())
	assert.Nil(t, fileOf(c1.request(id), blocked).MyVote)
	// A note of the wrong type is bad input.
	c1.do("POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": []string{blocked}, "vote": "APPROVED", "acknowledgement": 7}, nil).
		want(t, http.StatusBadRequest, airlock.CodeInvalid)

	// With the note: approved, and the note is the caller's own to see.
	r = c1.do("POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": []string{blocked}, "vote": "APPROVED", "acknowledgement": "3 is a count of sites"}, nil)
	r.want(t, 200, "")
	var after contract.Request
	r.decode(t, &after)
	require.NotNil(t, fileOf(after, blocked).MyVote)
	assert.Equal(t, airlock.VoteApproved, *fileOf(after, blocked).MyVote)
	assert.Equal(t, []contract.Acknowledgement{{Reviewer: "checker1", Note: "3 is a count of sites", Turn: 1}}, fileOf(after, blocked).Acknowledgements)
	// Blind: checker 2 and the researcher do not see it.
	assert.Equal(t, []contract.Acknowledgement{}, fileOf(c2.request(id), blocked).Acknowledgements)
	assert.Equal(t, []contract.Acknowledgement{}, fileOf(researcher.request(id), blocked).Acknowledgements)

	// The vote's audit event holds the note.
	var evs contract.Events
	c1.do("GET", "/api/v1/requests/"+id+"/activity", nil, nil).decode(t, &evs)
	require.NotEmpty(t, evs.Events)
	assert.Equal(t, airlock.AuditRequestFileApprove, evs.Events[0].Type)
	assert.Equal(t, "3 is a count of sites", evs.Events[0].Extra["acknowledgement"])

	// Both review; at release the releasing checker sees who acknowledged what.
	c1.do("POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": []string{clean}, "vote": "APPROVED"}, nil).want(t, 200, "")
	c1.do("POST", "/api/v1/requests/"+id+"/review", nil, nil).want(t, 200, "")
	c2.do("POST", "/api/v1/requests/"+id+"/votes", map[string]any{"paths": []string{blocked, clean}, "vote": "APPROVED", "acknowledgement": "agreed"}, nil).want(t, 200, "")
	c2.do("POST", "/api/v1/requests/"+id+"/review", nil, nil).want(t, 200, "")
	rel := c2.request(id)
	assert.True(t, rel.Actions[airlock.ActionRelease].Allowed)
	assert.Equal(t, []contract.Acknowledgement{
		{Reviewer: "checker1", Note: "3 is a count of sites", Turn: 1},
		{Reviewer: "checker2", Note: "agreed", Turn: 1},
	}, fileOf(rel, blocked).Acknowledgements)
	assert.Equal(t, []contract.Acknowledgement{}, fileOf(rel, clean).Acknowledgements, "no note kept on a file without BLOCK warnings")
}
