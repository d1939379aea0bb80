package release_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/release"
)

const retry = time.Minute

// jsEnv is the real backend wired to the fake job-server for releases and notifications.
type jsEnv struct {
	*env
	fake     *fakejobserver.Server
	js       *release.JobServer
	notifier *release.Notifier
	logs     *logBuffer
}

// newJSEnv's uploader target gives up on job-server after timeout; releases and
// notifications use a generous one, so that only the uploads under test time out.
func newJSEnv(t *testing.T, timeout time.Duration) *jsEnv {
	fake := newFake(t)
	log, lb := newLogger()
	js := release.NewJobServer(release.JobServerConfig{Endpoint: fake.URL, Token: token, Timeout: timeout, Logger: log})
	releaser := release.NewJobServer(release.JobServerConfig{Endpoint: fake.URL, Token: token, Timeout: 30 * time.Second, Logger: log})
	n, err := release.NewNotifier(release.NotifierConfig{JobServer: releaser, Backoff: 10 * time.Millisecond, Logger: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	e := newEnv(t, envConfig{Releaser: releaser, Notifier: n})
	n.Start(e.svc, nil, "test server")
	return &jsEnv{env: e, fake: fake, js: js, notifier: n, logs: lb}
}

func (e *jsEnv) uploader() *release.Uploader {
	return &release.Uploader{Svc: e.svc, Target: e.js, Clock: e.clock.Now, RetryDelay: retry, Logger: discardLogger()}
}

var threeFiles = content{
	"output/a.csv":       []byte("a,b\n1,2\n"),
	"output/b.csv":       []byte("x,y\n3,4\n5,6\n"),
	"output/sub/c.txt":   []byte("some text"),
	"output/report.html": []byte("<html><body>report</body></html>"),
}

// assertDeliveredOnce checks that job-server holds every file exactly once, byte for byte.
func assertDeliveredOnce(t *testing.T, fake *fakejobserver.Server, id string, files content) {
	t.Helper()
	rel, ok := fake.ReleaseFor(id)
	require.True(t, ok, "release created")
	for p, b := range files {
		f := rel.Files[p]
		if assert.NotNil(t, f, p) {
			assert.Equal(t, b, f.Content, p)
			assert.Equal(t, 1, f.Stored, "%s stored exactly once", p)
		}
	}
	assert.Len(t, rel.Files, len(files))
}

func assertReleased(t *testing.T, r *airlock.ReleaseRequest) {
	t.Helper()
	assert.Equal(t, airlock.StatusReleased, r.Status)
	for _, f := range release.ReleasedFiles(r) {
		assert.True(t, f.Uploaded, f.RelPath)
		assert.NotNil(t, f.UploadedAt, f.RelPath)
	}
}

// Behaviours 88 and 92: release creates the remote release (storing its id) without
// uploading; one uploader pass uploads every file once, sets RELEASED and logs
// REQUEST_RELEASE after the REQUEST_FILE_UPLOAD events.
func TestUploader_FullRelease(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.reviewedRequest(threeFiles, content{"code/analysis.txt": []byte("print(1)")})

	_, err := e.svc.Release(ctx, bob, id)
	require.NoError(t, err)
	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status)
	assert.Equal(t, id, r.ReleaseID, "job-server's Release-Id (the request id) is stored")
	for _, f := range release.ReleasedFiles(r) {
		assert.Equal(t, "bob", f.ReleasedBy)
		assert.False(t, f.Uploaded, "88: release does not upload")
	}
	assert.Zero(t, e.fake.Calls(fakejobserver.Upload), "88: release does not upload")
	rel, _ := e.fake.ReleaseFor(id)
	assert.ElementsMatch(t, sortedKeys(threeFiles), rel.Order, "88: output files only")

	u := e.uploader()
	require.NoError(t, u.RunOnce(ctx))
	r = e.request(id)
	assertReleased(t, r)
	for _, f := range release.ReleasedFiles(r) {
		assert.Equal(t, 1, f.UploadAttempts, "92: one attempt each")
		assert.Empty(t, f.UploadError)
	}
	assertDeliveredOnce(t, e.fake, id, threeFiles)
	for p := range threeFiles {
		got, _ := e.fake.ReleaseFor(id)
		assert.Equal(t, "bob", got.Files[p].UploadedBy, "OS-User is the releasing checker")
	}

	types := e.auditTypes(id)
	lastUpload, release_ := -1, -1
	uploads := 0
	for i, tp := range types {
		switch tp {
		case airlock.AuditRequestFileUpload:
			lastUpload = i
			uploads++
		case airlock.AuditRequestRelease:
			release_ = i
		}
	}
	assert.Equal(t, len(threeFiles), uploads)
	assert.Greater(t, release_, lastUpload, "92: REQUEST_RELEASE after the uploads")

	st := u.Stats()
	assert.Equal(t, int64(len(threeFiles)), st.Attempts)
	assert.Equal(t, int64(len(threeFiles)), st.DeliveredFiles)
	var total int64
	for _, b := range threeFiles {
		total += int64(len(b))
	}
	assert.Equal(t, total, st.DeliveredBytes)
	assert.Zero(t, st.Failures)
	assert.Zero(t, st.Queue)

	// Behaviour 93 (as built): nothing is left, so a further pass makes no attempt.
	require.NoError(t, u.RunOnce(ctx))
	assert.Equal(t, int64(len(threeFiles)), u.Stats().Attempts)
	assert.Zero(t, u.Stats().Queue)

	e.notifier.Wait()
	assert.Equal(t, []string{"request_submitted", "request_partially_reviewed", "request_reviewed",
		"request_approved", "request_released"}, e.fake.EventTypes())
}

// A job-server answering 500, then recovering; behaviour 90: an attempt blocks further
// attempts until the retry delay has passed.
func TestUploader_ServerErrorThenRecovers(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.approvedRequest(threeFiles)
	e.fake.Fail(fakejobserver.Upload, len(threeFiles), 500)
	u := e.uploader()

	require.NoError(t, u.RunOnce(ctx))
	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status)
	for _, f := range release.ReleasedFiles(r) {
		assert.False(t, f.Uploaded)
		assert.Equal(t, 1, f.UploadAttempts, "90: one attempt counted")
		assert.Contains(t, f.UploadError, "Something went wrong (fake failure).", "job-server's detail is kept")
	}
	assert.Equal(t, int64(len(threeFiles)), u.Stats().Failures)
	assert.Equal(t, len(threeFiles), u.Stats().Queue)

	e.clock.Advance(retry - time.Second)
	require.NoError(t, u.RunOnce(ctx))
	assert.Equal(t, len(threeFiles), e.fake.Calls(fakejobserver.Upload), "90: no attempt before the retry delay")
	assert.Equal(t, len(threeFiles), u.Stats().Waiting)

	e.clock.Advance(time.Second)
	require.NoError(t, u.RunOnce(ctx))
	r = e.request(id)
	assertReleased(t, r)
	for _, f := range release.ReleasedFiles(r) {
		assert.Equal(t, 2, f.UploadAttempts)
		assert.Empty(t, f.UploadError, "cleared on success")
	}
	assertDeliveredOnce(t, e.fake, id, threeFiles)
	assert.Equal(t, int64(2*len(threeFiles)), u.Stats().Attempts)
}

