package release

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// MaxBackoff is the ceiling of the gap between two upload attempts of one file
// (docs/decisions.md §14).
const MaxBackoff = time.Hour

// Service is what the uploader needs of service.Airlock: it acts only through these
// methods, as the system user.
type Service interface {
	// PendingUploads returns the APPROVED requests with released files not yet uploaded.
	PendingUploads(ctx context.Context) ([]*airlock.ReleaseRequest, error)
	// RecordUploadAttempt counts an attempt before it is made (so a crash counts too).
	RecordUploadAttempt(ctx context.Context, id, relpath string, uploadErr error) error
	// RecordUploadFailure stores the error of a counted attempt that failed.
	RecordUploadFailure(ctx context.Context, id, relpath string, uploadErr error) error
	// MarkUploaded records a delivered file; the request becomes RELEASED when every
	// released file is uploaded.
	MarkUploaded(ctx context.Context, id, relpath string) error
	// OpenStoredFile opens the request's stored copy of f.
	OpenStoredFile(ctx context.Context, r *airlock.ReleaseRequest, f *airlock.RequestFile) (io.ReadSeekCloser, error)
}

// Backoff is the minimum gap after a file's attempts-th attempt: the retry delay, doubling
// with every further attempt, up to MaxBackoff (or the retry delay itself if that is longer).
func Backoff(retry time.Duration, attempts int) time.Duration {
	if attempts <= 0 || retry <= 0 {
		return 0
	}
	ceiling := max(MaxBackoff, retry)
	d := retry
	for i := 1; i < attempts && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// NextAttempt is the earliest time f may be attempted again; the zero time when it never
// was. It depends only on persisted fields, so it survives restarts.
func NextAttempt(f *airlock.RequestFile, retry time.Duration) time.Time {
	if f.UploadAttempts == 0 || f.UploadAttemptedAt == nil {
		return time.Time{}
	}
	return f.UploadAttemptedAt.Add(Backoff(retry, f.UploadAttempts))
}

// Stats is the uploader's progress, for /metrics. Counters are totals since start.
type Stats struct {
	// Queue is the number of released files not yet delivered, as of the end of the last
	// pass.
	Queue int
	// Waiting is how many of those were in back-off during the last pass.
	Waiting        int
	Attempts       int64
	Failures       int64
	DeliveredFiles int64
	DeliveredBytes int64
	// LastPass is when the last pass started (zero before the first).
	LastPass time.Time
}

// Uploader delivers released files to a Target, retrying with back-off, and lets the
// service move each request to RELEASED once all its files are delivered. All state is in
// the database (attempt counts and times), so it survives restarts; an upload interrupted
// by a shutdown is simply attempted again.
type Uploader struct {
	Svc    Service
	Target Target
	// Clock defaults to time.Now.
	Clock func() time.Time
	// Interval between passes (default 1s).
	Interval time.Duration
	// RetryDelay is the first gap between attempts of a failing file (default 60s).
	RetryDelay time.Duration
	// Concurrency bounds the uploads in flight (default 4).
	Concurrency int
	// Claims keeps the uploaders of several servers on one database off each other's
	// files: a file is attempted only under its claim (UploadClaim). Nil: LocalClaims.
	Claims Claims
	Logger *slog.Logger

	wakeOnce sync.Once
	wake     chan struct{}

	localOnce sync.Once
	local     *LocalClaims

	queue, waiting                             atomic.Int64
	attempts, failures, delivered, deliveredBy atomic.Int64
	lastPass                                   atomic.Int64
}

func (u *Uploader) now() time.Time {
	if u.Clock != nil {
		return u.Clock()
	}
	return time.Now()
}

func (u *Uploader) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.Default()
}

func (u *Uploader) retryDelay() time.Duration {
	if u.RetryDelay > 0 {
		return u.RetryDelay
	}
	return 60 * time.Second
}

func (u *Uploader) claims() Claims {
	if u.Claims != nil {
		return u.Claims
	}
	u.localOnce.Do(func() { u.local = &LocalClaims{} })
	return u.local
}

func (u *Uploader) wakeCh() chan struct{} {
	u.wakeOnce.Do(func() { u.wake = make(chan struct{}, 1) })
	return u.wake
}

// Kick asks for a pass now (after a release) instead of at the next tick. It never blocks.
func (u *Uploader) Kick() {
	select {
	case u.wakeCh() <- struct{}{}:
	default:
	}
}

// Stats returns the current progress.
func (u *Uploader) Stats() Stats {
	s := Stats{
		Queue:          int(u.queue.Load()),
		Waiting:        int(u.waiting.Load()),
		Attempts:       u.attempts.Load(),
		Failures:       u.failures.Load(),
		DeliveredFiles: u.delivered.Load(),
		DeliveredBytes: u.deliveredBy.Load(),
	}
	if ns := u.lastPass.Load(); ns != 0 {
		s.LastPass = time.Unix(0, ns).UTC()
	}
	return s
}

