package workspace

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRescannerReportsWhatMoved(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "nfs/keep.csv", "k")
	writeFile(t, root, "nfs/sub/change.csv", "v1")
	writeFile(t, root, "nfs/gone.csv", "g")
	r := newRescanner(root)
	require.True(t, r.follow("nfs"))
	assert.False(t, r.follow("nfs"), "already followed")
	assert.Empty(t, r.rescan(), "nothing moved")

	writeFile(t, root, "nfs/sub/change.csv", "v2, longer")
	writeFile(t, root, "nfs/new/a.csv", "a")
	writeFile(t, root, "nfs/.hidden/x.csv", "x")
	writeFile(t, root, "nfs/.tmp.csv", "x")
	require.NoError(t, os.Remove(filepath.Join(root, "nfs", "gone.csv")))
	assert.Equal(t, []rescanChange{
		{pathKey{"nfs", "gone.csv"}, fsnotify.Remove},
		{pathKey{"nfs", "new"}, fsnotify.Write},
		{pathKey{"nfs", "new/a.csv"}, fsnotify.Write},
		{pathKey{"nfs", "sub/change.csv"}, fsnotify.Write},
	}, r.rescan())
	assert.Empty(t, r.rescan(), "each change is reported once")

	// The same size and a new modification time is a change too.
	p := filepath.Join(root, "nfs", "keep.csv")
	require.NoError(t, os.Chtimes(p, time.Now(), time.Now().Add(time.Hour)))
	assert.Equal(t, []rescanChange{{pathKey{"nfs", "keep.csv"}, fsnotify.Write}}, r.rescan())
	assert.Equal(t, uint64(4), r.rescans)
	assert.Equal(t, []string{"nfs"}, r.followed())

	r.drop("nfs")
	assert.False(t, r.following("nfs"))
	assert.Empty(t, r.rescan())
	assert.Nil(t, r.followed())
}

func TestRescannerFollowsTheRoot(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "old/a.csv", "a")
	writeFile(t, root, "stays/a.csv", "a")
	r := newRescanner(root)
	added, gone := r.rescanRoot()
	assert.Nil(t, added, "the root is not followed yet")
	assert.Nil(t, gone)
	require.True(t, r.followRoot())
	assert.False(t, r.followRoot())
	assert.True(t, r.rootFollowed())

	require.NoError(t, os.RemoveAll(filepath.Join(root, "old")))
	writeFile(t, root, "new/a.csv", "a")
	writeFile(t, root, ".hidden/a.csv", "a")
	writeFile(t, root, "file.txt", "not a workspace")
	added, gone = r.rescanRoot()
	assert.Equal(t, []string{"new"}, added)
	assert.Equal(t, []string{"old"}, gone)
	added, gone = r.rescanRoot()
	assert.Empty(t, added)
	assert.Empty(t, gone)
	r.follow("new")
	assert.Equal(t, []string{"", "new"}, r.followed(), "the root is listed as \"\"")
}