// Behaviour 94 as amended by docs/decisions.md §14: files tried less than their back-off
// ago are skipped; a permanently failing file is retried (4 attempts after 4 passes, the
// gap doubling) while the others upload once.
func TestUploader_BackoffAndIsolation(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.approvedRequest(threeFiles)
	e.fake.FailPath("output/b.csv", 500)
	u := e.uploader()

	require.NoError(t, u.RunOnce(ctx))
	for pass, gap := range []time.Duration{retry, 2 * retry, 4 * retry} {
		// Just before the back-off has passed: no attempt.
		e.clock.Advance(gap - time.Second)
		require.NoError(t, u.RunOnce(ctx))
		assert.Equal(t, pass+1, e.request(id).File("output/b.csv").UploadAttempts, "pass %d: still backing off", pass)
		e.clock.Advance(time.Second)
		require.NoError(t, u.RunOnce(ctx))
	}
	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status)
	for _, f := range release.ReleasedFiles(r) {
		if f.RelPath == "output/b.csv" {
			assert.Equal(t, 4, f.UploadAttempts, "94: 4 attempts after 4 passes")
			assert.False(t, f.Uploaded)
			assert.Contains(t, f.UploadError, "Cannot store 'output/b.csv' (fake failure).")
			continue
		}
		assert.True(t, f.Uploaded, f.RelPath)
		assert.Equal(t, 1, f.UploadAttempts, "94: the others upload once")
	}
	failed := 0
	for _, tp := range e.auditTypes(id) {
		if tp == airlock.AuditRequestFileUploadFailed {
			failed++
		}
	}
	assert.Equal(t, 4, failed, "every failure is visible in the audit log")
	// Behaviour 91 (as built): while APPROVED the undelivered file is in progress; once
	// RELEASED nothing is. (An APPROVED request with every file uploaded cannot exist here:
	// the last MarkUploaded moves it to RELEASED in the same transaction.)
	assert.True(t, r.File("output/b.csv").UploadInProgress())
	assert.False(t, r.File("output/a.csv").UploadInProgress())

	e.fake.FailPath("output/b.csv", 0)
	e.clock.Advance(8 * retry)
	require.NoError(t, u.RunOnce(ctx))
	r = e.request(id)
	assertReleased(t, r)
	for _, f := range r.AllFiles() {
		assert.False(t, f.UploadInProgress(), "91: %s", f.RelPath)
	}
	assertDeliveredOnce(t, e.fake, id, threeFiles)
}

