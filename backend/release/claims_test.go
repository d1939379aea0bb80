package release_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/release"
)

// Two uploaders sharing claims (as two servers on one database do) make their passes at the
// same time: every file is attempted and uploaded once, by one of them.
func TestUploader_ClaimsKeepUploadersApart(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.reviewedRequest(threeFiles, nil)
	_, err := e.svc.Release(ctx, bob, id)
	require.NoError(t, err)

	claims := &release.LocalClaims{}
	a, b := e.uploader(), e.uploader()
	a.Claims, b.Claims = claims, claims
	var wg sync.WaitGroup
	for _, u := range []*release.Uploader{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, u.RunOnce(ctx))
		}()
	}
	wg.Wait()
	r := e.request(id)
	assertReleased(t, r)
	for _, f := range release.ReleasedFiles(r) {
		assert.Equal(t, 1, f.UploadAttempts, "%s attempted once", f.RelPath)
	}
	assertDeliveredOnce(t, e.fake, id, threeFiles)
	assert.Equal(t, len(threeFiles), e.fake.Calls(fakejobserver.Upload), "one upload call per file")
	assert.Equal(t, int64(len(threeFiles)), a.Stats().DeliveredFiles+b.Stats().DeliveredFiles)
}

// A file whose claim is held elsewhere is left alone, and delivered once the claim is
// released.
func TestUploader_LeavesClaimedFilesAlone(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.reviewedRequest(threeFiles, nil)
	_, err := e.svc.Release(ctx, bob, id)
	require.NoError(t, err)

	claims := &release.LocalClaims{}
	_, hold, ok, err := claims.Claim(ctx, release.UploadClaim(id, "output/a.csv"))
	require.NoError(t, err)
	require.True(t, ok)
	u := e.uploader()
	u.Claims = claims
	require.NoError(t, u.RunOnce(ctx))
	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status, "one file still to deliver")
	assert.False(t, r.File("output/a.csv").Uploaded)
	assert.Zero(t, r.File("output/a.csv").UploadAttempts, "not even counted")
	assert.Equal(t, len(threeFiles)-1, e.fake.Calls(fakejobserver.Upload))

	hold()
	require.NoError(t, u.RunOnce(ctx))
	assertReleased(t, e.request(id))
	assertDeliveredOnce(t, e.fake, id, threeFiles)
}
