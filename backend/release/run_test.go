package release_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/release"
	"github.com/trelab/airlock/backend/service"
)

var (
	_ service.Releaser           = (*release.JobServer)(nil)
	_ service.Releaser           = (*release.Outbox)(nil)
	_ service.Notifier           = (*release.Notifier)(nil)
	_ release.Service            = (*service.Airlock)(nil)
	_ release.NotificationOutbox = (*service.Airlock)(nil)
)

// panicTarget stands in for a remote that makes our code panic (a fake at the edge).
type panicTarget struct{ calls atomic.Int32 }

func (p *panicTarget) Name() string { return "panicking" }
func (p *panicTarget) CreateRelease(context.Context, airlock.User, *airlock.ReleaseRequest, []airlock.ReleaseFile) (string, error) {
	return "", nil
}
func (p *panicTarget) Upload(_ context.Context, _ *airlock.ReleaseRequest, _ *airlock.RequestFile, open release.OpenFunc) error {
	p.calls.Add(1)
	panic("boom")
}

// Run survives a panicking upload, keeps ticking, wakes on Kick and stops on cancel.
func TestUploader_RunSupervised(t *testing.T) {
	e := newEnv(t, envConfig{})
	id := e.approvedRequest(content{"output/a.csv": []byte("a\n")})
	tgt := &panicTarget{}
	log, lb := newLogger()
	u := &release.Uploader{Svc: e.svc, Target: tgt, Clock: e.clock.Now, RetryDelay: time.Nanosecond,
		Interval: time.Hour, Logger: log}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	require.Eventually(t, func() bool { return tgt.calls.Load() == 1 }, 10*time.Second, 10*time.Millisecond, "first pass at start")
	e.clock.Advance(time.Second)
	u.Kick()
	require.Eventually(t, func() bool { return tgt.calls.Load() == 2 }, 10*time.Second, 10*time.Millisecond, "a kick makes a pass")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	assert.Len(t, lb.find("ERROR", "upload panicked"), 2)
	assert.Equal(t, int64(2), u.Stats().Failures)
	r := e.request(id)
	assert.Equal(t, 2, r.File("output/a.csv").UploadAttempts, "both attempts were counted")
	assert.Equal(t, airlock.StatusApproved, r.Status)
	assert.Contains(t, r.File("output/a.csv").UploadError, "boom", "the panic is recorded as the file's error")
}
