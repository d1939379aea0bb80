package replicatest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// metric reads one unlabelled value from a server's /metrics.
func metric(t testing.TB, s *server, name string) float64 {
	t.Helper()
	status, body := call(t, s, nil, "GET", "/metrics", nil, nil)
	require.Equal(t, 200, status, body)
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err, line)
			return f
		}
	}
	t.Fatalf("%s: no %s in /metrics", s.name, name)
	return 0
}

// leftovers lists the temporary files under dir: the file store's (".tmp-…") and the
// outbox's ("….airlock-tmp-…").
func leftovers(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasPrefix(d.Name(), ".tmp-") || strings.Contains(d.Name(), ".airlock-tmp-")) {
			out = append(out, p)
		}
		return nil
	}))
	return out
}

// Two servers on one database and one shared data folder, releasing to the outbox folder
// in it (no job-server): both write the same content into one request's file store folder
// at once, and both deliver the released files into one release folder at once (every
// server's uploader works, each file under its claim). Every file is delivered exactly once
// (one attempt in all, counted by the servers), byte-identical, release.json lists them
// all, no temporary file is left in the file store or the outbox, and `airlock check`
// finds file store, outbox and database in agreement.
func TestTwoServersReleaseToSharedOutbox(t *testing.T) {
	c := newCluster(t)
	c.outbox = true

	// Files large enough for the writes of the two servers to overlap: two with the same
	// content, and a batch of different ones.
	contents := map[string][]byte{}
	same := []byte(strings.Repeat("identical on both servers\n", 60000))
	contents["output/same/one.txt"], contents["output/same/two.txt"] = same, same
	var batchA, batchB []string
	for i := range 24 {
		p := fmt.Sprintf("output/batch/note%02d.txt", i)
		contents[p] = []byte(strings.Repeat(fmt.Sprintf("line %d %s\n", i, strings.Repeat("x", i)), 20000+i*500))
		if i%2 == 0 {
			batchA = append(batchA, p)
		} else {
			batchB = append(batchB, p)
		}
	}
	for p, b := range contents {
		full := filepath.Join(c.wsRoot, workspace, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, b, 0o644))
	}
	for p, body := range outputs {
		contents[p] = []byte(body)
	}

	a, b := c.start("a"), c.start("b")
	alice, status := login(t, a, "alice", "alice-token")
	require.Equal(t, 200, status, "users-file login")
	olivia, _ := login(t, b, "olivia", "olivia-token")
	oscar, _ := login(t, a, "oscar", "oscar-token")

	var r reqView
	must(t, a, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	id := r.ID
	addFiles(t, a, alice, id, "output/counts.csv", "output/rates.csv", "output/summary.txt", "output/ages.csv", "output/later/tab.csv")

	// The researcher adds from both servers at once: the same content under two names,
	// and half of the batch each.
	adds := map[*server][]string{a: append([]string{"output/same/one.txt"}, batchA...), b: append([]string{"output/same/two.txt"}, batchB...)}
	var wg sync.WaitGroup
	results := make(chan string, 2)
	for s, paths := range adds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var files []map[string]string
			for _, p := range paths {
				files = append(files, map[string]string{"path": p, "fileType": "OUTPUT"})
			}
			status, body := call(t, s, alice, "POST", "/api/v1/requests/"+id+"/files", map[string]any{"group": "results", "files": files}, nil)
			if status < 200 || status >= 300 {
				results <- fmt.Sprintf("add on %s: %d %s", s.name, status, body)
			}
		}()
	}
	wg.Wait()
	close(results)
	for msg := range results {
		t.Error(msg)
	}
	require.False(t, t.Failed())
	require.Len(t, getRequest(t, b, alice, id).paths(), len(contents))

	// The file store: one blob per distinct content, each named by its hash, intact.
	blobs, err := os.ReadDir(filepath.Join(c.data, "requests", workspace, id))
	require.NoError(t, err)
	want := map[string]bool{}
	for _, content := range contents {
		want[sha(content)] = true
	}
	var names []string
	for _, e := range blobs {
		names = append(names, e.Name())
		data, err := os.ReadFile(filepath.Join(c.data, "requests", workspace, id, e.Name()))
		require.NoError(t, err)
		assert.Equal(t, e.Name(), sha(data), "blob %s intact", e.Name())
	}
	assert.Len(t, names, len(want), "one blob per distinct content: %v", names)
	assert.Empty(t, leftovers(t, filepath.Join(c.data, "requests")))

	must(t, a, alice, "POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	review(t, b, olivia, id)
	review(t, a, oscar, id)

	// Released on B; A hears of it and its uploader starts too.
	must(t, b, olivia, "POST", "/api/v1/requests/"+id+"/release", nil, nil)
	require.Eventually(t, func() bool {
		var v reqView
		status, _ := call(t, a, alice, "GET", "/api/v1/requests/"+id, nil, &v)
		return status == 200 && v.Status == "RELEASED"
	}, 2*time.Minute, 50*time.Millisecond, "the request released and every file delivered")

	out := filepath.Join(c.data, "released", workspace, id)
	for p, content := range contents {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
		require.NoError(t, err, p)
		assert.Equal(t, sha(content), sha(got), "%s delivered byte-identical", p)
	}
	data, err := os.ReadFile(filepath.Join(out, "release.json"))
	require.NoError(t, err)
	var m struct {
		RequestID string `json:"requestId"`
		Files     []struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	require.NoError(t, json.Unmarshal(data, &m))
	assert.Equal(t, id, m.RequestID)
	var listed, expected []string
	for _, f := range m.Files {
		listed = append(listed, f.Path+" "+f.SHA256)
	}
	for p, content := range contents {
		expected = append(expected, p+" "+sha(content))
	}
	sort.Strings(listed)
	sort.Strings(expected)
	assert.Equal(t, expected, listed, "release.json lists every released file")
	var delivered []string
	require.NoError(t, filepath.WalkDir(filepath.Join(c.data, "released"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			delivered = append(delivered, filepath.ToSlash(rel))
		}
		return err
	}))
	assert.Len(t, delivered, len(contents)+1, "the released files and release.json, nothing else: %v", delivered)
	assert.Empty(t, leftovers(t, c.data), "no temporary file left in the shared folder")

	// Exactly once: one attempt per file across both servers, none failed.
	var attempts, uploaded float64
	for _, s := range []*server{a, b} {
		n := metric(t, s, "airlock_upload_attempts_total")
		attempts += n
		uploaded += metric(t, s, "airlock_uploaded_files_total")
		assert.Zero(t, metric(t, s, "airlock_upload_failures_total"), "%s: no failed delivery", s.name)
		t.Logf("server %s delivered %.0f of %d files", s.name, n, len(contents))
	}
	assert.Equal(t, float64(len(contents)), attempts, "one attempt per file across the servers")
	assert.Equal(t, float64(len(contents)), uploaded)

	// The file store, the outbox and the database agree (a third process on the share).
	got, err := c.command("check")
	require.NoError(t, err, "airlock check: %s", got)
	assert.Contains(t, got, "consistent: ")
}

