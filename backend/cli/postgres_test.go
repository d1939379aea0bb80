package cli

import (
	"context"
	"database/sql"
	"net/http"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/postgres"
)

// With --database naming a PostgreSQL database, the commands work on it: the workflow
// writes there (and not to a SQLite file), `airlock audit` lists and verifies its chain, and
// an edit behind the store's back is found.
func TestCommandsOnPostgres(t *testing.T) {
	d := demoDir(t)
	url := pgtest.New(t)
	ctx := context.Background()
	core, err := OpenCore(mustSettings(t, "--data-dir", d, "--database", url), nil)
	require.NoError(t, err)
	_, isPG := core.Store.(*postgres.Store)
	require.True(t, isPG, "the store is %T", core.Store)
	alice := demoUserRecord("alice")
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	_, err = core.Service.AddFiles(ctx, alice, view.Request.ID, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv"}})
	require.NoError(t, err)
	require.NoError(t, core.Close())
	assert.NoFileExists(t, d+"/"+DatabaseFile, "a SQLite file was written beside a PostgreSQL database")

	env, out, _ := testEnv(map[string]string{"AIRLOCK_DATABASE": url})
	require.NoError(t, Run(ctx, env, []string{"audit", "--data-dir", d}))
	assert.Contains(t, out.String(), "REQUEST_FILE_ADD")
	assert.Contains(t, out.String(), "REQUEST_CREATE")

	got, _, err := runCmd(t, "audit", "--data-dir", d, "--database", url, "--verify")
	require.NoError(t, err)
	assert.Equal(t, "audit log intact: 2 events checked\n", got)

	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	_, err = db.Exec(`DROP TRIGGER audit_log_no_update ON audit_log`)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE audit_log SET username = 'mallory' WHERE type = 'REQUEST_FILE_ADD'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, _, err = runCmd(t, "audit", "--data-dir", d, "--database", url, "--verify")
	require.ErrorContains(t, err, "tampered with: event 2")
}

// `airlock serve --database postgres://…` serves: health, a login (the session lives in
// PostgreSQL), a request created through the API.
func TestServeOnPostgres(t *testing.T) {
	d := demoDir(t)
	url := pgtest.New(t)
	s := startServe(t, "--data-dir", d, "--database", url)
	status, body := get(t, s.url+"/healthz", session{})
	assert.Equal(t, http.StatusOK, status, body)
	alice := login(t, s.url, "alice", "alice-demo")
	status, body = get(t, s.url+"/api/v1/auth/me", alice)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"username":"alice"`)
	require.NoError(t, s.stop(t))

	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	var sessions int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sessions WHERE username = 'alice'`).Scan(&sessions))
	assert.Equal(t, 1, sessions)
	assert.NoFileExists(t, d+"/"+DatabaseFile)
}
