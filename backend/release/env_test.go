package release_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/filestore"
	"github.com/trelab/airlock/backend/internal/fakejobserver"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/sqlite"
	"github.com/trelab/airlock/backend/workspace"
)

// clock is a settable clock shared by the service and the uploader.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is the real backend on temp folders: a SQLite file, a workspace root, the request
// file store. Restart builds a new service on the same files, as a restarted process does.
type env struct {
	t       testing.TB
	dataDir string
	wsRoot  string
	clock   *clock
	store   *sqlite.Store
	svc     *service.Airlock
	cfg     envConfig
}

type envConfig struct {
	Releaser service.Releaser
	Notifier service.Notifier
	Policy   airlock.Policy
}

var (
	alice = airlock.User{Username: "alice", Fullname: "Alice Author", Workspaces: map[string]airlock.WorkspaceGrant{
		"ws1": {Project: airlock.Project{Name: "P1", Ongoing: true}},
	}}
	bob   = airlock.User{Username: "bob", Fullname: "Bob Checker", OutputChecker: true}
	carol = airlock.User{Username: "carol", Fullname: "Carol Checker", OutputChecker: true}
)

func newEnv(t testing.TB, cfg envConfig) *env {
	base := t.TempDir()
	e := &env{t: t, dataDir: filepath.Join(base, "data"), wsRoot: filepath.Join(base, "workspaces"), cfg: cfg,
		clock: &clock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}}
	require.NoError(t, os.MkdirAll(filepath.Join(e.wsRoot, "ws1"), 0o755))
	require.NoError(t, os.MkdirAll(e.dataDir, 0o755))
	e.start()
	t.Cleanup(func() { _ = e.store.Close() })
	return e
}

func (e *env) start() {
	st, err := sqlite.Open(filepath.Join(e.dataDir, "airlock.db"))
	require.NoError(e.t, err)
	e.store = st
	e.svc = service.New(service.Config{
		Store:      st,
		Workspaces: workspace.New(e.wsRoot, workspace.Options{}),
		Files:      filestore.New(filepath.Join(e.dataDir, "files")),
		Notifier:   e.cfg.Notifier,
		Releaser:   e.cfg.Releaser,
		Clock:      e.clock.Now,
		Policy:     e.cfg.Policy,
		Logger:     discardLogger(),
	})
}

// restart closes the database and builds a new service on the same files.
func (e *env) restart() {
	require.NoError(e.t, e.store.Close())
	e.start()
}

// writeFile writes a workspace file of ws1.
func (e *env) writeFile(relpath string, data []byte) {
	p := filepath.Join(e.wsRoot, "ws1", filepath.FromSlash(relpath))
	require.NoError(e.t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(e.t, os.WriteFile(p, data, 0o644))
}

// reviewedRequest walks the workflow: alice adds the output files (and the supporting
// ones), submits, bob and carol approve every output file and submit their reviews.
func (e *env) reviewedRequest(outputs, supporting content) string {
	for p, b := range outputs {
		e.writeFile(p, b)
	}
	for p, b := range supporting {
		e.writeFile(p, b)
	}
	return e.reviewedRequestOf(sortedKeys(outputs), sortedKeys(supporting))
}

// reviewedRequestOf is reviewedRequest for workspace files already written.
func (e *env) reviewedRequestOf(outPaths, supPaths []string) string {
	t, ctx := e.t, context.Background()
	view, _, err := e.svc.GetOrCreateRequest(ctx, alice, "ws1")
	require.NoError(t, err)
	id := view.Request.ID
	var specs []service.FileSpec
	for _, p := range outPaths {
		specs = append(specs, service.FileSpec{Path: p, FileType: airlock.FileTypeOutput})
	}
	for _, p := range supPaths {
		specs = append(specs, service.FileSpec{Path: p, FileType: airlock.FileTypeSupporting})
	}
	_, err = e.svc.AddFiles(ctx, alice, id, "group", specs)
	require.NoError(t, err)
	_, err = e.svc.EditGroup(ctx, alice, id, "group", "some context", "some controls")
	require.NoError(t, err)
	_, err = e.svc.Submit(ctx, alice, id)
	require.NoError(t, err)
	for _, u := range []airlock.User{bob, carol} {
		_, err = e.svc.Vote(ctx, u, id, outPaths, "APPROVED")
		require.NoError(t, err)
		_, err = e.svc.SubmitReview(ctx, u, id)
		require.NoError(t, err)
	}
	return id
}

// approvedRequest is a reviewed request released by bob.
func (e *env) approvedRequest(outputs content) string {
	id := e.reviewedRequest(outputs, nil)
	_, err := e.svc.Release(context.Background(), bob, id)
	require.NoError(e.t, err)
	return id
}

// request reads a request as bob sees it.
func (e *env) request(id string) *airlock.ReleaseRequest {
	v, err := e.svc.GetRequest(context.Background(), bob, id)
	require.NoError(e.t, err)
	return v.Request
}

// auditTypes returns the request's audit event types, oldest first.
func (e *env) auditTypes(id string) []airlock.AuditType {
	evs, err := e.svc.Audit(context.Background(), bob, airlock.AuditFilter{Request: id})
	require.NoError(e.t, err)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].ID < evs[j].ID })
	var out []airlock.AuditType
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

type serviceFile = service.FileSpec

// newFake starts the strict job-server stand-in knowing the users and the workspace of env.
func newFake(t *testing.T) *fakejobserver.Server {
	fake := fakejobserver.New(t, token)
	fake.AddWorkspace("ws1")
	for _, u := range []airlock.User{alice, bob, carol} {
		fake.AddUser(u.Username, map[string]any{"fullname": u.Fullname, "output_checker": u.OutputChecker})
	}
	return fake
}
