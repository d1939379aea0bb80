package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/contract"
	"github.com/trelab/airlock/backend/filestore"
	"github.com/trelab/airlock/backend/httpapi"
	"github.com/trelab/airlock/backend/live"
	"github.com/trelab/airlock/backend/release"
	"github.com/trelab/airlock/backend/render"
	"github.com/trelab/airlock/backend/service"
	"github.com/trelab/airlock/backend/store/postgres"
	"github.com/trelab/airlock/backend/store/sqlite"
	"github.com/trelab/airlock/backend/workspace"
	"github.com/trelab/airlock/frontend"
)

// DatabaseFile is the name of the SQLite file in the data directory.
const DatabaseFile = "airlock.db"

// Database is what the commands need of a store, implemented by store/sqlite and
// store/postgres: the service's port, auth's sessions and tokens, and the operator's
// checks.
type Database interface {
	service.Store
	auth.Store
	// VerifyAudit recomputes the audit hash chain: rows checked, first broken id (0: intact).
	VerifyAudit(ctx context.Context) (checked int, firstBadID int64, err error)
	// PingRead reads the database without waiting for writers (/healthz).
	PingRead(ctx context.Context) error
	Close() error
}

// checkDatabase validates --database: empty or "sqlite:", or a postgres:// URL.
func checkDatabase(db string) error {
	switch {
	case db == "" || db == "sqlite:" || postgres.IsURL(db):
		return nil
	case strings.HasPrefix(db, "sqlite:"):
		return fmt.Errorf("--database %q: the SQLite database is always the file %s in the data directory; give just sqlite: (or nothing)", db, DatabaseFile)
	default:
		return fmt.Errorf("--database %q is neither sqlite: nor a postgres:// URL", postgres.Redact(db))
	}
}

// openDatabase opens the store --database names.
func openDatabase(s Settings) (Database, error) {
	if postgres.IsURL(s.Database) {
		st, err := postgres.Open(s.Database)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", postgres.Redact(s.Database), err)
		}
		return st, nil
	}
	path := filepath.Join(s.DataDir, DatabaseFile)
	st, err := sqlite.Open(path)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return st, nil
}

// Core is what every command needs: the database, the workspaces, the request file store,
// the release target and notifier, and the service over them. Nothing runs in the
// background.
type Core struct {
	Settings   Settings
	Logger     *slog.Logger
	Store      Database
	Workspaces *workspace.Workspaces
	Files      *filestore.Store
	// Target is where released files go: the outbox folder, or job-server.
	Target   release.Target
	Notifier *release.Notifier
	Service  *service.Airlock
	// Checks counts files' disclosure-check warnings for the service; Close stops its
	// background counting.
	Checks *render.WarningCounter

	outbox *release.Outbox
	// pub forwards the service's events; Backend points it at the hub.
	pub *publisher
	// replicas links the process with the other servers of a PostgreSQL database (nil on
	// SQLite).
	replicas *replicas
}

// OpenCore checks the data directory and workspaces folder and opens the core.
func OpenCore(s Settings, log *slog.Logger) (*Core, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := checkDataDir(s.DataDir); err != nil {
		return nil, err
	}
	if err := checkWorkspacesDir(s); err != nil {
		return nil, err
	}
	c := &Core{Settings: s, Logger: log, pub: &publisher{}}
	ok := false
	defer func() {
		if !ok {
			_ = c.Close()
		}
	}()
	st, err := openDatabase(s)
	if err != nil {
		return nil, err
	}
	c.Store = st
	if url := postgresURL(s); url != "" {
		if c.replicas, err = openReplicas(url, log); err != nil {
			return nil, err
		}
		c.pub.relay = c.replicas.publish
	}
	c.Workspaces = workspace.New(s.WorkspacesDir, workspace.Options{Logger: log})
	c.Files = filestore.New(s.DataDir)

	var js *release.JobServer
	if s.JobServer() {
		js = release.NewJobServer(release.JobServerConfig{Endpoint: s.APIEndpoint, Token: s.APIToken, Logger: log})
		c.Target = js
	} else {
		ob, err := release.NewOutbox(s.ReleaseDir, nil, log)
		if err != nil {
			return nil, fmt.Errorf("release folder %s: %w", s.ReleaseDir, err)
		}
		c.outbox, c.Target = ob, ob
	}
	if c.Notifier, err = release.NewNotifier(release.NotifierConfig{
		JobServer: js, Org: s.OutputCheckingOrg, Repo: s.OutputCheckingRepo, Logger: log,
	}); err != nil {
		return nil, err
	}
	policy := airlock.DefaultPolicy()
	policy.RequiredReviews = s.RequiredReviews
	if len(s.AllowedTypes) > 0 { // Settings made without ParseSettings keep the reference list
		policy.AllowedExtensions = slices.Clone(s.AllowedTypes)
	}
	policy.MaxFileSize = s.MaxFileSize
	if s.MaxFileSizeFromJobServer {
		policy.MaxFileSizeReason = "job-server accepts released files of at most " + airlock.FormatSize(s.MaxFileSize)
	}
	c.Checks = render.NewWarningCounter(render.WarningCounterConfig{Rules: disclosureRules(s)})
	c.Service = service.New(service.Config{
		Store: st, Workspaces: c.Workspaces, Files: c.Files, Publisher: c.pub,
		Notifier: c.Notifier, Releaser: c.Target, Policy: policy, Logger: log, Checks: c.Checks,
		CodeURL: s.CodeURL,
	})
	ok = true
	return c, nil
}

