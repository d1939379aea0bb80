package release_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/release"
)

// pausingReader gives the first `at` bytes of data, then says so on reached and waits for
// resume before giving the rest: a write caught in the middle, for as long as the test wants.
type pausingReader struct {
	data    []byte
	at, pos int
	reached chan struct{}
	resume  chan struct{}
	once    sync.Once
}

func (p *pausingReader) Read(b []byte) (int, error) {
	if p.pos >= len(p.data) {
		return 0, io.EOF
	}
	if p.pos >= p.at {
		p.once.Do(func() { close(p.reached) })
		<-p.resume
	}
	end := len(p.data)
	if p.pos < p.at {
		end = p.at
	}
	n := copy(b, p.data[p.pos:end])
	p.pos += n
	return n, nil
}

// temps lists the outbox's temporary files below dir.
func temps(t *testing.T, dir string) []string {
	var out []string
	for _, p := range listFiles(t, dir) {
		if strings.Contains(p, ".airlock-tmp-") {
			out = append(out, p)
		}
	}
	return out
}

// Several servers share one release folder (docs/operations.md, "The shared data folder").
// A server that starts delivering into a request folder while another server is writing a
// file there leaves the other's temporary file alone (it is a write in progress, not a
// leftover), and the other's delivery completes. Then both servers deliver every file of a
// request at once, several times over: each file ends up in place once, byte-identical,
// release.json lists them all, and no temporary file is left.
func TestOutbox_SharedFolder(t *testing.T) {
	dir := t.TempDir()
	a, b := newOutbox(t, dir), newOutbox(t, dir)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	files := content{"output/big.csv": big, "output/a.csv": []byte("a,b\n1,2\n"), "output/top.md": []byte("# hi\n")}
	r := approvedRequest("01HSHARED", files)
	reqDir := filepath.Join(dir, "ws1", "01HSHARED")

	// A is half-way through the big file when B first uses the folder.
	pr := &pausingReader{data: big, at: len(big) / 2, reached: make(chan struct{}), resume: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		done <- a.Upload(context.Background(), r, r.File("output/big.csv"), func() (io.ReadCloser, error) {
			return io.NopCloser(pr), nil
		})
	}()
	select {
	case <-pr.reached:
	case err := <-done:
		t.Fatalf("A's upload ended before its pause: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("A's upload did not reach its pause within a minute")
	}
	require.Len(t, temps(t, dir), 1, "A's write in progress")
	for _, p := range []string{"output/a.csv", "output/top.md"} {
		require.NoError(t, b.Upload(context.Background(), r, r.File(p), opener(files[p])))
	}
	assert.Len(t, temps(t, dir), 1, "B's first use of the folder left A's temporary file alone")
	assert.NoFileExists(t, filepath.Join(reqDir, release.ManifestName), "not complete yet")
	close(pr.resume)
	select {
	case err := <-done:
		require.NoError(t, err, "A's delivery completes")
	case <-time.After(time.Minute):
		t.Fatal("A's upload did not finish within a minute")
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(reqDir, filepath.FromSlash(p)))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "%s intact", p)
	}
	m := readManifest(t, filepath.Join(reqDir, release.ManifestName))
	assert.Len(t, m.Files, 3, "A, finishing last, wrote release.json")
	assert.Empty(t, temps(t, dir))

	// Both servers deliver every file of another request at once, several times.
	r2 := approvedRequest("01HBOTH", files)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 4 {
		for _, o := range []*release.Outbox{a, b} {
			for _, f := range release.ReleasedFiles(r2) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := o.Upload(context.Background(), r2, f, opener(files[f.RelPath])); err != nil {
						errs <- err
					}
				}()
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	dir2 := filepath.Join(dir, "ws1", "01HBOTH")
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dir2, filepath.FromSlash(p)))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "%s intact", p)
	}
	assert.Len(t, readManifest(t, filepath.Join(dir2, release.ManifestName)).Files, 3)
	assert.Empty(t, temps(t, dir), "no temporary file left")
	assert.Len(t, listFiles(t, dir), 8, "each file once, and the two release.json")
}

// The recovery sweep of one server removes only temporary files older than the grace
// period: what a killed server left long ago, never what another server is writing now.
func TestOutbox_SweepTempsByAge(t *testing.T) {
	dir := t.TempDir()
	o := newOutbox(t, dir)
	out := filepath.Join(dir, "ws1", "01HOLD", "output")
	require.NoError(t, os.MkdirAll(out, 0o755))
	stale := filepath.Join(out, ".big.csv.airlock-tmp-0000000000000001")
	live := filepath.Join(out, ".other.csv.airlock-tmp-0000000000000002")
	other := filepath.Join(out, ".notes")
	for _, p := range []string{stale, live, other} {
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o644))
	}
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	require.NoError(t, os.Chtimes(other, old, old))

	removed, err := o.SweepTemps(time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []string{"ws1/01HOLD/output/.big.csv.airlock-tmp-0000000000000001"}, removed)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, live, "a recent temporary file is another server's write in progress")
	assert.FileExists(t, other, "a name the outbox never writes is not touched")
}