// A server killed (SIGKILL) while it writes a released file into the shared outbox: the
// other server delivers the file, intact, under its own temporary name; the killed server's
// temporary file stays (it is recent: it could be a write in progress) and is no problem for
// `airlock check`, until a sweep finds it older than the grace and removes it.
func TestKilledServerOutboxWriteTakenOver(t *testing.T) {
	c := newCluster(t)
	c.outbox = true
	const bigPath = "output/big.txt"
	line := []byte("a long output line, written many times over to make a big file\n")
	size := 64 << 20
	h := sha256.New()
	full := filepath.Join(c.wsRoot, workspace, filepath.FromSlash(bigPath))
	f, err := os.Create(full)
	require.NoError(t, err)
	for written := 0; written < size; written += len(line) {
		_, err = f.Write(line)
		require.NoError(t, err)
		h.Write(line)
	}
	require.NoError(t, f.Close())
	want := hex.EncodeToString(h.Sum(nil))
	fi, err := os.Stat(full)
	require.NoError(t, err)

	servers := map[string]*server{"a": c.start("a"), "b": c.start("b")}
	a, b := servers["a"], servers["b"]
	alice, _ := login(t, a, "alice", "alice-token")
	olivia, _ := login(t, b, "olivia", "olivia-token")
	oscar, _ := login(t, a, "oscar", "oscar-token")
	var r reqView
	must(t, a, alice, "POST", "/api/v1/requests", map[string]string{"workspace": workspace}, &r)
	id := r.ID
	addFiles(t, a, alice, id, bigPath)
	must(t, a, alice, "POST", "/api/v1/requests/"+id+"/submit", nil, nil)
	review(t, b, olivia, id)
	review(t, a, oscar, id)
	must(t, b, olivia, "POST", "/api/v1/requests/"+id+"/release", nil, nil)

	// Caught in the first half of the copy.
	outDir := filepath.Join(c.data, "released", workspace, id, "output")
	midCopy := func() bool {
		entries, err := os.ReadDir(outDir)
		if err != nil {
			return false
		}
		for _, e := range entries {
			if strings.Contains(e.Name(), ".airlock-tmp-") {
				if info, err := e.Info(); err == nil && info.Size() > 0 && info.Size() < fi.Size()/2 {
					return true
				}
			}
		}
		return false
	}
	require.Eventually(t, midCopy, 2*time.Minute, time.Millisecond, "the big file's delivery in progress")
	holder := claimHolder(t, c.db)
	require.Contains(t, servers, holder, "the claim is held by a server")
	require.NoError(t, servers[holder].proc.Cmd.Process.Signal(syscall.SIGKILL))
	require.Eventually(t, servers[holder].proc.Exited, time.Minute, 10*time.Millisecond)
	other := a
	if holder == "a" {
		other = b
	}

	require.Eventually(t, func() bool {
		var v reqView
		status, _ := call(t, other, alice, "GET", "/api/v1/requests/"+id, nil, &v)
		return status == 200 && v.Status == "RELEASED"
	}, 2*time.Minute, 50*time.Millisecond, "released by %s", other.name)
	data, err := os.ReadFile(filepath.Join(outDir, "big.txt"))
	require.NoError(t, err)
	assert.Equal(t, want, sha(data), "delivered intact by %s", other.name)
	assert.FileExists(t, filepath.Join(c.data, "released", workspace, id, "release.json"))
	left := leftovers(t, filepath.Join(c.data, "released"))
	require.Len(t, left, 1, "the killed server's temporary file stays while it is recent")

	got, err := c.command("check")
	require.NoError(t, err, "a recent temporary file is no problem: %s", got)
	assert.Contains(t, got, "(1 recent temporary or unreferenced files not counted")
	got, err = c.command("check", "--sweep", "--recovery-grace", "0s")
	require.NoError(t, err, got)
	rel, _ := filepath.Rel(filepath.Join(c.data, "released"), left[0])
	assert.Contains(t, got, "removed outbox/"+filepath.ToSlash(rel))
	assert.Empty(t, leftovers(t, c.data))
}