// Close stops the notification dispatcher, if it was started, after one last pass over the
// outbox (a few seconds at most), and closes the database.
func (c *Core) Close() error {
	var errs []error
	if c.Checks != nil {
		c.Checks.Close()
	}
	if c.Notifier != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, c.Notifier.Close(ctx))
		cancel()
	}
	if c.outbox != nil {
		errs = append(errs, c.outbox.Close())
	}
	if c.replicas != nil {
		c.replicas.close()
	}
	if c.Store != nil {
		errs = append(errs, c.Store.Close())
	}
	return errors.Join(errs...)
}

// checkDataDir creates the data directory when needed and checks that it is writable.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("data directory %s: %w", dir, unwrapPathError(err))
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, unwrapPathError(err))
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return nil
}

// checkWorkspacesDir checks that the workspaces folder can be read; the default one under
// the data directory is created when missing.
func checkWorkspacesDir(s Settings) error {
	dir := s.WorkspacesDir
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && dir == filepath.Join(s.DataDir, "workspaces"):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("workspaces folder %s: %w", dir, unwrapPathError(err))
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("workspaces folder %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("workspaces folder %s: %w", dir, unwrapPathError(err))
	case !st.IsDir():
		return fmt.Errorf("workspaces folder %s is not a folder", dir)
	}
	f, err := os.Open(dir)
	if err == nil {
		_, err = f.ReadDir(1)
		_ = f.Close()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("workspaces folder %s cannot be read: %w", dir, unwrapPathError(err))
	}
	return nil
}

// loadUsers loads the users file: required without job-server, and with job-server only
// when named explicitly.
func loadUsers(s Settings) (*auth.UsersFile, error) {
	if s.JobServer() && !s.usersFileSet {
		return nil, nil
	}
	uf, err := auth.LoadUsersFile(s.UsersFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("users file %s does not exist (set --users, or create demo data with `airlock demo --data-dir %s`)", s.UsersFile, s.DataDir)
	}
	return uf, err
}

// Backend is the whole server side: the core plus logins, the live hub, the workspace
// watcher, the uploader and the HTTP handler. `airlock serve` runs it behind an
// http.Server; the desktop app runs it in-process.
type Backend struct {
	*Core
	Auth     *auth.Authenticator
	Hub      *live.Hub
	Watcher  *workspace.Watcher
	Uploader *release.Uploader
	Metrics  *httpapi.Metrics
	// Tables is the CSV engine of the table and summary routes; Close stops its background
	// indexing.
	Tables  *render.Tables
	Handler http.Handler

	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once

	checkMu   sync.Mutex
	lastCheck *CheckReport
}

