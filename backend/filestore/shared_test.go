package filestore

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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
