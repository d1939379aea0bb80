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

var _ service.BlobRemover = (*Store)(nil)

// Remove deletes one request's copy only; removing it again, or a name that is not a blob,
// is not an error and touches nothing.
func TestRemove(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	ctx := context.Background()
	sum, _, err := s.Put(ctx, "ws", "r1", strings.NewReader("x"), "")
	require.NoError(t, err)
	_, _, err = s.Put(ctx, "ws", "r2", strings.NewReader("x"), "")
	require.NoError(t, err)

	require.NoError(t, s.Remove("ws", "r1", sum))
	_, err = s.Path("ws", "r1", sum)
	assertCode(t, err, airlock.CodeNotFound)
	_, err = s.Path("ws", "r2", sum)
	require.NoError(t, err, "the other request's copy stays")
	require.NoError(t, s.Remove("ws", "r1", sum), "already gone")

	for _, bad := range []string{"..", "../r2/" + sum, ".tmp-1"} {
		require.NoError(t, s.Remove("ws", "r2", bad))
		require.NoError(t, s.Remove(bad, "r2", sum))
	}
	_, err = s.Path("ws", "r2", sum)
	require.NoError(t, err)
}
