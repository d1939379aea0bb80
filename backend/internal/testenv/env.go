// Package testenv is the test environment of the service and the layers above it: a real
// database (a SQLite file; a PostgreSQL database when AIRLOCK_TEST_STORE=postgres, see
// StoreEnv), real workspace folders with a generated job-runner manifest, the real
// request file store, a recording publisher and notifier, a recording release target and
// a controllable clock. Factories build requests by walking the real state machine through
// the service, never by inserting rows.
package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/filestore"
	"github.com/trelab/airlock/backend/internal/pgtest"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/postgres"
	"github.com/trelab/airlock/backend/store/sqlite"
	"github.com/trelab/airlock/backend/workspace"
)

// Workspace is the name of the workspace the user fixtures hold roles on.
const Workspace = "workspace"

// OtherWorkspace is a second workspace; only Outsider holds a role on it.
const OtherWorkspace = "other-workspace"

// Start is the initial time of the clock.
var Start = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// StoreEnv names the variable choosing the store of every environment: "" or "sqlite" (a
// SQLite file in the environment's folder) or "postgres" (a fresh database of the
// PostgreSQL server backend/internal/pgtest provides; a package running on it calls
// pgtest.Main from its TestMain). make test runs the service and HTTP suites on both.
const StoreEnv = "AIRLOCK_TEST_STORE"

// Store is what the environments' stores offer: the service's port, auth's sessions and
// the audit chain's check.
type Store interface {
	service.Store
	auth.Store
	VerifyAudit(ctx context.Context) (checked int, firstBadID int64, err error)
	Close() error
}

// Env is one test environment. Every part is real except the clock and the edges that
// stand for job-server (Releaser, Notifier).
type Env struct {
	Dir   string // the data folder (database, request files)
	Root  string // the workspaces root
	Store Store
	// OpenStore opens another store on the environment's database, as a second server or an
	// operator's command would (closed when the test ends).
	OpenStore  func(t testing.TB) Store
	Workspaces *workspace.Workspaces
	Files      *filestore.Store
	Pub        *Recorder
	Notes      *Notifications
	Releaser   *Releaser
	Clock      *Clock
	// Checks counts disclosure-check warnings (the real render counter).
	Checks *render.WarningCounter
	Svc    *service.Airlock

	mu        sync.Mutex
	manifests map[string]map[string]ManifestOutput
}

// Option changes how NewEnv builds the environment.
type Option func(*options)

type options struct {
	policy     airlock.Policy
	noReleaser bool
	workspaces []string
	codeURL    service.CodeURLTemplate
	store      string
	wsNow      func() time.Time
}

// WithPolicy sets the service policy.
func WithPolicy(p airlock.Policy) Option { return func(o *options) { o.policy = p } }

// WithCodeURL sets the code-browser template of the service.
func WithCodeURL(t service.CodeURLTemplate) Option { return func(o *options) { o.codeURL = t } }

// WithStore chooses the store, "sqlite" or "postgres", whatever AIRLOCK_TEST_STORE says
// (benchmarks measure both in one run).
func WithStore(kind string) Option { return func(o *options) { o.store = kind } }

// WithWorkspaceClock gives the workspace reader its time (workspace.Options.Now): a clock
// ahead of the real one lets its caches keep files the test has just written, which they
// otherwise look up and hash again until they are two seconds old (workspace.statCache).
// Benchmarks get an hour ahead unless they say otherwise: they measure the steady state,
// outputs written long before they are viewed.
func WithWorkspaceClock(now func() time.Time) Option { return func(o *options) { o.wsNow = now } }

// WithoutReleaser configures no Releaser (the outbox target).
func WithoutReleaser() Option { return func(o *options) { o.noReleaser = true } }

