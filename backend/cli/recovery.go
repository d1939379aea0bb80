package cli

import (
	"context"
	"time"
)

// checkTimeout bounds one background check of serve: a check that has not finished by then
// is reported as stopped before the end.
const checkTimeout = 10 * time.Minute

// healthProblems is how many problem lines /healthz shows (the count is always complete).
const healthProblems = 10

// recoverAtStart runs the recovery sweep before the uploader and the API's writers start:
// nothing of this process can be writing yet, so only the grace period (for other processes
// on the same data) holds anything back.
func (b *Backend) recoverAtStart(ctx context.Context) {
	b.sweep(ctx, "start")
}

func (b *Backend) sweep(ctx context.Context, when string) {
	rep, err := b.Recover(ctx, b.Settings.RecoveryGrace)
	if err != nil && ctx.Err() == nil {
		b.Logger.Error("recovery sweep failed", "when", when, "err", err)
	}
	if len(rep.Removed) > 0 {
		b.Logger.Info("recovery sweep", "when", when, "removed", len(rep.Removed), "busy_folders", rep.Busy,
			"grace", b.Settings.RecoveryGrace.String())
	}
}

// runChecks checks the data at start and then every CheckInterval (sweeping before each
// later check), keeping the last report for /healthz, until ctx ends.
func (b *Backend) runChecks(ctx context.Context) {
	for {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		rep := b.Check(cctx, CheckOptions{Grace: b.Settings.RecoveryGrace})
		cancel()
		if ctx.Err() != nil {
			return
		}
		b.checkMu.Lock()
		b.lastCheck = &rep
		b.checkMu.Unlock()
		if rep.OK() {
			b.Logger.Info("data check: consistent", "requests", rep.Requests, "files", rep.Files,
				"audit_events", rep.AuditEvents, "duration", rep.Duration.String())
		} else {
			for i, p := range rep.Problems {
				if i == healthProblems {
					break
				}
				b.Logger.Warn("data check: problem", "problem", p)
			}
			b.Logger.Warn("data check: problems found", "problems", len(rep.Problems), "duration", rep.Duration.String())
		}
		if b.Settings.CheckInterval <= 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.Settings.CheckInterval):
		}
		b.sweep(ctx, "periodic")
	}
}

// LastCheck is the report of the last background check, nil before the first has finished.
func (b *Backend) LastCheck() *CheckReport {
	b.checkMu.Lock()
	defer b.checkMu.Unlock()
	return b.lastCheck
}

// HealthCheck is what /healthz says about the last check (docs/api.md): when it ran, whether
// everything agreed, how many problems it found and the first few of them.
func (b *Backend) HealthCheck() any {
	rep := b.LastCheck()
	if rep == nil {
		return nil
	}
	msgs := rep.Problems
	if len(msgs) > healthProblems {
		msgs = msgs[:healthProblems]
	}
	return map[string]any{
		"at": rep.At.Format(time.RFC3339), "ok": rep.OK(), "problems": len(rep.Problems),
		"messages": msgs, "hashed": rep.Hashed, "durationMs": rep.Duration.Milliseconds(),
	}
}
