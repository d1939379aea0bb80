package filestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

var _ service.Files = (*Store)(nil)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func assertCode(t *testing.T, err error, code airlock.Code) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, code, airlock.ErrorCode(err), "error: %v", err)
}

// entries lists every file left in the request folder.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestPutOpenPath(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	ctx := context.Background()

	sum, size, err := s.Put(ctx, "ws", "req1", strings.NewReader("hello"), "")
	require.NoError(t, err)
	assert.Equal(t, sha("hello"), sum)
	assert.Equal(t, int64(5), size)

	p, err := s.Path("ws", "req1", sum)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "requests", "ws", "req1", sum), p)
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o440), fi.Mode().Perm())
	st, err := s.Stat("ws", "req1", sum)
	require.NoError(t, err)
	assert.Equal(t, int64(5), st.Size())
	assert.Equal(t, fi.ModTime(), st.ModTime())
	_, err = s.Stat("ws", "req1", sha("other"))
	assertCode(t, err, airlock.CodeNotFound)

	rc, err := s.Open("ws", "req1", sum)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "hello", string(b))

	// Same content again, with the right expected hash (upper case accepted): one blob.
	sum2, _, err := s.Put(ctx, "ws", "req1", strings.NewReader("hello"), strings.ToUpper(sha("hello")))
	require.NoError(t, err)
	assert.Equal(t, sum, sum2)
	assert.Equal(t, []string{sum}, entries(t, filepath.Join(root, "requests", "ws", "req1")))

	// Other request: its own copy.
	_, err = s.Path("ws", "req2", sum)
	assertCode(t, err, airlock.CodeNotFound)
	_, _, err = s.Put(ctx, "ws", "req2", strings.NewReader("hello"), "")
	require.NoError(t, err)
	_, err = s.Path("ws", "req2", sum)
	require.NoError(t, err)

	// Empty content is a valid file.
	sum, size, err = s.Put(ctx, "ws", "req1", strings.NewReader(""), "")
	require.NoError(t, err)
	assert.Equal(t, sha(""), sum)
	assert.Zero(t, size)
}

func TestPutHashMismatchLeavesNothing(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	_, _, err := s.Put(context.Background(), "ws", "r", strings.NewReader("changed content"), sha("original"))
	assertCode(t, err, airlock.CodeInvalid)
	assert.Contains(t, airlock.ErrorMessage(err), "changed on disk since the workspace manifest was written")
	assert.Empty(t, entries(t, filepath.Join(root, "requests", "ws", "r")))
}

type failingReader struct {
	data []byte
	n    int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n >= len(f.data) {
		return 0, errors.New("disk on fire")
	}
	k := copy(p, f.data[f.n:min(len(f.data), f.n+7)])
	f.n += k
	return k, nil
}

func TestPutReaderFailsMidway(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	_, _, err := s.Put(context.Background(), "ws", "r", &failingReader{data: []byte(strings.Repeat("x", 100))}, "")
	assertCode(t, err, airlock.CodeInternal)
	assert.Empty(t, entries(t, filepath.Join(root, "requests", "ws", "r")))
}

func TestPutCancelled(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := s.Put(ctx, "ws", "r", strings.NewReader("data"), "")
	require.Error(t, err)
	assert.Empty(t, entries(t, filepath.Join(root, "requests", "ws", "r")))
}

func TestSegmentsValidated(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	ctx := context.Background()
	sum, _, err := s.Put(ctx, "ws", "r", strings.NewReader("x"), "")
	require.NoError(t, err)
	for _, bad := range []string{"", ".", "..", "a/b", "a\\b", "a\x00", ".hidden", "../ws"} {
		_, _, err := s.Put(ctx, bad, "r", strings.NewReader("x"), "")
		assertCode(t, err, airlock.CodeInvalid)
		_, _, err = s.Put(ctx, "ws", bad, strings.NewReader("x"), "")
		assertCode(t, err, airlock.CodeInvalid)
		_, err = s.Open(bad, "r", sum)
		assertCode(t, err, airlock.CodeNotFound)
		_, err = s.Open("ws", bad, sum)
		assertCode(t, err, airlock.CodeNotFound)
		_, err = s.Open("ws", "r", bad)
		assertCode(t, err, airlock.CodeNotFound)
	}
	// File ids are SHA-256 hex only: temporary names and other files are unreachable.
	for _, bad := range []string{"../r/" + sum, strings.ToUpper(sum), sum[:63], sum + "0"} {
		_, err := s.Path("ws", "r", bad)
		assertCode(t, err, airlock.CodeNotFound)
	}
	// A symlink planted as a blob is not followed.
	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("s"), 0o600))
	fake := sha("s")
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "requests", "ws", "r", fake)))
	_, err = s.Open("ws", "r", fake)
	assertCode(t, err, airlock.CodeNotFound)
}

// Sweep removes temporary files and unkept blobs older than the cut-off, and never a kept
// blob, a younger file or a name the store does not write.
func TestSweep(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	keepSum, _, err := s.Put(context.Background(), "ws", "r1", strings.NewReader("keep"), "")
	require.NoError(t, err)
	dropSum, _, err := s.Put(context.Background(), "ws", "r1", strings.NewReader("drop"), "")
	require.NoError(t, err)
	dir := filepath.Join(root, "requests", "ws", "r1")
	for _, name := range []string{".tmp-1", "notes.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600))
	}
	entries, err := s.List("ws", "r1")
	require.NoError(t, err)
	kinds := map[string]Kind{}
	for _, e := range entries {
		kinds[e.Name] = e.Kind
	}
	assert.Equal(t, map[string]Kind{keepSum: KindBlob, dropSum: KindBlob,
		".tmp-1": KindTemp, "notes.txt": KindOther}, kinds)

	removed, err := s.Sweep("ws", "r1", map[string]bool{keepSum: true}, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Empty(t, removed, "everything is younger than the cut-off")
	removed, err = s.Sweep("ws", "r1", map[string]bool{keepSum: true}, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{dropSum, ".tmp-1"}, removed)
	assert.FileExists(t, filepath.Join(dir, keepSum))
	assert.FileExists(t, filepath.Join(dir, "notes.txt"))

	folders, err := s.Folders()
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"ws": {"r1"}}, folders)
	require.NoError(t, s.Verify("ws", "r1", keepSum, 4, true))
	assert.ErrorContains(t, s.Verify("ws", "r1", keepSum, 5, false), "has 4 bytes, the database says 5")
	assert.ErrorContains(t, s.Verify("ws", "r1", dropSum, 4, false), "missing")
}