func TestBackoff(t *testing.T) {
	assert.Equal(t, time.Duration(0), release.Backoff(time.Minute, 0))
	assert.Equal(t, time.Minute, release.Backoff(time.Minute, 1))
	assert.Equal(t, 2*time.Minute, release.Backoff(time.Minute, 2))
	assert.Equal(t, 32*time.Minute, release.Backoff(time.Minute, 6))
	assert.Equal(t, time.Hour, release.Backoff(time.Minute, 7), "ceiling")
	assert.Equal(t, time.Hour, release.Backoff(time.Minute, 1000), "ceiling, no overflow")
	assert.Equal(t, 2*time.Hour, release.Backoff(2*time.Hour, 5), "a retry delay above the ceiling stays flat")
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.True(t, release.NextAttempt(&airlock.RequestFile{}, time.Minute).IsZero())
	assert.Equal(t, at.Add(4*time.Minute), release.NextAttempt(&airlock.RequestFile{UploadAttempts: 3, UploadAttemptedAt: &at}, time.Minute))
}

// A hanging job-server: the client gives up, the attempt is recorded as failed, and the
// next attempt after the back-off delivers.
func TestUploader_HangingServer(t *testing.T) {
	e := newJSEnv(t, time.Second)
	ctx := context.Background()
	id := e.approvedRequest(threeFiles)
	e.fake.Hang(fakejobserver.Upload, false)
	u := e.uploader()
	start := time.Now()
	require.NoError(t, u.RunOnce(ctx))
	assert.Less(t, time.Since(start), 20*time.Second, "the pass ends although the server hangs")
	r := e.request(id)
	for _, f := range release.ReleasedFiles(r) {
		assert.False(t, f.Uploaded)
		assert.Equal(t, 1, f.UploadAttempts)
		assert.NotEmpty(t, f.UploadError)
	}
	e.fake.Unhang()
	e.clock.Advance(retry)
	require.NoError(t, u.RunOnce(ctx))
	assertReleased(t, e.request(id))
	assertDeliveredOnce(t, e.fake, id, threeFiles)
}

// Behaviour 96 through the uploader: the answer to a stored upload is lost; the retry is
// told "already been uploaded", which counts as success.
func TestUploader_AlreadyUploaded(t *testing.T) {
	e := newJSEnv(t, time.Second)
	ctx := context.Background()
	id := e.approvedRequest(threeFiles)
	e.fake.Hang(fakejobserver.Upload, true)
	u := e.uploader()
	require.NoError(t, u.RunOnce(ctx))
	assert.Equal(t, airlock.StatusApproved, e.request(id).Status)
	e.fake.Unhang()
	e.clock.Advance(retry)
	require.NoError(t, u.RunOnce(ctx))
	assertReleased(t, e.request(id))
	assertDeliveredOnce(t, e.fake, id, threeFiles)
	rel, _ := e.fake.ReleaseFor(id)
	for p := range threeFiles {
		assert.Equal(t, 1, rel.Files[p].Refused, "%s: the retry was answered 'already uploaded'", p)
	}
	assert.Len(t, e.logs.find("INFO", "File already uploaded"), len(threeFiles))
}

