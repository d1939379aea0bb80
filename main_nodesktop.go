//go:build !desktop

package main

import "github.com/trelab/airlock/backend/cli"

// extraCommands are the commands only some builds have. Desktop builds (-tags desktop)
// define it in main_desktop.go to add "desktop"; this build has none.
func extraCommands() map[string]cli.Command { return nil }
