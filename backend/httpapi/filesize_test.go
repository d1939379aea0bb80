package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/testenv"
)

// A file over the configured size limit (docs/decisions.md §8): adding or updating it
// answers 413 too_large with the domain's reason, which the file detail's actions give too.
func TestFileOverSizeLimit(t *testing.T) {
	p := airlock.DefaultPolicy()
	p.MaxFileSize = 1 << 10
	h := newAPI(t, testenv.WithPolicy(p))
	env := h.env
	r := testenv.CreateRequestAtStatus(t, env, testenv.Researcher(), airlock.StatusPending, testenv.File("output/kept.csv"))
	env.WriteFile(t, testenv.Workspace, "output/big.csv", strings.Repeat("x", 1536))
	env.WriteFile(t, testenv.Workspace, "output/kept.csv", strings.Repeat("y", 2048))
	c := h.login(t, "researcher")
	const bigReason = "File output/big.csv is 1.5 KiB, larger than the limit of 1 KiB for files on a request"
	const keptReason = "File output/kept.csv is 2 KiB, larger than the limit of 1 KiB for files on a request"
	before := c.requestJSON(r.ID)

	t.Run("add: 413 too_large with the reason, nothing changed", func(t *testing.T) {
		resp := c.do("POST", "/api/v1/requests/"+r.ID+"/files",
			map[string]any{"group": "g", "files": []map[string]string{{"path": "output/big.csv", "fileType": "OUTPUT"}}}, nil)
		resp.want(t, 413, airlock.CodeTooLarge)
		var body map[string]map[string]string
		require.NoError(t, json.Unmarshal(resp.body, &body), "%s", resp.body)
		assert.Equal(t, map[string]map[string]string{"error": {"code": "too_large", "message": bigReason}}, body)
		assert.Equal(t, before, c.requestJSON(r.ID))
		assert.Len(t, env.Blobs(t, testenv.Workspace, r.ID), 1, "only the copy of the file already on the request")
	})

	t.Run("update: 413 too_large with the reason, nothing changed", func(t *testing.T) {
		resp := c.do("POST", "/api/v1/requests/"+r.ID+"/files/update", map[string]any{"paths": []string{"output/kept.csv"}}, nil)
		resp.want(t, 413, airlock.CodeTooLarge)
		assert.Equal(t, keptReason, resp.errorMessage())
		assert.Equal(t, before, c.requestJSON(r.ID))
	})

	t.Run("the file detail's actions give the same reasons", func(t *testing.T) {
		type detail struct {
			Actions map[string]airlock.ActionState `json:"actions"`
		}
		var d detail
		resp := c.do("GET", "/api/v1/workspaces/"+testenv.Workspace+"/files/output/big.csv", nil, nil)
		resp.want(t, 200, "")
		resp.decode(t, &d)
		assert.Equal(t, airlock.ActionState{Shown: true, Reason: bigReason}, d.Actions["add"])

		d = detail{}
		resp = c.do("GET", "/api/v1/workspaces/"+testenv.Workspace+"/files/output/kept.csv", nil, nil)
		resp.want(t, 200, "")
		resp.decode(t, &d)
		assert.Equal(t, airlock.ActionState{Shown: true, Reason: keptReason}, d.Actions["update"])
	})

	t.Run("the request's file actions give the update reason too", func(t *testing.T) {
		var req struct {
			Groups []struct {
				Files []struct {
					Path    string                         `json:"path"`
					Actions map[string]airlock.ActionState `json:"actions"`
				} `json:"files"`
			} `json:"groups"`
		}
		resp := c.do("GET", "/api/v1/requests/"+r.ID, nil, nil)
		resp.want(t, 200, "")
		resp.decode(t, &req)
		require.Len(t, req.Groups, 1)
		require.Len(t, req.Groups[0].Files, 1)
		assert.Equal(t, airlock.ActionState{Shown: true, Reason: keptReason}, req.Groups[0].Files[0].Actions["update"])
	})
}
