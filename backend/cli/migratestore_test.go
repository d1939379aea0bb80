package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/service"
)

// migrate-store copies a SQLite database that has seen a whole workflow (requests, groups,
// files, votes, comments, a deleted comment, sessions, the audit chain) into an empty
// PostgreSQL database: the same views and audit log come out of both, the chain verifies,
// and work goes on there (new comments get new ids, the chain grows intact). A second run
// into the now non-empty database is refused with nothing written.
func TestMigrateStore(t *testing.T) {
	ctx := context.Background()
	d := demoDir(t)
	url := pgtest.New(t)
	alice, olivia := demoUserRecord("alice"), demoUserRecord("olivia")

	core, err := OpenCore(mustSettings(t, "--data-dir", d), nil)
	require.NoError(t, err)
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	id := view.Request.ID
	_, err = core.Service.AddFiles(ctx, alice, id, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv"}})
	require.NoError(t, err)
	_, err = core.Service.EditGroup(ctx, alice, id, "tables", "Admissions by age band.", "Counts rounded to 5.")
	require.NoError(t, err)
	_, err = core.Service.Submit(ctx, alice, id)
	require.NoError(t, err)
	_, err = core.Service.VoteWithNote(ctx, olivia, id, []string{"output/tables/admissions_by_age.csv"}, "APPROVED", "Seen: demo data.")
	require.NoError(t, err)
	c1, err := core.Service.AddComment(ctx, olivia, id, "tables", "Looks fine.", airlock.VisibilityPrivate)
	require.NoError(t, err)
	c2, err := core.Service.AddComment(ctx, olivia, id, "tables", "Second thoughts.", airlock.VisibilityPrivate)
	require.NoError(t, err)
	_, err = core.Service.DeleteComment(ctx, olivia, id, c2.ID)
	require.NoError(t, err)
	require.NoError(t, core.Store.CreateSession(ctx, alice, "session-hash", "csrf", time.Now(), time.Now().Add(time.Hour)))
	before, err := core.Service.GetRequest(ctx, olivia, id)
	require.NoError(t, err)
	auditBefore, err := core.Service.Audit(ctx, airlock.SystemUser(), airlock.AuditFilter{})
	require.NoError(t, err)
	notesBefore, err := core.Service.Notifications(ctx, "")
	require.NoError(t, err)
	require.Len(t, notesBefore, 1, "the submission's notification, queued (no server ran)")
	require.NoError(t, core.Close())

	out, _, err := runCmd(t, "migrate-store", "--data-dir", d, "--database", url)
	require.NoError(t, err)
	for _, line := range []string{"requests       1 rows", "request_files  1 rows", "comments       1 rows", "sessions       1 rows",
		"notification   1 rows"} {
		assert.Contains(t, out, line+"\n")
	}
	assert.Contains(t, out, "audit log intact: ")

	pg, err := OpenCore(mustSettings(t, "--data-dir", d, "--database", url), nil)
	require.NoError(t, err)
	defer pg.Close()
	after, err := pg.Service.GetRequest(ctx, olivia, id)
	require.NoError(t, err)
	assert.Equal(t, before.Request, after.Request, "the request reads back the same from PostgreSQL")
	auditAfter, err := pg.Service.Audit(ctx, airlock.SystemUser(), airlock.AuditFilter{})
	require.NoError(t, err)
	assert.Equal(t, auditBefore, auditAfter)
	username, _, _, err := pg.Store.GetSession(ctx, "session-hash")
	require.NoError(t, err)
	assert.Equal(t, "alice", username, "sessions come along: nobody is logged out")
	notesAfter, err := pg.Service.Notifications(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, notesBefore, notesAfter, "queued notifications come along, for a server on PostgreSQL to send")

	c3, err := pg.Service.AddComment(ctx, olivia, id, "tables", "After the move.", airlock.VisibilityPrivate)
	require.NoError(t, err)
	assert.NotEqual(t, c2.ID, c3.ID, "a deleted comment's id is not given again")
	assert.NotEqual(t, c1.ID, c3.ID)
	checked, bad, err := pg.Store.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.Zero(t, bad)
	assert.Equal(t, len(auditBefore)+1, checked, "the chain grew by one, intact")

	_, _, err = runCmd(t, "migrate-store", "--data-dir", d, "--database", url)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the PostgreSQL database is not empty (it holds ")
	assert.Contains(t, err.Error(), "1 requests")
	checked, _, err = pg.Store.VerifyAudit(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(auditBefore)+1, checked, "nothing written")

	_, _, err = runCmd(t, "migrate-store", "--data-dir", d)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "needs --database postgres://"), err.Error())
}