// A 403 on upload: an error carrying job-server's detail, visible on the file; other
// requests' files are unaffected; once permission is granted the file is delivered.
func TestUploader_Forbidden(t *testing.T) {
	e := newJSEnv(t, 5*time.Second)
	ctx := context.Background()
	id := e.approvedRequest(threeFiles)
	e.fake.Deny(fakejobserver.Upload, true)
	u := e.uploader()
	require.NoError(t, u.RunOnce(ctx))
	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status)
	for _, f := range release.ReleasedFiles(r) {
		assert.Contains(t, f.UploadError, "You do not have permission to perform this action.")
		assert.Contains(t, f.UploadError, "403")
	}
	assert.Equal(t, int64(len(threeFiles)), u.Stats().Failures)
	e.fake.Deny(fakejobserver.Upload, false)
	e.clock.Advance(retry)
	require.NoError(t, u.RunOnce(ctx))
	assertReleased(t, e.request(id))
	assertDeliveredOnce(t, e.fake, id, threeFiles)
}

// The process is stopped mid-upload; a new uploader on the same database and data
// directory delivers every file exactly once and the request becomes RELEASED.
func TestUploader_StoppedMidUpload(t *testing.T) {
	for _, afterStore := range []bool{false, true} {
		name := "before the server stored the file"
		if afterStore {
			name = "after the server stored the file"
		}
		t.Run(name, func(t *testing.T) {
			e := newJSEnv(t, 30*time.Second)
			id := e.approvedRequest(threeFiles)
			e.fake.Hang(fakejobserver.Upload, afterStore)
			u := e.uploader()
			u.Concurrency = 1
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- u.Run(ctx) }()
			select {
			case <-e.fake.Hanging():
			case <-time.After(20 * time.Second):
				t.Fatal("no upload started")
			}
			cancel() // the process is stopped while an upload is in flight
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(20 * time.Second):
				t.Fatal("the uploader did not stop")
			}
			e.fake.Unhang()
			r := e.request(id)
			assert.Equal(t, airlock.StatusApproved, r.Status)
			attempted := 0
			for _, f := range release.ReleasedFiles(r) {
				attempted += f.UploadAttempts
			}
			assert.Equal(t, 1, attempted, "the interrupted attempt was counted before it was made")

			e.restart()
			u2 := e.uploader()
			e.clock.Advance(retry)
			require.NoError(t, u2.RunOnce(context.Background()))
			r = e.request(id)
			assertReleased(t, r)
			assertDeliveredOnce(t, e.fake, id, threeFiles)
			attempted = 0
			for _, f := range release.ReleasedFiles(r) {
				attempted += f.UploadAttempts
			}
			assert.Equal(t, len(threeFiles)+1, attempted)
		})
	}
}

// outboxEnv is the embedded default: no job-server, the outbox target.
func newOutboxEnv(t *testing.T) (*env, *release.Outbox, string) {
	e := newEnv(t, envConfig{})
	dir := filepath.Join(e.dataDir, "released")
	o, err := release.NewOutbox(dir, e.clock.Now, discardLogger())
	require.NoError(t, err)
	t.Cleanup(func() { _ = o.Close() })
	return e, o, dir
}

// Behaviours 92 and 95 on the outbox: the released files are byte-identical to what the
// reviewers saw even when the workspace file changed after review; release.json is
// correct; the request becomes RELEASED.
func TestUploader_Outbox(t *testing.T) {
	e, o, dir := newOutboxEnv(t)
	ctx := context.Background()
	id := e.reviewedRequest(threeFiles, nil)
	e.writeFile("output/a.csv", []byte("changed after review\n"))
	_, err := e.svc.Release(ctx, bob, id)
	require.NoError(t, err)
	e.writeFile("output/b.csv", []byte("changed after release\n"))

	u := &release.Uploader{Svc: e.svc, Target: o, Clock: e.clock.Now, RetryDelay: retry, Logger: discardLogger()}
	require.NoError(t, u.RunOnce(ctx))
	r := e.request(id)
	assertReleased(t, r)
	reqDir := filepath.Join(dir, "ws1", id)
	for p, b := range threeFiles {
		got, err := os.ReadFile(filepath.Join(reqDir, filepath.FromSlash(p)))
		require.NoError(t, err)
		assert.Equal(t, b, got, "95: %s is the reviewed copy", p)
	}
	m := readManifest(t, filepath.Join(reqDir, release.ManifestName))
	assert.Equal(t, "ws1", m.Workspace)
	assert.Equal(t, id, m.RequestID)
	assert.Equal(t, "bob", m.ReleasedBy)
	assert.Equal(t, e.clock.Now(), m.ReleasedAt)
	require.Len(t, m.Files, len(threeFiles))
	for _, mf := range m.Files {
		assert.Equal(t, int64(len(threeFiles[mf.Path])), mf.Size, mf.Path)
		assert.Equal(t, sum(threeFiles[mf.Path]), mf.SHA256, mf.Path)
		assert.Equal(t, "bob", mf.ReleasedBy)
	}
	assert.Len(t, listFiles(t, dir), len(threeFiles)+1, "the files and release.json, nothing else")
}