// Run makes a pass every Interval (or when kicked) until ctx ends. A pass that panics is
// logged and the loop goes on.
func (u *Uploader) Run(ctx context.Context) error {
	interval := u.Interval
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	log := u.logger()
	log.Info("uploader started", "target", u.Target.Name(), "retry_delay", u.retryDelay().String())
	for {
		if err := u.safePass(ctx); err != nil && ctx.Err() == nil {
			log.Error("upload pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			log.Info("uploader stopped")
			return nil
		case <-t.C:
		case <-u.wakeCh():
		}
	}
}

func (u *Uploader) safePass(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in upload pass: %v\n%s", p, debug.Stack())
		}
	}()
	return u.RunOnce(ctx)
}

type job struct {
	r *airlock.ReleaseRequest
	f *airlock.RequestFile
}

// RunOnce makes one pass: every released, undelivered file whose back-off has passed is
// attempted once (at most Concurrency at a time). A failing file never stops the others;
// RunOnce returns an error only when the pending uploads cannot be read.
func (u *Uploader) RunOnce(ctx context.Context) error {
	now := u.now()
	u.lastPass.Store(now.UnixNano())
	reqs, err := u.Svc.PendingUploads(ctx)
	if err != nil {
		return err
	}
	var jobs []job
	queue, waiting := 0, 0
	for _, r := range reqs {
		for _, f := range ReleasedFiles(r) {
			if f.Uploaded {
				continue
			}
			if _, err := airlock.CheckCanUpload(r, f.RelPath); err != nil {
				// Released files of a request closed since (operator's forced close) are
				// never uploaded: the service would refuse every attempt.
				continue
			}
			queue++
			if next := NextAttempt(f, u.retryDelay()); now.Before(next) {
				waiting++
				continue
			}
			jobs = append(jobs, job{r, f})
		}
	}
	u.queue.Store(int64(queue))
	u.waiting.Store(int64(waiting))

	n := u.Concurrency
	if n <= 0 {
		n = 4
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var delivered atomic.Int64
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if u.deliver(ctx, j.r, j.f) {
				delivered.Add(1)
			}
		}()
	}
	wg.Wait()
	u.queue.Store(int64(queue) - delivered.Load())
	return ctx.Err()
}

// deliver makes one attempt at one file under its claim: count it, upload the stored copy,
// record the outcome. It reports whether the file was delivered and recorded. A file
// claimed elsewhere (another server is delivering it) is left alone; one delivered since
// the pass read it is refused by the count (airlock.CheckCanAttemptUpload) and left alone
// too. A claim lost during the upload cancels it.
func (u *Uploader) deliver(parent context.Context, r *airlock.ReleaseRequest, f *airlock.RequestFile) (ok bool) {
	log := u.logger().With("workspace", r.Workspace, "request", r.ID, "path", f.RelPath, "target", u.Target.Name())
	ctx, release, claimed, err := u.claims().Claim(parent, UploadClaim(r.ID, f.RelPath))
	if err != nil {
		if parent.Err() == nil {
			log.Error("could not claim a file to upload", "err", err)
		}
		return false
	}
	if !claimed {
		log.Debug("file being delivered elsewhere")
		return false
	}
	defer release()
	defer func() {
		if p := recover(); p != nil {
			u.failures.Add(1)
			log.Error("upload panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			perr := airlock.Errorf(airlock.CodeInternal, "Internal error while uploading: %v", p)
			if err := u.Svc.RecordUploadFailure(ctx, r.ID, f.RelPath, perr); err != nil {
				log.Error("could not record an upload failure", "err", err)
			}
		}
	}()
	if err := u.Svc.RecordUploadAttempt(ctx, r.ID, f.RelPath, nil); err != nil {
		// Not counted, so not attempted: the next pass tries again.
		if airlock.ErrorCode(err) == airlock.CodeInvalidState {
			log.Debug("file not attempted", "reason", err.Error())
			return false
		}
		if ctx.Err() == nil {
			log.Error("could not record an upload attempt", "err", err)
		}
		return false
	}
	u.attempts.Add(1)
	open := func() (io.ReadCloser, error) { return u.Svc.OpenStoredFile(ctx, r, f) }
	if err := u.Target.Upload(ctx, r, f, open); err != nil {
		u.failures.Add(1)
		if ctx.Err() != nil {
			log.Info("upload interrupted; it will be retried", "err", err)
			return false
		}
		log.Error("upload failed", "attempt", f.UploadAttempts+1, "err", err,
			"next_attempt_in", Backoff(u.retryDelay(), f.UploadAttempts+1).String())
		if err := u.Svc.RecordUploadFailure(ctx, r.ID, f.RelPath, err); err != nil {
			log.Error("could not record an upload failure", "err", err)
		}
		return false
	}
	if err := u.Svc.MarkUploaded(ctx, r.ID, f.RelPath); err != nil {
		// Delivered but not recorded: the next attempt finds it delivered already (both
		// targets are idempotent) and records it then.
		log.Error("could not record a delivered file", "err", err)
		return false
	}
	u.delivered.Add(1)
	u.deliveredBy.Add(f.Size)
	log.Info("file delivered", "size", f.Size)
	return true
}
