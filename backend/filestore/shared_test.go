package filestore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Several servers share one data folder (docs/operations.md, "The shared data folder"):
// stores on the same root write the same and different contents into one request folder
// at once. Every writer gets the content's name, every stored copy reads back whole, and
// no temporary file is left: names are content hashes, and each copy is written to a
// private temporary name, fsynced, and renamed.
func TestConcurrentWritersOnOneFolder(t *testing.T) {
	root := t.TempDir()
	servers := []*Store{New(root), New(root), New(root)}
	same := strings.Repeat("same content\n", 20000)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := servers[i%len(servers)]
			content := same
			if i%3 == 0 {
				content = fmt.Sprintf("different %d\n", i)
			}
			sum, size, err := s.Put(ctx, "ws", "r1", strings.NewReader(content), "")
			if err != nil {
				errs <- err
				return
			}
			if sum != sha(content) || size != int64(len(content)) {
				errs <- fmt.Errorf("writer %d: got %s %d", i, sum, size)
				return
			}
			// Another server reads it at once.
			f, err := servers[(i+1)%len(servers)].Open("ws", "r1", sum)
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(f)
			_ = f.Close()
			if err != nil || string(b) != content {
				errs <- fmt.Errorf("writer %d: read back %d bytes, err %v", i, len(b), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	names := entries(t, filepath.Join(root, "requests", "ws", "r1"))
	assert.Len(t, names, 1+10, "one copy of the shared content and one of each different one")
	for _, n := range names {
		require.False(t, strings.HasPrefix(n, tempPrefix), "temporary file %s left behind", n)
	}
}

// The recovery sweep of one server and an add of another race on a blob no request refers
// to any more (left by a file removed from the request long ago): the sweep finds it old,
// while the add, storing the same content, finds it in place. Whatever the order, once Put
// has returned the blob is there, so the reference the add then commits is never left
// without its copy. Each round starts both at once on a fresh folder.
func TestSweepNeverRemovesWhatAPutJustStored(t *testing.T) {
	root := t.TempDir()
	sweeper, adder := New(root), New(root)
	content := strings.Repeat("an output kept for a long time\n", 2000)
	ctx := context.Background()
	old := time.Now().Add(-2 * time.Hour)
	for i := range 100 {
		id := fmt.Sprintf("r%03d", i)
		sum, _, err := adder.Put(ctx, "ws", id, strings.NewReader(content), "")
		require.NoError(t, err)
		p, err := adder.Path("ws", id, sum)
		require.NoError(t, err)
		require.NoError(t, os.Chtimes(p, old, old))

		start := make(chan struct{})
		var wg sync.WaitGroup
		var putErr, sweepErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, _, putErr = adder.Put(ctx, "ws", id, strings.NewReader(content), sum)
		}()
		go func() {
			defer wg.Done()
			<-start
			_, sweepErr = sweeper.Sweep("ws", id, nil, time.Now().Add(-time.Hour))
		}()
		close(start)
		wg.Wait()
		require.NoError(t, putErr)
		require.NoError(t, sweepErr)
		require.NoError(t, adder.Verify("ws", id, sum, int64(len(content)), true),
			"round %d: the copy Put just stored was swept", i)
		for _, e := range entries(t, filepath.Join(root, "requests", "ws", id)) {
			require.False(t, strings.HasPrefix(e, tempPrefix), "round %d: temporary file %s left behind", i, e)
		}
	}
}

// The narrowest case of the race above: the add's marking of the stored content as just
// stored has looked the name up but lands only after another server's sweep has taken the
// file aside, found it old and removed it. Put looks at the name again after marking it,
// finds it gone and stores its own copy, so the reference the add commits has its copy.
func TestPutStoresItsCopyWhenASweepRemovedTheFileItMarked(t *testing.T) {
	root := t.TempDir()
	sweeper, adder := New(root), New(root)
	content := "kept for a long time\n"
	ctx := context.Background()
	old := time.Now().Add(-2 * time.Hour)
	sum, _, err := adder.Put(ctx, "ws", "r1", strings.NewReader(content), "")
	require.NoError(t, err)
	p, err := adder.Path("ws", "r1", sum)
	require.NoError(t, err)
	require.NoError(t, os.Chtimes(p, old, old))

	var removed []string
	afterTouch = func(name string) {
		// The sweep saw the time from before the mark: as if the mark had not landed.
		require.NoError(t, os.Chtimes(p, old, old))
		removed, err = sweeper.Sweep("ws", "r1", nil, time.Now().Add(-time.Hour))
		require.NoError(t, err)
	}
	t.Cleanup(func() { afterTouch = nil })
	got, _, err := adder.Put(ctx, "ws", "r1", strings.NewReader(content), sum)
	require.NoError(t, err)
	assert.Equal(t, sum, got)
	require.Equal(t, []string{sum}, removed, "the sweep removed the file the add had marked")
	require.NoError(t, adder.Verify("ws", "r1", sum, int64(len(content)), true),
		"Put returned, but the name holds no copy")
	for _, e := range entries(t, filepath.Join(root, "requests", "ws", "r1")) {
		require.False(t, strings.HasPrefix(e, tempPrefix), "temporary file %s left behind", e)
	}
}