// NewEnv builds an environment in t.TempDir() with the workspaces Workspace and
// OtherWorkspace (each with an empty manifest) and closes it when the test ends.
func NewEnv(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{policy: airlock.DefaultPolicy(), workspaces: []string{Workspace, OtherWorkspace},
		store: os.Getenv(StoreEnv)}
	for _, opt := range opts {
		opt(&o)
	}
	if _, bench := t.(*testing.B); bench && o.wsNow == nil {
		o.wsNow = func() time.Time { return time.Now().Add(time.Hour) }
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "workspaces")
	require.NoError(t, os.MkdirAll(root, 0o755))
	openStore := storeOpener(t, dir, o.store)
	st := openStore(t)

	e := &Env{
		Dir:        dir,
		Root:       root,
		Store:      st,
		OpenStore:  openStore,
		Workspaces: workspace.New(root, workspace.Options{Now: o.wsNow}),
		Files:      filestore.New(dir),
		Pub:        &Recorder{},
		Notes:      &Notifications{},
		Releaser:   &Releaser{},
		Clock:      NewClock(Start),
		Checks:     render.NewWarningCounter(render.WarningCounterConfig{}),
		manifests:  map[string]map[string]ManifestOutput{},
	}
	t.Cleanup(e.Checks.Close)
	cfg := service.Config{
		Checks:     e.Checks,
		Store:      e.Store,
		Workspaces: e.Workspaces,
		Files:      e.Files,
		Publisher:  e.Pub,
		Notifier:   e.Notes,
		Clock:      e.Clock.Now,
		Policy:     o.policy,
		CodeURL:    o.codeURL,
	}
	if !o.noReleaser {
		cfg.Releaser = e.Releaser
	}
	e.Svc = service.New(cfg)
	for _, ws := range o.workspaces {
		e.AddWorkspace(t, ws)
	}
	return e
}

// storeOpener returns the function opening a store on the environment's database: the
// SQLite file in dir, or (kind "postgres") a fresh PostgreSQL database.
func storeOpener(t testing.TB, dir, kind string) func(testing.TB) Store {
	t.Helper()
	var open func() (Store, error)
	switch kind {
	case "", "sqlite":
		path := filepath.Join(dir, "airlock.db")
		open = func() (Store, error) { return sqlite.Open(path) }
	case "postgres":
		url := pgtest.NewFrom(t, "testenv-migrated", func(url string) error {
			s, err := postgres.Open(url)
			if err != nil {
				return err
			}
			return s.Close()
		})
		open = func() (Store, error) { return postgres.Open(url) }
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", StoreEnv, kind)
	}
	return func(t testing.TB) Store {
		t.Helper()
		st, err := open()
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
}

// Ctx is the context tests pass to the service.
func Ctx() context.Context { return context.Background() }

// ---------------------------------------------------------------------------------------
// Workspace folders

// ManifestOutput is one entry of a generated job-runner manifest.
type ManifestOutput = workspace.ManifestOutput

// SHA256 is the hex digest of s.
func SHA256(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// AddWorkspace creates workspace folder ws with an empty manifest.
func (e *Env) AddWorkspace(t testing.TB, ws string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(e.Root, ws), 0o755))
	e.mu.Lock()
	if e.manifests[ws] == nil {
		e.manifests[ws] = map[string]ManifestOutput{}
	}
	e.mu.Unlock()
	e.saveManifest(t, ws)
}

// WriteFile writes content at path in ws and records it in the manifest as a moderately
// sensitive output with its size, hash and the clock's time.
func (e *Env) WriteFile(t testing.TB, ws, path, content string) {
	t.Helper()
	e.WriteRaw(t, ws, path, content)
	now := e.Clock.Peek()
	e.SetOutput(t, ws, path, ManifestOutput{
		Level: "moderately_sensitive", JobID: "job-1", JobRequest: "jr-1", Action: "generate",
		Repo: "https://github.com/opensafely/study", Commit: "0123456789abcdef0123456789abcdef01234567",
		Size: int64(len(content)), Timestamp: float64(now.UnixMicro()) / 1e6,
		ContentHash: SHA256(content), User: "researcher",
	})
}