// Open checks the settings and builds the backend; Start runs its background work.
func Open(s Settings, log *slog.Logger) (*Backend, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	users, err := loadUsers(s)
	if err != nil {
		return nil, err
	}
	core, err := OpenCore(s, log)
	if err != nil {
		return nil, err
	}
	b := &Backend{Core: core}
	var js *auth.JobServer
	if s.JobServer() {
		js = &auth.JobServer{Endpoint: s.APIEndpoint, Token: s.APIToken}
	}
	b.Hub = live.NewHub(live.Config{AllowedOrigins: s.AllowedOrigins, Logger: log})
	var peers auth.Peers
	if core.replicas != nil {
		peers = replicaPeers{core.replicas}
	}
	b.Auth = auth.New(auth.Config{Store: core.Store, Users: users, JobServer: js, Logger: log,
		OnUserRefreshed: b.Hub.UpdateUser, OnUserRevoked: b.Hub.CloseUser, Peers: peers})
	b.Uploader = &release.Uploader{Svc: core.Service, Target: core.Target, RetryDelay: s.UploadRetry, Logger: log}
	if core.replicas != nil {
		b.Uploader.Claims = core.replicas.claims()
	}
	core.pub.set(b.Hub, b.Uploader.Kick)
	if core.replicas != nil {
		core.replicas.attach(b.Hub, b.Auth, b.Uploader.Kick, core.Notifier.Wake)
	}
	b.Watcher = workspace.NewWatcher(core.Workspaces, core.pub)
	b.Watcher.Logger = log
	b.Metrics = httpapi.NewMetrics()
	b.registerMetrics()
	b.Tables = render.NewTables(render.TablesConfig{Rules: disclosureRules(s)})
	b.Handler = httpapi.New(httpapi.Deps{
		Service: core.Service, Auth: b.Auth, Hub: b.Hub, Logger: log, Metrics: b.Metrics,
		Assets: frontend.Assets(), Health: b.Health, HealthDetails: b.HealthDetails, HealthCheck: b.HealthCheck, SecureCookies: s.SecureCookies,
		Tables: b.Tables, Info: serverInfo(s),
	})
	return b, nil
}

// serverInfo is what GET /api/v1/config tells the UI: demo data when the data directory
// was made by `airlock demo` (its login notes are there), and where released files go.
func serverInfo(s Settings) contract.ServerInfo {
	_, err := os.Stat(filepath.Join(s.DataDir, DemoLoginFile))
	to := "the release folder of this Airlock server"
	if s.JobServer() {
		to = "job-server"
		if u, err := url.Parse(s.APIEndpoint); err == nil && u.Host != "" {
			to = "job-server at " + u.Host
		}
	}
	return contract.ServerInfo{Demo: err == nil, ReleaseTo: to}
}

// Start sweeps what interrupted work left behind (docs/reliability.md), then runs the
// workspace watcher, the uploader, the follower of changes made by other processes, the
// background data check and, with --regular-interval, the regular release requests until
// Close.
func (b *Backend) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.recoverAtStart(ctx)
	// Only serving processes dispatch the notification outbox; commands only queue.
	var claims release.Claims
	if b.replicas != nil {
		claims = b.replicas.claims()
	}
	b.Notifier.Start(b.Service, claims, serverName())
	b.wg.Add(3)
	go func() {
		defer b.wg.Done()
		b.runChecks(ctx)
	}()
	if b.replicas == nil {
		// On PostgreSQL every process sends its changes on the live bus instead.
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.followExternalChanges(ctx, ChangePollInterval)
		}()
	}
	go func() {
		defer b.wg.Done()
		if err := b.Watcher.Run(ctx); err != nil && ctx.Err() == nil {
			b.Logger.Error("workspace watcher stopped", "err", err)
		}
	}()
	go func() {
		defer b.wg.Done()
		_ = b.Uploader.Run(ctx)
	}()
	if b.Settings.RegularInterval > 0 && len(b.Settings.RegularRequests) > 0 {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.runRegularEvery(ctx, b.Settings.RegularInterval)
		}()
	}
}

// Close stops the watcher, the uploader and background CSV indexing, disconnects live
// clients and closes the core.
func (b *Backend) Close() error {
	var err error
	b.closed.Do(func() {
		if b.cancel != nil {
			b.cancel()
		}
		b.Tables.Close()
		_ = b.Watcher.Close()
		b.wg.Wait()
		b.Hub.Close()
		err = b.Core.Close()
	})
	return err
}

// Health reports whether the database and the data folders are usable (/healthz). It reads
// the database on a reader connection, so a busy writer never makes a healthy server look
// unavailable.
func (b *Backend) Health(ctx context.Context) error {
	if err := b.Store.PingRead(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	for _, dir := range []string{b.Settings.DataDir, b.Settings.WorkspacesDir} {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a folder", dir)
		}
	}
	return nil
}

