package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

// readWhile runs read from three goroutines, again and again, until the test ends (or
// read fails, which fails the test).
func readWhile(t *testing.T, read func() error) {
	t.Helper()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				if err := read(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	t.Cleanup(func() {
		stop.Store(true)
		wg.Wait()
	})
}

// writeFile writes content at root/rel, creating folders.
func writeFile(t testing.TB, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// output is one manifest entry.
type output = ManifestOutput

// moderately returns a manifest entry describing content.
func moderately(content string) output {
	return output{Level: "moderately_sensitive", JobID: "job1", Action: "act", Repo: "https://github.com/o/r",
		Commit: "abc123", Size: int64(len(content)), Timestamp: 1715000000.5, ContentHash: sha(content)}
}

func writeManifest(t testing.TB, wsDir string, outputs map[string]output) {
	t.Helper()
	data, err := MarshalManifest(filepath.Base(wsDir), "https://github.com/o/r", outputs)
	require.NoError(t, err)
	writeFile(t, wsDir, ManifestPath, string(data))
}

func assertCode(t *testing.T, err error, code airlock.Code) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, code, airlock.ErrorCode(err), "error: %v", err)
}

func names(es []airlock.TreeEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
		if e.Dir {
			out[i] += "/"
		}
	}
	return out
}
