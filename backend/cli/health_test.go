package cli

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/store/sqlite"
)

// /healthz answers 200 while a long write transaction holds the single writer: its
// database check reads on a reader connection and never queues behind the writer (issue
// 14: a busy, healthy server answered 503 to a load balancer's probe).
func TestHealthzAnswersWhileTheWriterIsHeld(t *testing.T) {
	d := demoDir(t)
	b, err := Open(mustSettings(t, "--data-dir", d), nil)
	require.NoError(t, err)
	defer b.Close()
	srv := httptest.NewServer(b.Handler)
	defer srv.Close()

	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.Store.InTx(context.Background(), func(tx sqlite.TxPort) error {
			close(held)
			<-release
			return errors.New("rolled back on purpose")
		})
	}()
	<-held
	defer func() {
		close(release)
		<-done
	}()

	// The writer is taken: another write cannot begin.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err = b.Store.InTx(ctx, func(sqlite.TxPort) error { return nil })
	cancel()
	require.Error(t, err, "a second write must wait while the first holds the writer")

	for range 3 {
		res, err := http.Get(srv.URL + "/healthz")
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
		assert.Contains(t, string(body), `"status":"ok"`)
	}
	select {
	case err := <-done:
		t.Fatalf("the write transaction ended before /healthz answered: %v", err)
	default: // still held: /healthz answered while the writer was busy
	}
}
