package cli

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeBigCSV writes a CSV file of about mib MiB (many short rows) to p.
func writeBigCSV(t *testing.T, p string, mib int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
	f, err := os.Create(p)
	require.NoError(t, err)
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "id,group,value")
	var chunk strings.Builder
	for i := 0; chunk.Len() < 1<<20; i++ {
		fmt.Fprintf(&chunk, "%d,g%d,%d\n", i, i%7, (i*37)%1000)
	}
	for range mib {
		_, err = w.WriteString(chunk.String())
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
}

// indexingGoroutines counts goroutines running the CSV engine's background indexing.
func indexingGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "backend/render.(*Tables).startBackground") {
			n++
		}
	}
	return n
}

// TestServeStopsBackgroundIndexing: the server's table routes use the backend's CSV engine,
// and stopping the server while a large file is being indexed in the background stops the
// indexing with it: serve returns, and no indexing goroutine is left behind.
func TestServeStopsBackgroundIndexing(t *testing.T) {
	d := demoDir(t)
	// A workspace without a manifest: every file is an output. The file is well over the
	// size that is indexed in the background after its first page.
	writeBigCSV(t, filepath.Join(d, "workspaces", "bigdata", "output", "big.csv"), 128)
	s := startServe(t, "--data-dir", d)
	olivia := login(t, s.url, "olivia", "olivia-demo")
	require.Zero(t, indexingGoroutines())

	status, body := get(t, s.url+"/api/v1/workspaces/bigdata/table/output/big.csv?limit=5", olivia)
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"totalRowsExact":false`, "the first page was answered before the whole file was indexed")
	require.Equal(t, 1, indexingGoroutines(), "indexing runs in the background")

	require.NoError(t, s.stop(t))
	assert.Zero(t, indexingGoroutines(), "indexing stopped with the server")
}
