//go:build !desktop && !dev && !bindings

package main

import (
	"context"
	"errors"

	"github.com/trelab/airlock/backend/cli"
)

// extraCommands are the commands only some builds have. Desktop builds (-tags desktop,
// or dev/bindings under the wails CLI) define it in main_desktop.go to add the window;
// this build says how to get one.
func extraCommands() map[string]cli.Command {
	return map[string]cli.Command{"desktop": func(context.Context, *cli.Env, []string) error {
		return errors.New("built without desktop support; build with make desktop")
	}}
}
