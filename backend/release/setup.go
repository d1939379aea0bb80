package release

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// Config is the release part of the settings of `airlock serve` and the desktop app
// (API.md "Command line").
type Config struct {
	// ReleaseDir is the outbox folder, used when no job-server is configured.
	ReleaseDir string
	// APIEndpoint and APIToken select job-server for releases and notifications; both or
	// neither.
	APIEndpoint string
	APIToken    string
	// Org and Repo name the output-checking repository sent with notifications (optional,
	// both or neither).
	Org, Repo string
	// UploadRetry is the first gap between attempts of a failing file (default 60s).
	UploadRetry time.Duration
	// UploadInterval is the gap between uploader passes (default 1s).
	UploadInterval time.Duration
	// Timeout bounds each job-server call (default 30s).
	Timeout time.Duration
	Clock   func() time.Time
	Logger  *slog.Logger
}

// Delivery is the release machinery built from Config: the target, which is also the
// service's Releaser, and the notifier. Build the service with them, then NewUploader.
type Delivery struct {
	Target   Target
	Notifier *Notifier
	cfg      Config
	outbox   *Outbox
}

// New builds the delivery side from cfg: job-server when an endpoint and token are set,
// else the outbox folder.
func New(cfg Config) (*Delivery, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &Delivery{cfg: cfg}
	var js *JobServer
	switch {
	case (cfg.APIEndpoint == "") != (cfg.APIToken == ""):
		return nil, airlock.Errorf(airlock.CodeInvalid, "The job-server API endpoint and token must be set together.")
	case cfg.APIEndpoint != "":
		js = NewJobServer(JobServerConfig{Endpoint: cfg.APIEndpoint, Token: cfg.APIToken, Timeout: cfg.Timeout, Logger: cfg.Logger})
		d.Target = js
	default:
		if cfg.ReleaseDir == "" {
			return nil, airlock.Errorf(airlock.CodeInvalid, "A release folder is needed when no job-server is configured.")
		}
		o, err := NewOutbox(cfg.ReleaseDir, cfg.Clock, cfg.Logger)
		if err != nil {
			return nil, err
		}
		d.outbox, d.Target = o, o
	}
	n, err := NewNotifier(NotifierConfig{JobServer: js, Org: cfg.Org, Repo: cfg.Repo, Logger: cfg.Logger})
	if err != nil {
		if d.outbox != nil {
			_ = d.outbox.Close()
		}
		return nil, err
	}
	d.Notifier = n
	return d, nil
}

// NewUploader returns the uploader delivering to the target through svc (the service).
func (d *Delivery) NewUploader(svc Service) *Uploader {
	return &Uploader{Svc: svc, Target: d.Target, Clock: d.cfg.Clock, Interval: d.cfg.UploadInterval,
		RetryDelay: d.cfg.UploadRetry, Logger: d.cfg.Logger}
}

// Close sends the queued notifications until ctx ends and releases the outbox folder. Stop
// the uploader (cancel its Run context) first.
func (d *Delivery) Close(ctx context.Context) error {
	err := d.Notifier.Close(ctx)
	if d.outbox != nil {
		err = errors.Join(err, d.outbox.Close())
	}
	return err
}
