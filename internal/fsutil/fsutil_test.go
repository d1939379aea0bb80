package fsutil

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openRoot(t *testing.T) (*os.Root, string) {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	t.Cleanup(func() { root.Close() })
	return root, dir
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func write(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWriteFile_ReplacesWholeAndLeavesNoTemp(t *testing.T) {
	root, dir := openRoot(t)
	require.NoError(t, root.Mkdir("sub", 0o755))
	require.NoError(t, WriteFile(root, "sub/a.txt", ".a.tmp-", 0o640, write("first")))
	require.NoError(t, WriteFile(root, "sub/a.txt", ".a.tmp-", 0o640, write("second")))
	got, err := os.ReadFile(filepath.Join(dir, "sub", "a.txt"))
	require.NoError(t, err)
	assert.Equal(t, "second", string(got))
	assert.Equal(t, []string{"a.txt"}, names(t, filepath.Join(dir, "sub")), "no temporary file stays")
	fi, err := os.Stat(filepath.Join(dir, "sub", "a.txt"))
	require.NoError(t, err)
	assert.Zero(t, fi.Mode().Perm()&^0o640, "created with perm less the umask")
}

func TestWriteFile_FailedFillLeavesNameUntouched(t *testing.T) {
	root, dir := openRoot(t)
	require.NoError(t, WriteFile(root, "a.txt", ".tmp-", 0o600, write("kept")))
	boom := errors.New("boom")
	err := WriteFile(root, "a.txt", ".tmp-", 0o600, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return boom
	})
	assert.ErrorIs(t, err, boom)
	got, err := os.ReadFile(filepath.Join(dir, "a.txt"))
	require.NoError(t, err)
	assert.Equal(t, "kept", string(got))
	assert.Equal(t, []string{"a.txt"}, names(t, dir), "the temporary file is removed")
}

func TestCommit_FailedRenameRemovesTemp(t *testing.T) {
	root, dir := openRoot(t)
	tmp, err := CreateTemp(root, ".", ".tmp-", 0o600)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tmp.Name(), ".tmp-"), tmp.Name())
	_, err = tmp.Write([]byte("x"))
	require.NoError(t, err)
	err = tmp.Commit("missing/a.txt") // no such folder
	require.Error(t, err)
	assert.Empty(t, names(t, dir))
	assert.Error(t, tmp.Commit("a.txt"), "a temporary file commits once")
	tmp.Discard() // a no-op now
}

func TestCreateTemp_DiscardAndOutsideRoot(t *testing.T) {
	root, dir := openRoot(t)
	tmp, err := CreateTemp(root, ".", "x-", 0o600)
	require.NoError(t, err)
	assert.Len(t, names(t, dir), 1)
	tmp.Discard()
	tmp.Discard()
	assert.Empty(t, names(t, dir))
	_, err = CreateTemp(root, "..", "x-", 0o600)
	assert.Error(t, err, "a root never writes outside itself")
	assert.Error(t, WriteFile(root, "../escape.txt", "x-", 0o600, write("no")))
	_, err = os.Stat(filepath.Join(filepath.Dir(dir), "escape.txt"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestWriteFileAt(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out.bin")
	require.NoError(t, WriteFileAt(name, ".out.bin.", 0o644, write("content")))
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "content", string(got))
	assert.Error(t, WriteFileAt(filepath.Join(dir, "nope", "x"), ".x.", 0o644, write("no")),
		"the folder must exist")
	assert.Equal(t, []string{"out.bin"}, names(t, dir))
}

func TestReader_StopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := Reader(ctx, strings.NewReader(strings.Repeat("x", 100)))
	buf := make([]byte, 10)
	n, err := r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	cancel()
	n, err = r.Read(buf)
	assert.Zero(t, n)
	assert.ErrorIs(t, err, context.Canceled)
	var out bytes.Buffer
	_, err = io.Copy(&out, Reader(ctx, strings.NewReader("y")))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, out.Len())
}
