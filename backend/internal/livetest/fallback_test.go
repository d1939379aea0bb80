package livetest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/cli"
	"github.com/trelab/airlock/backend/contract"
)

const (
	msgWorkspaceRescan = "workspace watcher: rescanning workspace periodically"
	msgRootRescan      = "workspace watcher: rescanning the workspaces root periodically"
)

type healthz struct {
	Status  string `json:"status"`
	Details struct {
		Watcher struct {
			Mode       string   `json:"mode"`
			Workspaces []string `json:"workspaces"`
			Root       bool     `json:"root"`
			Reason     string   `json:"reason"`
		} `json:"watcher"`
	} `json:"details"`
}

func getHealth(t *testing.T, s *server) (healthz, string) {
	t.Helper()
	status, body := httpGet(t, s.URL+"/healthz")
	require.Equal(t, http.StatusOK, status, "a degraded watcher keeps the server healthy: %s", body)
	var h healthz
	require.NoError(t, json.Unmarshal([]byte(body), &h), body)
	return h, body
}

// limitAt returns an AddWatch hook that fails like an exhausted inotify watch limit
// (ENOSPC) for the folder under and below it, as if the watches ran out there.
func limitAt(under func() string) func(dir string) error {
	return func(dir string) error {
		u := under()
		if dir == u || strings.HasPrefix(dir, u+string(filepath.Separator)) {
			return syscall.ENOSPC
		}
		return nil
	}
}

// TestWatchLimitFallsBackToRescanning forces the inotify watch limit in the served
// process: the workspaces it hits are rescanned periodically, changes in them still reach
// clients and queries, /healthz and /metrics say so, and the log says so once.
func TestWatchLimitFallsBackToRescanning(t *testing.T) {
	t.Run("limit reached at one workspace", func(t *testing.T) {
		var root string
		s := start(t, config{
			users: []account{alice},
			files: map[string]string{
				"study/output/a.csv":         "a\n",
				"study/output/sub/b.csv":     "b\n",
				"manifested/output/keep.csv": "k\n",
			},
			configure: func(b *cli.Backend) {
				root = b.Settings.WorkspacesDir
				b.Watcher.AddWatch = limitAt(func() string { return filepath.Join(root, "study") })
				b.Watcher.RescanInterval = 200 * time.Millisecond
			},
		})
		a := login(t, s.URL, alice)
		c := dial(t, s.URL, a, nil)

		h, body := getHealth(t, s)
		assert.Equal(t, "ok", h.Status)
		assert.Equal(t, "rescanning", h.Details.Watcher.Mode, body)
		assert.Equal(t, []string{"study"}, h.Details.Watcher.Workspaces, body)
		assert.False(t, h.Details.Watcher.Root, body)
		assert.Contains(t, h.Details.Watcher.Reason, "max_user_watches", body)
		assert.Equal(t, float64(1), metric(t, s.URL, "airlock_watcher_degraded_workspaces"))
		// root, manifested, manifested/output: study's folders are not watched.
		assert.Equal(t, float64(3), metric(t, s.URL, "airlock_watcher_watched_dirs"))

		// Changes in the rescanned workspace are still seen.
		m := c.mark()
		writeFile(t, s.path("study/output/new.csv"), "n\n")
		writeFile(t, s.path("study/output/deep/er/z.csv"), "z\n")
		require.NoError(t, os.WriteFile(s.path("study/output/a.csv"), []byte("a2\n"), 0o644))
		require.NoError(t, os.Remove(s.path("study/output/sub/b.csv")))
		c.waitPaths(t, m, "study", "output/new.csv", "output/deep/er/z.csv", "output/a.csv", "output/sub/b.csv")
		tree := s.tree(t, a, "study", "output")
		assert.Contains(t, tree, "output/new.csv")
		assert.Equal(t, contract.KindDir, tree["output/deep"].Kind)
		assert.NotContains(t, tree, "output/sub", "its only file is gone")
		assert.Equal(t, sha("a2\n"), s.file(t, a, "study", "output/a.csv").SHA256)
		assert.Equal(t, float64(3), metric(t, s.URL, "airlock_watcher_watched_dirs"), "no watch was added in study")

		// The other workspace still runs on events.
		m = c.mark()
		writeFile(t, s.path("manifested/output/also.csv"), "x\n")
		c.waitPaths(t, m, "manifested", "output/also.csv")

		// Rescans keep happening; the log said so once.
		before := metric(t, s.URL, "airlock_watcher_rescans_total")
		assert.Positive(t, before)
		eventually(t, "three more rescans", func() bool {
			return metric(t, s.URL, "airlock_watcher_rescans_total") >= before+3
		}, noDetail)
		recs := logRecords(t, s.Logs, msgWorkspaceRescan)
		require.Len(t, recs, 1, s.Logs.String())
		assert.Equal(t, "study", recs[0]["workspace"])
		assert.Equal(t, "WARN", recs[0]["level"])
		assert.Empty(t, logRecords(t, s.Logs, msgRootRescan))
	})

	t.Run("no watch at all", func(t *testing.T) {
		s := start(t, config{
			users: []account{alice},
			files: map[string]string{"study/output/a.csv": "a\n"},
			configure: func(b *cli.Backend) {
				b.Watcher.AddWatch = func(string) error { return syscall.ENOSPC }
				b.Watcher.RescanInterval = 200 * time.Millisecond
			},
		})
		a := login(t, s.URL, alice)
		c := dial(t, s.URL, a, nil)

		h, body := getHealth(t, s)
		assert.True(t, h.Details.Watcher.Root, body)
		assert.Equal(t, []string{"study"}, h.Details.Watcher.Workspaces, body)
		assert.Equal(t, float64(0), metric(t, s.URL, "airlock_watcher_watched_dirs"))

		// A new workspace is found by rescanning the root, and then followed itself.
		m := c.mark()
		writeFile(t, s.path("late/output/first.csv"), "f\n")
		c.waitWorkspace(t, m, "late")
		assert.Contains(t, s.tree(t, a, "late", "output"), "output/first.csv")
		m = c.mark()
		writeFile(t, s.path("late/output/second.csv"), "s\n")
		writeFile(t, s.path("study/output/b.csv"), "b\n")
		c.waitPaths(t, m, "late", "output/second.csv")
		c.waitPaths(t, m, "study", "output/b.csv")
		assert.Contains(t, s.tree(t, a, "late", "output"), "output/second.csv")

		h, body = getHealth(t, s)
		assert.Equal(t, []string{"late", "study"}, h.Details.Watcher.Workspaces, body)
		require.Len(t, logRecords(t, s.Logs, msgRootRescan), 1, s.Logs.String())
		assert.Len(t, logRecords(t, s.Logs, msgWorkspaceRescan), 2, "once per workspace")
	})

	t.Run("healthy watcher adds no details", func(t *testing.T) {
		s := start(t, config{users: []account{alice}, files: map[string]string{"study/output/a.csv": "a\n"}})
		status, body := httpGet(t, s.URL+"/healthz")
		assert.Equal(t, http.StatusOK, status)
		var h map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &h), body)
		assert.Equal(t, "ok", h["status"], body)
		assert.NotContains(t, h, "details", "no details; the data check may be reported: %s", body)
	})
}
