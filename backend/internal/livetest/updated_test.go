package livetest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/contract"
)

// TestFileOnRequestBecomesUpdated: a file on a request whose workspace copy changes is
// UPDATED for its author in the tree, in the file detail and in the request (all through the API) as soon as the
// client is told, and UNDER_REVIEW again after "update file". Both kinds of workspace: a
// plain folder (hashes from the disk) and a job-runner workspace (hashes from the manifest,
// so the change is the manifest rewrite).
func TestFileOnRequestBecomesUpdated(t *testing.T) {
	const p = "output/t.csv"
	v1, v2 := "a,b\n1,2\n", "a,b\n1,2\n3,4\n"
	s := start(t, config{
		users: []account{alice},
		files: map[string]string{
			"study/" + p:                            v1,
			"manifested/" + p:                       v1,
			"manifested/metadata/manifest.json":     manifest("manifested", map[string]string{p: v1}),
			"manifested/output/unrelated-other.csv": "u\n",
		},
	})
	a := login(t, s.URL, alice)
	c := dial(t, s.URL, a, nil)

	for _, tc := range []struct {
		ws     string
		change func(t *testing.T)
	}{
		{"study", func(t *testing.T) { replaceFile(t, s.path("study/"+p), v2) }},
		{"manifested", func(t *testing.T) {
			replaceFile(t, s.path("manifested/"+p), v2)
			replaceFile(t, s.path("manifested/metadata/manifest.json"), manifest("manifested", map[string]string{p: v2}))
		}},
	} {
		t.Run(tc.ws, func(t *testing.T) {
			var r contract.Request
			status, code := s.call(t, a, http.MethodPost, "/api/v1/requests", map[string]string{"workspace": tc.ws}, &r)
			require.Equal(t, http.StatusCreated, status, code)
			base := "/api/v1/requests/" + url.PathEscape(r.ID)
			status, code = s.call(t, a, http.MethodPost, base+"/files", map[string]any{
				"group": "tables", "files": []map[string]string{{"path": p, "fileType": "OUTPUT"}},
			}, &r)
			require.Equal(t, http.StatusCreated, status, code)
			assert.Equal(t, airlock.WorkspaceUnderReview, requestFile(t, r, p).WorkspaceStatus)
			assert.Equal(t, airlock.WorkspaceUnderReview, s.tree(t, a, tc.ws, "output")[p].Status)

			m := c.mark()
			tc.change(t)
			c.waitPaths(t, m, tc.ws, p)

			assert.Equal(t, airlock.WorkspaceUpdated, s.tree(t, a, tc.ws, "output")[p].Status, "tree")
			d := s.file(t, a, tc.ws, p)
			assert.Equal(t, airlock.WorkspaceUpdated, d.Status, "file detail")
			assert.Equal(t, sha(v2), d.SHA256)
			assert.True(t, d.Actions["update"].Allowed, "update offered: %+v", d.Actions["update"])
			s.get(t, a, base, &r)
			f := requestFile(t, r, p)
			assert.Equal(t, airlock.WorkspaceUpdated, f.WorkspaceStatus, "request")
			assert.Equal(t, sha(v1), f.SHA256, "the request keeps its copy until updated")

			m = c.mark()
			status, code = s.call(t, a, http.MethodPost, base+"/files/update", map[string]any{"paths": []string{p}}, &r)
			require.Equal(t, http.StatusOK, status, code)
			f = requestFile(t, r, p)
			assert.Equal(t, airlock.WorkspaceUnderReview, f.WorkspaceStatus)
			assert.Equal(t, sha(v2), f.SHA256)
			s.get(t, a, base, &r)
			assert.Equal(t, airlock.WorkspaceUnderReview, requestFile(t, r, p).WorkspaceStatus, "request")
			assert.Equal(t, airlock.WorkspaceUnderReview, s.tree(t, a, tc.ws, "output")[p].Status, "tree")
			assert.False(t, s.file(t, a, tc.ws, p).Actions["update"].Allowed, "nothing left to update")

			// The update itself is announced to the author's client.
			eventually(t, "request.changed after the update", func() bool {
				for _, f := range c.since(m) {
					if f.Type == airlock.EventRequestChanged && f.RequestID == r.ID {
						return true
					}
				}
				return false
			}, c.dump)
		})
	}
}