func (b *Backend) registerMetrics() {
	m := b.Metrics
	up := func() release.Stats { return b.Uploader.Stats() }
	m.GaugeFunc("airlock_upload_queue_length", "Released files waiting to be delivered.", func() float64 { return float64(up().Queue) })
	m.GaugeFunc("airlock_upload_waiting", "Released files in back-off after a failed delivery.", func() float64 { return float64(up().Waiting) })
	m.CounterFunc("airlock_upload_attempts_total", "Delivery attempts of released files.", func() float64 { return float64(up().Attempts) })
	m.CounterFunc("airlock_upload_failures_total", "Failed deliveries of released files.", func() float64 { return float64(up().Failures) })
	m.CounterFunc("airlock_uploaded_files_total", "Released files delivered.", func() float64 { return float64(up().DeliveredFiles) })
	m.CounterFunc("airlock_uploaded_bytes_total", "Bytes of released files delivered.", func() float64 { return float64(up().DeliveredBytes) })
	ns := func() release.NotifierStats { return b.Notifier.Stats() }
	m.CounterFunc("airlock_notifications_sent_total", "Notifications job-server answered (201).", func() float64 { return float64(ns().Sent) })
	m.CounterFunc("airlock_notifications_failed_total", "Notifications given up without reaching job-server, or refused by it.", func() float64 { return float64(ns().Failed) })
	m.CounterFunc("airlock_notifications_unknown_total", "Notifications sent without an answer (maybe handled; never resent).", func() float64 { return float64(ns().Unknown) })
	m.CounterFunc("airlock_notifications_logged_total", "Notifications only logged (no job-server configured).", func() float64 { return float64(ns().Logged) })
	m.GaugeFunc("airlock_notifications_queued", "Notifications in the outbox not yet done (pending or sending), of every server of the database.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := b.Service.NotificationCounts(ctx)
		if err != nil {
			return -1
		}
		return float64(c[airlock.NotificationPending] + c[airlock.NotificationSending])
	})
	m.CounterFunc("airlock_notification_retries_total", "Notification attempts after the first (only when the event provably did not reach job-server).", func() float64 { return float64(ns().Retries) })
	if r := b.replicas; r != nil {
		bs := func() postgres.BusStats { return r.bus.Stats() }
		m.CounterFunc("airlock_live_bus_sent_total", "Messages sent to the other servers of the database.", func() float64 { return float64(bs().Sent) })
		m.CounterFunc("airlock_live_bus_received_total", "Messages received from the other servers of the database.", func() float64 { return float64(bs().Received) })
		m.CounterFunc("airlock_live_bus_gaps_total", "Times live events from the other servers may have been missed (sockets told to refetch).", func() float64 { return float64(bs().Gaps) })
		m.GaugeFunc("airlock_live_bus_listening", "1 while this server hears the other servers of the database.", func() float64 {
			if r.bus.Listening() {
				return 1
			}
			return 0
		})
	}
	ws := func() workspace.WatcherStatus { return b.Watcher.Status() }
	m.CounterFunc("airlock_watcher_events_total", "File-system events received by the workspace watcher.", func() float64 { return float64(ws().Events) })
	m.CounterFunc("airlock_watcher_published_total", "workspace.changed events published.", func() float64 { return float64(ws().Published) })
	m.CounterFunc("airlock_watcher_rescans_total", "Rescans of workspaces without file-system events.", func() float64 { return float64(ws().Rescans) })
	m.GaugeFunc("airlock_watcher_watched_dirs", "Folders watched for changes.", func() float64 { return float64(ws().WatchedDirs) })
	m.GaugeFunc("airlock_watcher_degraded_workspaces", "Workspaces followed by rescanning instead of events.", func() float64 { return float64(len(ws().Degraded)) })
	m.GaugeFunc("airlock_watcher_running", "1 while the workspace watcher runs.", func() float64 {
		if ws().Running {
			return 1
		}
		return 0
	})
}

// publisher forwards the service's and the watcher's events to the hub and, on PostgreSQL,
// to the other servers (relay), and wakes the uploader when a request is approved (its
// files are queued for upload).
type publisher struct {
	mu   sync.RWMutex
	hub  *live.Hub
	kick func()
	// relay is set once, before anything publishes.
	relay func([]airlock.Event)
}

func (p *publisher) set(hub *live.Hub, kick func()) {
	p.mu.Lock()
	p.hub, p.kick = hub, kick
	p.mu.Unlock()
}

// Publish implements service.Publisher; it never blocks.
func (p *publisher) Publish(events ...airlock.Event) {
	p.mu.RLock()
	hub, kick := p.hub, p.kick
	p.mu.RUnlock()
	if hub != nil {
		hub.Publish(events...)
	}
	if p.relay != nil {
		p.relay(events)
	}
	if kick != nil {
		for _, ev := range events {
			if ev.Type == airlock.EventRequestChanged && ev.Status == airlock.StatusApproved {
				kick()
				break
			}
		}
	}
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// disclosureRules are the disclosure checks of the summaries and of the warning counts
// (one set for both, so a count always matches the warnings a checker is shown).
// Its zero value (Settings made without ParseSettings) is the OpenSAFELY preset.
func disclosureRules(s Settings) render.DisclosureRules { return s.Disclosure }

// serverName names this process in the notification outbox (claimed_by): its host and
// process id.
func serverName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "airlock"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}