// failingStore is the real service whose stored copy of one file fails part-way through
// reading, as a crash or an I/O error mid-copy would; everything else is the real service.
type failingStore struct {
	release.Service
	path  string
	after int
}

func (c failingStore) OpenStoredFile(ctx context.Context, r *airlock.ReleaseRequest, f *airlock.RequestFile) (io.ReadSeekCloser, error) {
	rc, err := c.Service.OpenStoredFile(ctx, r, f)
	if err != nil || f.RelPath != c.path {
		return rc, err
	}
	return &failAfter{ReadSeekCloser: rc, left: c.after}, nil
}

type failAfter struct {
	io.ReadSeekCloser
	left int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, errors.New("disk on fire")
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.ReadSeekCloser.Read(p)
	f.left -= n
	return n, err
}

// The outbox after a crash between files: no partial file under a final name, no
// release.json, and a restarted uploader finishes the release.
func TestUploader_OutboxCrashBetweenFiles(t *testing.T) {
	e, o, dir := newOutboxEnv(t)
	ctx := context.Background()
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	files := content{"output/a.csv": []byte("a\n"), "output/big.csv": big}
	id := e.approvedRequest(files)
	u := &release.Uploader{Svc: failingStore{Service: e.svc, path: "output/big.csv", after: 1 << 20}, Target: o,
		Clock: e.clock.Now, RetryDelay: retry, Logger: discardLogger(), Concurrency: 1}
	require.NoError(t, u.RunOnce(ctx))
	reqDir := filepath.Join(dir, "ws1", id)
	assert.FileExists(t, filepath.Join(reqDir, "output", "a.csv"))
	assert.NoFileExists(t, filepath.Join(reqDir, "output", "big.csv"), "no partial file under its final name")
	assert.NoFileExists(t, filepath.Join(reqDir, release.ManifestName))
	assert.Equal(t, []string{"ws1/" + id + "/output/a.csv"}, listFiles(t, dir))
	r := e.request(id)
	assert.Equal(t, airlock.StatusApproved, r.Status)
	assert.Contains(t, r.File("output/big.csv").UploadError, "disk on fire")

	e.restart()
	e.clock.Advance(retry)
	u2 := &release.Uploader{Svc: e.svc, Target: o, Clock: e.clock.Now, RetryDelay: retry, Logger: discardLogger()}
	require.NoError(t, u2.RunOnce(ctx))
	assertReleased(t, e.request(id))
	got, err := os.ReadFile(filepath.Join(reqDir, "output", "big.csv"))
	require.NoError(t, err)
	assert.True(t, assert.ObjectsAreEqual(big, got), "big.csv is byte-identical")
	assert.FileExists(t, filepath.Join(reqDir, release.ManifestName))
}

// A request force-closed while its released files wait for the uploader is left alone:
// no attempt is counted, nothing is delivered and the queue does not count its files.
func TestUploader_SkipsForceClosedRequest(t *testing.T) {
	e, o, dir := newOutboxEnv(t)
	ctx := context.Background()
	id := e.approvedRequest(threeFiles)
	require.NoError(t, e.svc.ForceClose(ctx, airlock.User{Username: "operator"}, id,
		airlock.StatusRejected, "stuck"))

	u := &release.Uploader{Svc: e.svc, Target: o, Clock: e.clock.Now, RetryDelay: retry, Logger: discardLogger()}
	require.NoError(t, u.RunOnce(ctx))
	st := u.Stats()
	assert.Zero(t, st.Attempts)
	assert.Zero(t, st.Queue)
	r := e.request(id)
	assert.Equal(t, airlock.StatusRejected, r.Status)
	for _, f := range release.ReleasedFiles(r) {
		assert.Zero(t, f.UploadAttempts, f.RelPath)
		assert.False(t, f.Uploaded, f.RelPath)
	}
	assert.Empty(t, listFiles(t, dir))
}
