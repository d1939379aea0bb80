package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/trelab/airlock/backend/auth"
	"github.com/trelab/airlock/backend/service"
)

// regular runs the operator's regular release requests (docs/reference/domain.md §10.1):
// `airlock regular run` runs every entry of --regular-requests once (a schedule such as
// cron calls it, or serve with --regular-interval); `airlock regular check` validates the
// file and prints each entry.
func regular(ctx context.Context, env *Env, args []string) error {
	const use = "usage: airlock regular run|check --regular-requests FILE"
	if len(args) == 0 || (args[0] != "run" && args[0] != "check") {
		return fmt.Errorf("%s: %w", use, errUsage)
	}
	s, pos, err := commandSettings(env, "regular "+args[0], args[1:], nil)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%s (got %q): %w", use, pos[0], errUsage)
	}
	if s.RegularRequestsFile == "" {
		return fmt.Errorf("--regular-requests (or AIRLOCK_REGULAR_REQUESTS) names no file: %w", errUsage)
	}
	if args[0] == "check" {
		for _, rr := range s.RegularRequests {
			fmt.Fprintf(env.Stdout, "%s: Config OK\n", rr.Label())
		}
		return nil
	}
	users, err := loadUsers(s)
	if err != nil {
		return err
	}
	log := newLogger(env, s)
	core, err := OpenCore(s, log)
	if err != nil {
		return err
	}
	defer core.Close()
	var js *auth.JobServer
	if s.JobServer() {
		js = &auth.JobServer{Endpoint: s.APIEndpoint, Token: s.APIToken}
	}
	a := auth.New(auth.Config{Store: core.Store, Users: users, JobServer: js, Logger: log})
	return runRegular(ctx, core.Service, s.RegularRequests, a.LookupUser, env.Stdout)
}

// runRegular runs every entry once and prints one line for each; it fails when an entry
// failed (after running the others).
func runRegular(ctx context.Context, svc *service.Airlock, rrs []service.RegularRequest, lookup service.UserLookup, out io.Writer) error {
	results, errs := svc.RunRegularRequests(ctx, rrs, lookup)
	failed := 0
	for i, rr := range rrs {
		if errs[i] != nil {
			failed++
			fmt.Fprintf(out, "%s: failed: %s\n", rr.Label(), oneLine(errs[i]))
			continue
		}
		r := results[i]
		fmt.Fprintf(out, "%s: %s (request %s by %s, %d files added)\n", rr.Label(), r.Message, r.RequestID, r.Author, r.Added)
		for _, sk := range r.Skipped {
			fmt.Fprintf(out, "  %s\n", sk)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d regular requests failed", failed, len(rrs))
	}
	return nil
}

// runRegularEvery runs the regular requests every interval until ctx ends (serve with
// --regular-interval); the first run is one interval after start.
func (b *Backend) runRegularEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.regularPass(ctx)
	}
}

// regularPass makes the regular requests once; with several servers, only the one that
// claims the pass makes them.
func (b *Backend) regularPass(ctx context.Context) {
	if b.replicas != nil {
		cctx, release, ok, err := b.replicas.claims().Claim(ctx, "regular-requests")
		if err != nil || !ok {
			if err != nil {
				b.Logger.Warn("regular requests: cannot claim the pass", "err", err)
			}
			return // another server makes them
		}
		defer release()
		ctx = cctx
	}
	err := runRegular(ctx, b.Service, b.Settings.RegularRequests, b.Auth.LookupUser, io.Discard)
	if err != nil && !errors.Is(err, context.Canceled) {
		b.Logger.Warn("regular requests", "err", err)
	}
}