// WriteRaw writes content at path in ws without touching the manifest.
func (e *Env) WriteRaw(t testing.TB, ws, path, content string) {
	t.Helper()
	p := filepath.Join(e.Root, ws, filepath.FromSlash(path))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

// SetOutput sets the manifest entry of path in ws.
func (e *Env) SetOutput(t testing.TB, ws, path string, o ManifestOutput) {
	t.Helper()
	e.mu.Lock()
	if e.manifests[ws] == nil {
		e.manifests[ws] = map[string]ManifestOutput{}
	}
	e.manifests[ws][path] = o
	e.mu.Unlock()
	e.saveManifest(t, ws)
}

// RemoveOutput drops path from the manifest of ws (the file stays on disk).
func (e *Env) RemoveOutput(t testing.TB, ws, path string) {
	t.Helper()
	e.mu.Lock()
	delete(e.manifests[ws], path)
	e.mu.Unlock()
	e.saveManifest(t, ws)
}

// Output returns the manifest entry of path in ws.
func (e *Env) Output(ws, path string) (ManifestOutput, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.manifests[ws][path]
	return o, ok
}

// saveManifest writes the manifest of ws through a temporary file and a rename, so the
// workspace reader always sees a whole, new file.
func (e *Env) saveManifest(t testing.TB, ws string) {
	t.Helper()
	e.mu.Lock()
	data, err := workspace.MarshalManifest(ws, "https://github.com/opensafely/study", e.manifests[ws])
	e.mu.Unlock()
	require.NoError(t, err)
	dir := filepath.Join(e.Root, ws, "metadata")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	tmp, err := os.CreateTemp(dir, ".manifest-*")
	require.NoError(t, err)
	_, err = tmp.Write(data)
	require.NoError(t, err)
	require.NoError(t, tmp.Close())
	require.NoError(t, os.Rename(tmp.Name(), filepath.Join(dir, "manifest.json")))
}

// ---------------------------------------------------------------------------------------
// Persisted state

// Request reads request id straight from the store (the persisted state).
func (e *Env) Request(t testing.TB, id string) *airlock.ReleaseRequest {
	t.Helper()
	var r *airlock.ReleaseRequest
	require.NoError(t, e.Store.View(Ctx(), func(tx service.Tx) error {
		var err error
		r, err = tx.GetRequest(Ctx(), id)
		return err
	}))
	return r
}

// Requests reads every request matching f from the store.
func (e *Env) Requests(t testing.TB, f airlock.RequestFilter) []*airlock.ReleaseRequest {
	t.Helper()
	var rs []*airlock.ReleaseRequest
	require.NoError(t, e.Store.View(Ctx(), func(tx service.Tx) error {
		var err error
		rs, err = tx.ListRequests(Ctx(), f)
		return err
	}))
	return rs
}

// Audit returns the persisted audit events matching f, oldest first.
func (e *Env) Audit(t testing.TB, f airlock.AuditFilter) []airlock.AuditEvent {
	t.Helper()
	var evs []airlock.AuditEvent
	require.NoError(t, e.Store.View(Ctx(), func(tx service.Tx) error {
		var err error
		evs, err = tx.ListAudit(Ctx(), f)
		return err
	}))
	slices.Reverse(evs)
	return evs
}

// RequestAudit returns the persisted audit events of request id, oldest first.
func (e *Env) RequestAudit(t testing.TB, id string) []airlock.AuditEvent {
	t.Helper()
	return e.Audit(t, airlock.AuditFilter{Request: id})
}

// AuditTypes returns the types of evs in order.
func AuditTypes(evs []airlock.AuditEvent) []airlock.AuditType {
	out := make([]airlock.AuditType, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// AuditMark returns how many audit events request id has, to look only at later ones.
func (e *Env) AuditMark(t testing.TB, id string) int {
	t.Helper()
	return len(e.RequestAudit(t, id))
}

// AuditSince returns the audit events of request id written after mark, oldest first.
func (e *Env) AuditSince(t testing.TB, id string, mark int) []airlock.AuditEvent {
	t.Helper()
	evs := e.RequestAudit(t, id)
	require.GreaterOrEqual(t, len(evs), mark)
	return evs[mark:]
}

// Blobs lists the stored copies of request id (their file ids).
func (e *Env) Blobs(t testing.TB, ws, id string) []string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(e.Dir, "requests", ws, id))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

// AssertCode asserts that err is a coded error with code.
func AssertCode(t testing.TB, err error, code airlock.Code) {
	t.Helper()
	if assert.Error(t, err) {
		assert.Equal(t, code, airlock.ErrorCode(err), "error: %v", err)
	}
}

// ---------------------------------------------------------------------------------------
// Edges: clock, publisher, notifier, releaser

// Clock is a controllable clock: it stands still until advanced.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Peek is Now (kept for readability where a test only looks).
func (c *Clock) Peek() time.Time { return c.Now() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Recorder is a Publisher that records what it is given.
type Recorder struct {
	mu     sync.Mutex
	events []airlock.Event
}

// Publish records events.
func (r *Recorder) Publish(events ...airlock.Event) {
	r.mu.Lock()
	r.events = append(r.events, events...)
	r.mu.Unlock()
}

// Events returns the recorded events.
func (r *Recorder) Events() []airlock.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Reset forgets the recorded events.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Notifications is a Notifier that records what it is given.
type Notifications struct {
	mu    sync.Mutex
	notes []airlock.Notification
}

// Notify records n.
func (n *Notifications) Notify(_ context.Context, note airlock.Notification) {
	n.mu.Lock()
	n.notes = append(n.notes, note)
	n.mu.Unlock()
}

// All returns the recorded notifications.
func (n *Notifications) All() []airlock.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.notes)
}

// Types returns the event types of the recorded notifications.
func (n *Notifications) Types() []string {
	var out []string
	for _, note := range n.All() {
		out = append(out, note.EventType)
	}
	return out
}

// Reset forgets the recorded notifications.
func (n *Notifications) Reset() {
	n.mu.Lock()
	n.notes = nil
	n.mu.Unlock()
}

// Releaser stands for job-server's release endpoint: it records each call and answers
// "release-<request id>", or the error set with SetErr.
type Releaser struct {
	mu    sync.Mutex
	calls []ReleaseCall
	err   error
}

// ReleaseCall is one recorded CreateRelease call.
type ReleaseCall struct {
	Actor   string
	Request string
	Files   []airlock.ReleaseFile
}

// CreateRelease records the call.
func (r *Releaser) CreateRelease(_ context.Context, actor airlock.User, req *airlock.ReleaseRequest, files []airlock.ReleaseFile) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, ReleaseCall{Actor: actor.Username, Request: req.ID, Files: slices.Clone(files)})
	if r.err != nil {
		return "", r.err
	}
	return "release-" + req.ID, nil
}

