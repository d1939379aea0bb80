package release_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/release"
	"github.com/trelab/airlock/internal/testbin"
)

const token = "backend-token-123"

// logBuffer collects JSON log records for assertions.
type logBuffer struct{ testbin.Buffer }

func (l *logBuffer) records() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// find returns the records at level with msg.
func (l *logBuffer) find(level, msg string) []map[string]any {
	var out []map[string]any
	for _, r := range l.records() {
		if r["level"] == level && r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// content is a stored copy in memory for target tests that need no database.
type content map[string][]byte

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// approvedRequest builds the value of an APPROVED request whose output files (with the
// given contents) are released by bob, plus a supporting and a withdrawn file that must
// never be released.
func approvedRequest(id string, files content) *airlock.ReleaseRequest {
	released := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	g := &airlock.FileGroup{Name: "group"}
	for _, p := range sortedKeys(files) {
		b := files[p]
		at := released
		g.Files = append(g.Files, &airlock.RequestFile{
			RelPath: p, Group: "group", FileType: airlock.FileTypeOutput, FileID: sum(b),
			Size: int64(len(b)), Timestamp: released.Add(-time.Hour), ReleasedAt: &at, ReleasedBy: "bob",
		})
	}
	g.Files = append(g.Files,
		&airlock.RequestFile{RelPath: "code/supporting.txt", FileType: airlock.FileTypeSupporting, FileID: sum([]byte("s")), Size: 1},
		&airlock.RequestFile{RelPath: "output/withdrawn.csv", FileType: airlock.FileTypeWithdrawn, FileID: sum([]byte("w")), Size: 1})
	return &airlock.ReleaseRequest{ID: id, Workspace: "ws1", Author: "alice", Status: airlock.StatusApproved, Groups: []*airlock.FileGroup{g}}
}

func sortedKeys(m content) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func releaseFiles(r *airlock.ReleaseRequest) []airlock.ReleaseFile {
	var out []airlock.ReleaseFile
	for _, f := range release.ReleasedFiles(r) {
		out = append(out, airlock.ReleaseFile{Path: f.RelPath, Size: f.Size, SHA256: f.FileID, Date: f.Timestamp})
	}
	return out
}

func opener(b []byte) release.OpenFunc {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func newJobServer(t *testing.T, fake *fakejobserver.Server, timeout time.Duration) (*release.JobServer, *logBuffer) {
	log, lb := newLogger()
	return release.NewJobServer(release.JobServerConfig{Endpoint: fake.URL + "/", Token: token, Timeout: timeout, Logger: log}), lb
}

var checker = airlock.User{Username: "bob", OutputChecker: true}

// §7.1 / behaviour 88: the exact create-release body, and the Release-Id stored.
func TestJobServer_CreateRelease(t *testing.T) {
	fake := newFake(t)
	js, _ := newJobServer(t, fake, 5*time.Second)
	files := content{"output/a.csv": []byte("a,b\n1,2\n"), "output/b<&>.txt": []byte("hello")}
	r := approvedRequest("01HREQ", files)
	rf := releaseFiles(r)
	rf[0].Date = time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)

	t.Run("body is the documented compact JSON", func(t *testing.T) {
		body, err := release.CreateReleaseBody(r, rf)
		require.NoError(t, err)
		want := `{"files":[` +
			`{"name":"output/a.csv","url":"output/a.csv","size":8,"sha256":"` + sum(files["output/a.csv"]) + `","date":"2024-05-01T12:00:00.123456+00:00","metadata":{"tool":"airlock","airlock_id":"01HREQ"},"review":null},` +
			`{"name":"output/b<&>.txt","url":"output/b<&>.txt","size":5,"sha256":"` + sum(files["output/b<&>.txt"]) + `","date":"2024-05-01T11:00:00+00:00","metadata":{"tool":"airlock","airlock_id":"01HREQ"},"review":null}],` +
			`"metadata":{"tool":"airlock","airlock_id":"01HREQ"},"review":null}`
		assert.Equal(t, want, string(body))
	})

	t.Run("backslashes are normalised", func(t *testing.T) {
		body, err := release.CreateReleaseBody(r, []airlock.ReleaseFile{{Path: `output\x.csv`, SHA256: sum(nil)}})
		require.NoError(t, err)
		assert.Contains(t, string(body), `"name":"output/x.csv","url":"output/x.csv"`)
	})

	t.Run("returns job-server's release id (the request id), idempotently", func(t *testing.T) {
		id, err := js.CreateRelease(context.Background(), checker, r, rf)
		require.NoError(t, err)
		assert.Equal(t, "01HREQ", id, "job-server keys an Airlock release by the request id")
		again, err := js.CreateRelease(context.Background(), checker, r, rf)
		require.NoError(t, err)
		assert.Equal(t, id, again)
		rel, ok := fake.ReleaseFor("01HREQ")
		require.True(t, ok)
		assert.Equal(t, "ws1", rel.Workspace)
		assert.Equal(t, "bob", rel.CreatedBy)
		assert.Equal(t, []string{"output/a.csv", "output/b<&>.txt"}, rel.Order)
	})

	// Behaviour 97: job-server's 403 and other errors as the user reads them.
	t.Run("97: 403 is permission denied", func(t *testing.T) {
		fake.Deny(fakejobserver.CreateRelease, true)
		defer fake.Deny(fakejobserver.CreateRelease, false)
		_, err := js.CreateRelease(context.Background(), checker, r, rf)
		assert.Equal(t, airlock.CodePermissionDenied, airlock.ErrorCode(err))
		assert.Equal(t, "Error releasing files: Permission denied", airlock.ErrorMessage(err))
	})
	t.Run("97: other errors ask to contact tech-support", func(t *testing.T) {
		fake.Fail(fakejobserver.CreateRelease, 1, 500)
		_, err := js.CreateRelease(context.Background(), checker, r, rf)
		assert.Equal(t, airlock.CodeUnavailable, airlock.ErrorCode(err))
		assert.Equal(t, "Error releasing files; please contact tech-support.", airlock.ErrorMessage(err))
		assert.Contains(t, err.Error(), "500")
	})
	t.Run("a hanging job-server times out", func(t *testing.T) {
		short, _ := newJobServer(t, fake, 300*time.Millisecond)
		fake.Hang(fakejobserver.CreateRelease, false)
		defer fake.Unhang()
		_, err := short.CreateRelease(context.Background(), checker, r, rf)
		assert.Equal(t, airlock.CodeUnavailable, airlock.ErrorCode(err))
	})
}

// job-server's create-release as its code has it: an empty file list is a release; a
// repeated call for the same request must list the same files (else ReleaseFilesMismatch,
// a 500); a file over its 16 MiB limit is refused.
func TestJobServer_CreateReleaseStrict(t *testing.T) {
	ctx := context.Background()
	fake := newFake(t)
	js, _ := newJobServer(t, fake, 5*time.Second)

	t.Run("an empty upload list creates an empty release", func(t *testing.T) {
		r := approvedRequest("01HEMPTY", content{})
		id, err := js.CreateRelease(ctx, checker, r, nil)
		require.NoError(t, err)
		assert.Equal(t, "01HEMPTY", id)
		rel, ok := fake.ReleaseFor("01HEMPTY")
		require.True(t, ok)
		assert.Empty(t, rel.Files)
	})
	t.Run("a repeated create-release with other files is job-server's 500", func(t *testing.T) {
		r := approvedRequest("01HMISMATCH", content{"output/a.csv": []byte("a\n1\n")})
		_, err := js.CreateRelease(ctx, checker, r, releaseFiles(r))
		require.NoError(t, err)
		other := approvedRequest("01HMISMATCH", content{"output/a.csv": []byte("a\n2\n")})
		_, err = js.CreateRelease(ctx, checker, other, releaseFiles(other))
		assert.Equal(t, airlock.CodeUnavailable, airlock.ErrorCode(err))
		assert.Contains(t, err.Error(), "500")
		rel, _ := fake.ReleaseFor("01HMISMATCH")
		assert.Equal(t, 1, rel.Mismatches)
		assert.Equal(t, sum([]byte("a\n1\n")), rel.Files["output/a.csv"].SHA256, "the release keeps its first files")
	})
	t.Run("a file over 16 MiB is refused by job-server", func(t *testing.T) {
		r := approvedRequest("01HBIG", content{"output/a.csv": []byte("a\n")})
		rf := releaseFiles(r)
		rf[0].Size = 17 << 20
		_, err := js.CreateRelease(ctx, checker, r, rf)
		assert.Equal(t, airlock.CodeUnavailable, airlock.ErrorCode(err))
		assert.Contains(t, err.Error(), "File size should be <16Mb. output/a.csv is 17.0Mb")
	})
	t.Run("a releaser job-server does not know is refused with 403", func(t *testing.T) {
		r := approvedRequest("01HSTRANGER", content{"output/a.csv": []byte("a\n")})
		_, err := js.CreateRelease(ctx, airlock.User{Username: "mallory", OutputChecker: true}, r, releaseFiles(r))
		assert.Equal(t, airlock.CodePermissionDenied, airlock.ErrorCode(err))
		_, ok := fake.ReleaseFor("01HSTRANGER")
		assert.False(t, ok)
	})
}

func TestJobServer_Upload(t *testing.T) {
	files := content{"output/a.csv": []byte("a,b\n1,2\n"), "output/big.csv": bytes.Repeat([]byte("x,y\n"), 100000)}

	setup := func(t *testing.T, timeout time.Duration) (*fakejobserver.Server, *release.JobServer, *logBuffer, *airlock.ReleaseRequest) {
		fake := newFake(t)
		js, lb := newJobServer(t, fake, timeout)
		r := approvedRequest("01HUP", files)
		id, err := js.CreateRelease(context.Background(), checker, r, releaseFiles(r))
		require.NoError(t, err)
		r.ReleaseID = id
		return fake, js, lb, r
	}

	t.Run("delivers the bytes to the stored release id", func(t *testing.T) {
		fake, js, _, r := setup(t, 5*time.Second)
		for _, f := range release.ReleasedFiles(r) {
			require.NoError(t, js.Upload(context.Background(), r, f, opener(files[f.RelPath])))
		}
		rel, _ := fake.ReleaseFor("01HUP")
		for p, b := range files {
			assert.Equal(t, b, rel.Files[p].Content, p)
			assert.Equal(t, 1, rel.Files[p].Stored, p)
			assert.Equal(t, "bob", rel.Files[p].UploadedBy)
		}
	})

	// Behaviour 96.
	t.Run("96: already uploaded counts as success", func(t *testing.T) {
		fake, js, lb, r := setup(t, 5*time.Second)
		f := r.File("output/a.csv")
		require.NoError(t, js.Upload(context.Background(), r, f, opener(files[f.RelPath])))
		require.NoError(t, js.Upload(context.Background(), r, f, opener(files[f.RelPath])))
		rel, _ := fake.ReleaseFor("01HUP")
		assert.Equal(t, 1, rel.Files["output/a.csv"].Stored)
		assert.Equal(t, 1, rel.Files["output/a.csv"].Refused)
		assert.Len(t, lb.find("INFO", "File already uploaded"), 1)
	})
	t.Run("96: any other error carries job-server's detail", func(t *testing.T) {
		fake, js, _, r := setup(t, 5*time.Second)
		f := r.File("output/a.csv")
		fake.Deny(fakejobserver.Upload, true)
		err := js.Upload(context.Background(), r, f, opener(files[f.RelPath]))
		require.Error(t, err)
		assert.Equal(t, airlock.CodePermissionDenied, airlock.ErrorCode(err))
		assert.Contains(t, airlock.ErrorMessage(err), "You do not have permission to perform this action.")
		fake.Deny(fakejobserver.Upload, false)

		fake.Fail(fakejobserver.Upload, 1, 500)
		err = js.Upload(context.Background(), r, f, opener(files[f.RelPath]))
		assert.Equal(t, airlock.CodeUnavailable, airlock.ErrorCode(err))
		assert.Contains(t, airlock.ErrorMessage(err), "Something went wrong (fake failure).")
		require.NoError(t, js.Upload(context.Background(), r, f, opener(files[f.RelPath])), "recovers")
	})
	t.Run("a hanging server times out, before and after storing", func(t *testing.T) {
		fake, js, _, r := setup(t, time.Second)
		f := r.File("output/big.csv")
		fake.Hang(fakejobserver.Upload, false)
		start := time.Now()
		err := js.Upload(context.Background(), r, f, opener(files[f.RelPath]))
		require.Error(t, err)
		assert.Less(t, time.Since(start), 10*time.Second, "the client gave up")
		fake.Unhang()

		fake.Hang(fakejobserver.Upload, true)
		err = js.Upload(context.Background(), r, f, opener(files[f.RelPath]))
		require.Error(t, err, "the answer was lost")
		fake.Unhang()
		require.NoError(t, js.Upload(context.Background(), r, f, opener(files[f.RelPath])), "retry: already uploaded")
		rel, _ := fake.ReleaseFor("01HUP")
		assert.Equal(t, 1, rel.Files[f.RelPath].Stored)
	})
	t.Run("without a stored release id the request id is used", func(t *testing.T) {
		fake := newFake(t)
		js, _ := newJobServer(t, fake, 5*time.Second)
		r := approvedRequest("01HOLD", files)
		err := js.Upload(context.Background(), r, r.File("output/a.csv"), opener(files["output/a.csv"]))
		require.Error(t, err)
		assert.Equal(t, 1, fake.Calls(fakejobserver.Upload))
		assert.Len(t, fake.Violations(), 1, "the fake saw the unknown release 01HOLD")
		assert.Contains(t, fake.Violations()[0], `unknown release "01HOLD"`)
		t.Cleanup(func() { fakeReset(fake) })
	})
}

// fakeReset is for the one test that provokes a violation on purpose.
func fakeReset(fake *fakejobserver.Server) { fake.ResetViolations() }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
