package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/trelab/airlock/backend/airlock"
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
		fs.StringVar(&operator, "operator", env.Getenv("USER"), "who closes it (default: $USER)")
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
		operator = "operator"
	}
	core, err := OpenCore(s, nil)
	if err != nil {
		return err
	}
	defer core.Close()
	op := airlock.User{Username: operator, Fullname: operator}
	if err := core.Service.ForceClose(ctx, op, pos[0], to, reason); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "request %s closed as %s by %s\n", pos[0], to, operator)
	return nil
}