// Calls returns the recorded calls.
func (r *Releaser) Calls() []ReleaseCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// SetErr makes later calls fail with err (nil: succeed).
func (r *Releaser) SetErr(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// ---------------------------------------------------------------------------------------
// Bulk workspace content (benchmarks)

// OutputOf is the manifest entry WriteFile records for a file of size bytes with content
// hash sum, stamped with the clock's time.
func (e *Env) OutputOf(size int64, sum string) ManifestOutput {
	now := e.Clock.Peek()
	return ManifestOutput{
		Level: "moderately_sensitive", JobID: "job-1", JobRequest: "jr-1", Action: "generate",
		Repo: "https://github.com/opensafely/study", Commit: "0123456789abcdef0123456789abcdef01234567",
		Size: size, Timestamp: float64(now.UnixMicro()) / 1e6, ContentHash: sum, User: "researcher",
	}
}

// WriteFiles is WriteFile for many files (path → content) with one manifest write, so that
// workspaces of thousands of files can be built quickly.
func (e *Env) WriteFiles(t testing.TB, ws string, files map[string]string) {
	t.Helper()
	outs := make(map[string]ManifestOutput, len(files))
	for p, content := range files {
		e.WriteRaw(t, ws, p, content)
		outs[p] = e.OutputOf(int64(len(content)), SHA256(content))
	}
	e.SetOutputs(t, ws, outs)
}

// SetOutputs sets the manifest entries of many paths of ws with one manifest write.
func (e *Env) SetOutputs(t testing.TB, ws string, outs map[string]ManifestOutput) {
	t.Helper()
	e.mu.Lock()
	if e.manifests[ws] == nil {
		e.manifests[ws] = map[string]ManifestOutput{}
	}
	for p, o := range outs {
		e.manifests[ws][p] = o
	}
	e.mu.Unlock()
	e.saveManifest(t, ws)
}
