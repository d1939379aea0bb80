package livetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// TestFileOnRequestBecomesUpdated: a file on a request whose workspace copy changes is
// UPDATED for its author in the tree, in the file detail and in the request as soon as the
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
	u := a.user
	ctx := context.Background()

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
			view, created, err := s.B.Service.GetOrCreateRequest(ctx, u, tc.ws)
			require.NoError(t, err)
			require.True(t, created)
			id := view.Request.ID
			view, err = s.B.Service.AddFiles(ctx, u, id, "tables", []service.FileSpec{{Path: p, FileType: airlock.FileTypeOutput}})
			require.NoError(t, err)
			assert.Equal(t, airlock.WorkspaceUnderReview, view.WorkspaceStatus[p])
			assert.Equal(t, airlock.WorkspaceUnderReview, s.tree(t, u, tc.ws, "output")[p].Status)

			m := c.mark()
			tc.change(t)
			c.waitPaths(t, m, tc.ws, p)

			assert.Equal(t, airlock.WorkspaceUpdated, s.tree(t, u, tc.ws, "output")[p].Status, "tree")
			d := s.file(t, u, tc.ws, p)
			assert.Equal(t, airlock.WorkspaceUpdated, d.Status, "file detail")
			assert.True(t, d.Actions["update"].Allowed, "update offered: %+v", d.Actions["update"])
			view, err = s.B.Service.GetRequest(ctx, u, id)
			require.NoError(t, err)
			assert.Equal(t, airlock.WorkspaceUpdated, view.WorkspaceStatus[p], "request")
			assert.Equal(t, sha(v1), view.Request.File(p).FileID, "the request keeps its copy until updated")

			m = c.mark()
			view, err = s.B.Service.UpdateFiles(ctx, u, id, []string{p})
			require.NoError(t, err)
			assert.Equal(t, airlock.WorkspaceUnderReview, view.WorkspaceStatus[p])
			assert.Equal(t, sha(v2), view.Request.File(p).FileID)
			view, err = s.B.Service.GetRequest(ctx, u, id)
			require.NoError(t, err)
			assert.Equal(t, airlock.WorkspaceUnderReview, view.WorkspaceStatus[p], "request")
			assert.Equal(t, airlock.WorkspaceUnderReview, s.tree(t, u, tc.ws, "output")[p].Status, "tree")
			assert.False(t, s.file(t, u, tc.ws, p).Actions["update"].Allowed, "nothing left to update")

			// The update itself is announced to the author's client.
			eventually(t, "request.changed after the update", func() bool {
				for _, f := range c.since(m) {
					if f.Type == airlock.EventRequestChanged && f.RequestID == id {
						return true
					}
				}
				return false
			}, c.dump)
		})
	}
}
