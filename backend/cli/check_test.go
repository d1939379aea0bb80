package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// requestWithFile creates alice's request with one file and returns its id and blob path.
func requestWithFile(t *testing.T, d string) (id, blobPath string) {
	t.Helper()
	ctx := context.Background()
	core, err := OpenCore(mustSettings(t, "--data-dir", d), nil)
	require.NoError(t, err)
	defer core.Close()
	alice := demoUserRecord("alice")
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	id = view.Request.ID
	view, err = core.Service.AddFiles(ctx, alice, id, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv", FileType: airlock.FileTypeOutput}})
	require.NoError(t, err)
	f := view.Request.File("output/tables/admissions_by_age.csv")
	require.NotNil(t, f)
	blobPath, err = core.Files.Path("heart-failure-study", id, f.FileID)
	require.NoError(t, err)
	return id, blobPath
}

// plant writes a file with a modification time age ago.
func plant(t *testing.T, path, content string, age time.Duration) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o640))
	old := time.Now().Add(-age)
	require.NoError(t, os.Chtimes(path, old, old))
}

// airlock check finds each kind of inconsistency, one line each, and fails; the recovery
// sweep removes exactly the leftovers older than the grace period and nothing the database
// refers to.
func TestCheckAndRecovery(t *testing.T) {
	d := demoDir(t)
	id, blob := requestWithFile(t, d)
	reqDir := filepath.Dir(blob)

	out, _, err := runCmd(t, "check", "--data-dir", d)
	require.NoError(t, err, out)
	assert.Regexp(t, `^consistent: 1 requests, 1 files, 1 blobs, 0 outbox files, 2 audit events checked\n$`, out)

	oldTemp := filepath.Join(reqDir, ".tmp-123")
	newTemp := filepath.Join(reqDir, ".tmp-456")
	orphan := filepath.Join(reqDir, strings.Repeat("a", 64))
	unknownReq := filepath.Join(d, "requests", "heart-failure-study", "01NOSUCHREQUEST", strings.Repeat("b", 64))
	outboxTemp := filepath.Join(d, "released", "heart-failure-study", id, ".x.csv.airlock-tmp-0011")
	leaked := filepath.Join(d, "released", "heart-failure-study", id, "output", "leaked.csv")
	plant(t, oldTemp, "partial", 2*time.Hour)
	plant(t, newTemp, "in progress", 0)
	plant(t, orphan, "orphan", 2*time.Hour)
	plant(t, unknownReq, "unknown", 2*time.Hour)
	plant(t, outboxTemp, "partial", 2*time.Hour)
	plant(t, leaked, "never released", 2*time.Hour)

	out, _, err = runCmd(t, "check", "--data-dir", d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "5 problems found")
	assert.Contains(t, err.Error(), "1 recent temporary or unreferenced files not counted")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Len(t, lines, 5, out)
	assert.Contains(t, out, "heart-failure-study/"+id+"/.tmp-123 is a temporary file an interrupted add left behind")
	assert.Contains(t, out, "/"+strings.Repeat("a", 64)+" is a blob no file of the request refers to")
	assert.Contains(t, out, "01NOSUCHREQUEST/"+strings.Repeat("b", 64)+" is a blob of a request the database does not have")
	assert.Contains(t, out, "outbox: heart-failure-study/"+id+"/.x.csv.airlock-tmp-0011 is a temporary file")
	assert.Contains(t, out, "outbox: heart-failure-study/"+id+"/output/leaked.csv is not a released file of any request")

	// The stored copy changes behind the store's back: the full check hashes and sees it,
	// --quick compares sizes only.
	require.NoError(t, os.Chmod(blob, 0o640))
	content, err := os.ReadFile(blob)
	require.NoError(t, err)
	content[0] ^= 1
	require.NoError(t, os.WriteFile(blob, content, 0o640))
	out, _, _ = runCmd(t, "check", "--data-dir", d)
	assert.Contains(t, out, "file store: request "+id+" file output/tables/admissions_by_age.csv: the stored copy's content has changed")
	out, _, _ = runCmd(t, "check", "--data-dir", d, "--quick")
	assert.NotContains(t, out, "content has changed")
	content[0] ^= 1
	require.NoError(t, os.WriteFile(blob, content, 0o440))

	// The sweep removes the old leftovers (and never the leaked file: it is not ours to
	// delete, the check reports it).
	out, _, err = runCmd(t, "check", "--data-dir", d, "--sweep")
	require.Error(t, err)
	assert.Contains(t, out, "removed heart-failure-study/"+id+"/.tmp-123\n")
	assert.Contains(t, out, "removed outbox/heart-failure-study/"+id+"/.x.csv.airlock-tmp-0011\n")
	for _, p := range []string{oldTemp, orphan, unknownReq, outboxTemp} {
		assert.NoFileExists(t, p)
	}
	for _, p := range []string{newTemp, blob, leaked} {
		assert.FileExists(t, p)
	}
	assert.Contains(t, err.Error(), "1 problems found")
	require.NoError(t, os.Remove(leaked))
	out, _, err = runCmd(t, "check", "--data-dir", d, "--recovery-grace", "0s", "--sweep")
	require.NoError(t, err, out)
	assert.Contains(t, out, "removed heart-failure-study/"+id+"/.tmp-456\n")
	assert.NoFileExists(t, newTemp)
}

