package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/trelab/airlock/backend/auth"
)

// token issues a single-use login token for a user of the users file (or a user who has
// logged in before through job-server).
func token(ctx context.Context, env *Env, args []string) error {
	s, pos, err := commandSettings(env, "token", args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: airlock token USER [--data-dir D]: %w", errUsage)
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
	a := auth.New(auth.Config{Store: core.Store, Users: users})
	tok, expires, err := a.IssueToken(ctx, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s\n", tok)
	fmt.Fprintf(env.Stderr, "Single-use login token for %s, valid until %s (%s).\n",
		pos[0], expires.UTC().Format(time.RFC3339), time.Until(expires).Round(time.Minute))
	return nil
}
