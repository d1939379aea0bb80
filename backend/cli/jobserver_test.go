package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// Our behaviours against the strict job-server stand-in, wired as serve wires them.

// submittedDemoRequest opens a core on demo data d with job-server at args, and has alice
// submit a request; it returns the core and the request id.
func submittedDemoRequest(t *testing.T, d string, args ...string) (*Core, string) {
	t.Helper()
	ctx := context.Background()
	core, err := OpenCore(mustSettings(t, append([]string{"--data-dir", d}, args...)...), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = core.Close() })
	// This core plays the serving process: it dispatches the outbox.
	core.Notifier.Start(core.Service, nil, "the server")
	alice := demoUserRecord("alice")
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "heart-failure-study")
	require.NoError(t, err)
	id := view.Request.ID
	_, err = core.Service.AddFiles(ctx, alice, id, "tables", []service.FileSpec{{Path: "output/tables/admissions_by_age.csv"}})
	require.NoError(t, err)
	_, err = core.Service.EditGroup(ctx, alice, id, "tables", "Admissions by age band.", "Counts rounded to 5.")
	require.NoError(t, err)
	_, err = core.Service.Submit(ctx, alice, id)
	require.NoError(t, err)
	core.Notifier.Wait()
	return core, id
}

// A forced close names a known user, and job-server accepts its notification: an unknown
// operator is refused in one line with nothing changed and nothing sent; a job-server user
// this Airlock has seen is accepted, and the notification names them.
func TestForcedCloseOperatorAgainstJobServer(t *testing.T) {
	ctx := context.Background()
	fake := newDemoFake(t)
	d := demoDir(t)
	js := []string{"--api-endpoint", fake.URL, "--api-token", fake.Token}
	core, id := submittedDemoRequest(t, d, js...)
	require.Equal(t, []string{"request_submitted"}, fake.EventTypes())

	closeAs := func(operator string) error {
		env, _, _ := testEnv(map[string]string{"USER": "root"})
		args := append([]string{"request", "close", id, "--data-dir", d, "--status", "WITHDRAWN", "--reason", "author left"}, js...)
		if operator != "" {
			args = append(args, "--operator", operator)
		}
		return Run(ctx, env, args)
	}
	for _, op := range []string{"", "nobody"} {
		err := closeAs(op)
		require.Error(t, err, "operator %q", op)
		assert.NotContains(t, err.Error(), "\n", "one line")
		assert.Contains(t, err.Error(), "is not a known user")
	}
	view, err := core.Service.GetRequest(ctx, demoUserRecord("olivia"), id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusSubmitted, view.Request.Status, "nothing changed")
	assert.Equal(t, []string{"request_submitted"}, fake.EventTypes(), "nothing sent")

	// olivia has logged in through job-server (the user cache holds her record); with
	// job-server configured and no --users, the users file is not read.
	require.NoError(t, core.Store.UpsertUser(ctx, demoUserRecord("olivia"), time.Now()))
	require.NoError(t, closeAs("olivia"))
	view, err = core.Service.GetRequest(ctx, demoUserRecord("olivia"), id)
	require.NoError(t, err)
	assert.Equal(t, airlock.StatusWithdrawn, view.Request.Status)
	// The command only queued the notification; the serving process sends it.
	assert.Equal(t, []string{"request_submitted"}, fake.EventTypes(), "the command sends nothing itself")
	notes, err := core.Service.Notifications(ctx, id)
	require.NoError(t, err)
	require.Len(t, notes, 2)
	assert.Equal(t, airlock.NotificationPending, notes[1].State, "queued for the server")
	core.Notifier.Wait()
	require.Equal(t, []string{"request_submitted", "request_withdrawn"}, fake.EventTypes(), "job-server accepted it")
	assert.Equal(t, "olivia", fake.Events()[1].Body["user"])
}

// With job-server configured, a file over its 16 MiB limit is refused when added, saying
// why, instead of failing at release.
func TestJobServerSizeLimitAtAdd(t *testing.T) {
	ctx := context.Background()
	fake := newDemoFake(t)
	d := demoDir(t)
	big := filepath.Join(d, "workspaces", "shared-scratch", "big.csv") // a plain folder: no manifest
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(17<<20))
	require.NoError(t, f.Close())

	core, err := OpenCore(mustSettings(t, "--data-dir", d, "--api-endpoint", fake.URL, "--api-token", fake.Token), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = core.Close() })
	alice := demoUserRecord("alice")
	view, _, err := core.Service.GetOrCreateRequest(ctx, alice, "shared-scratch")
	require.NoError(t, err)
	_, err = core.Service.AddFiles(ctx, alice, view.Request.ID, "tables", []service.FileSpec{{Path: "big.csv"}})
	require.Error(t, err)
	assert.Equal(t, airlock.CodeTooLarge, airlock.ErrorCode(err))
	assert.Equal(t, "File big.csv is 17 MiB, larger than the limit of 16 MiB for files on a request "+
		"(job-server accepts released files of at most 16 MiB)", airlock.ErrorMessage(err))
	assert.Zero(t, fake.Calls("create-release"), "nothing reached job-server")
}
