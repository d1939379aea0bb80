package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/auth"
)

// request runs the operator's request commands: `airlock request close ID --status
// REJECTED|WITHDRAWN --reason TEXT`, the audited forced close of a stuck request.
func request(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "close" {
		return fmt.Errorf("usage: airlock request close ID --status REJECTED|WITHDRAWN --reason TEXT: %w", errUsage)
	}
	var status, reason, operator string
	s, pos, err := commandSettings(env, "request close", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&status, "status", "", "REJECTED or WITHDRAWN")
		fs.StringVar(&reason, "reason", "", "why the request is closed (audited)")
		fs.StringVar(&operator, "operator", env.Getenv("USER"), "who closes it: a user of the users file or a job-server user who has logged in (default: $USER)")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: airlock request close ID --status REJECTED|WITHDRAWN --reason TEXT: %w", errUsage)
	}
	to := airlock.Status(strings.ToUpper(strings.TrimSpace(status)))
	if to != airlock.StatusRejected && to != airlock.StatusWithdrawn {
		return fmt.Errorf("--status must be REJECTED or WITHDRAWN: %w", errUsage)
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("--reason is required: %w", errUsage)
	}
	operator = strings.TrimSpace(operator)
	if operator == "" {
		return fmt.Errorf("--operator is required (no $USER): name a user of the users file or a job-server user who has logged in: %w", errUsage)
	}
	users, err := loadUsers(s)
	if err != nil {
		return err
	}
	core, err := OpenCore(s, nil)
	if err != nil {
		return err
	}
	defer core.Close()
	op, err := knownOperator(ctx, core, users, operator)
	if err != nil {
		return err
	}
	if err := core.Service.ForceClose(ctx, op, pos[0], to, reason); err != nil {
		return err
	}
	// A command does not send notifications: the serving process dispatches the outbox
	// (docs/operations.md, "Uploads and notifications").
	fmt.Fprintf(env.Stdout, "request %s closed as %s by %s; its job-server notification is queued: the running server sends it\n", pos[0], to, operator)
	return nil
}

// knownOperator is the record of the user a forced close is made as: a user of the users
// file, or a job-server user this Airlock has seen (the user cache). job-server looks the
// notification's user up and fails on one it does not know, so an unknown name would leave
// the author untold; it is refused before anything changes.
func knownOperator(ctx context.Context, core *Core, users *auth.UsersFile, name string) (airlock.User, error) {
	if users != nil {
		if e, ok := users.Lookup(name); ok {
			return e.Details.User(), nil
		}
	}
	u, _, err := core.Store.GetUser(ctx, name)
	switch {
	case airlock.ErrorCode(err) == airlock.CodeNotFound:
		return airlock.User{}, airlock.Errorf(airlock.CodeInvalid,
			"--operator %q is not a known user (not in the users file, and never logged in through job-server); nothing was changed", name)
	case err != nil:
		return airlock.User{}, err
	}
	return u, nil
}