// A missing stored copy and a broken audit chain are problems too.
func TestCheckReportsMissingCopyAndBrokenChain(t *testing.T) {
	d := demoDir(t)
	id, blob := requestWithFile(t, d)
	require.NoError(t, os.Remove(blob))
	out, _, err := runCmd(t, "check", "--data-dir", d)
	require.Error(t, err)
	assert.Equal(t, "file store: request "+id+" file output/tables/admissions_by_age.csv: the stored copy is missing\n", out)

	db, err := sql.Open("sqlite3", filepath.Join(d, DatabaseFile))
	require.NoError(t, err)
	_, err = db.Exec(`DROP TRIGGER audit_log_no_update`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE audit_log SET username = 'mallory' WHERE type = 'REQUEST_FILE_ADD'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	out, _, err = runCmd(t, "check", "--data-dir", d)
	require.ErrorContains(t, err, "2 problems found")
	assert.Contains(t, out, "audit log: event 2 does not match the hash chain (2 events checked)")
}

// serve sweeps at start (before anything of its own writes) and /healthz reports the check
// it runs in the background.
func TestServeRecoversAtStartAndReportsTheCheck(t *testing.T) {
	d := demoDir(t)
	id, blob := requestWithFile(t, d)
	leftover := filepath.Join(filepath.Dir(blob), ".tmp-crashed")
	plant(t, leftover, "half a copy", 2*time.Hour)
	young := filepath.Join(filepath.Dir(blob), ".tmp-young")
	plant(t, young, "another process may be writing this", 0)

	s := startServe(t, "--data-dir", d)
	assert.NoFileExists(t, leftover, "removed at start")
	assert.FileExists(t, young, "younger than the grace period: kept")
	assert.FileExists(t, blob, "referred to by the request: kept")
	assert.Contains(t, s.logs.String(), `"msg":"recovery: removed a file no request refers to"`)
	assert.Contains(t, s.logs.String(), `"request":"`+id+`"`)

	var h struct {
		Status string `json:"status"`
		Check  *struct {
			At       string   `json:"at"`
			OK       bool     `json:"ok"`
			Problems int      `json:"problems"`
			Messages []string `json:"messages"`
			Hashed   bool     `json:"hashed"`
		} `json:"check"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for h.Check == nil && time.Now().Before(deadline) {
		_, body := get(t, s.url+"/healthz", session{})
		require.NoError(t, json.Unmarshal([]byte(body), &h), body)
		if h.Check == nil {
			time.Sleep(20 * time.Millisecond) // polling the condition "the first check has finished"
		}
	}
	require.NotNil(t, h.Check, "/healthz reports the check once it has run")
	assert.Equal(t, "ok", h.Status)
	assert.True(t, h.Check.OK, "%v", h.Check.Messages)
	assert.Zero(t, h.Check.Problems)
	assert.False(t, h.Check.Hashed, "the background check compares sizes only")
	_, err := time.Parse(time.RFC3339, h.Check.At)
	assert.NoError(t, err)
}
