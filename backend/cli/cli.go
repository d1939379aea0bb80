// Package cli is the airlock command line: serve, demo, token, audit, request close, check,
// regular and version (docs/api.md "Operator commands"). It is the composition root: it
// reads the settings and wires the store, workspaces, service, live hub, uploader and HTTP
// API together. main.go only calls Main.
package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Command is one subcommand. args are the arguments after its name.
type Command func(ctx context.Context, env *Env, args []string) error

// Env is what commands get from the process (tests supply their own).
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// StderrIsTerminal selects text logs when no log format is set.
	StderrIsTerminal bool
	// Version is set at build time with -ldflags "-X main.version=...".
	Version string
	// Commands are extra subcommands (the desktop build adds "desktop").
	Commands map[string]Command
	// OnListen, when set, is called with the address serve listens on once it accepts
	// connections (tests listen on port 0).
	OnListen func(addr string)
	// Program is how the binary was started (./bin/airlock), for commands printed to run
	// next; "" is "airlock".
	Program string
}

// program is the command to print for running this binary again.
func (e *Env) program() string { return cmp.Or(e.Program, "airlock") }

// errUsage marks errors whose message is a usage text (exit status 2).
var errUsage = errors.New("usage")

const usage = `airlock: the gate of a trusted research environment

Usage:
  airlock serve [flags]            headless server: API, web UI, live events, watcher, uploader
  airlock desktop [flags]          the desktop window (desktop builds)
  airlock demo [--data-dir D]      create demo workspaces and users, print how to log in
  airlock token USER               issue a single-use login token for USER
  airlock audit [--user U] [--workspace W] [--request R] [--limit N] [--verify]
  airlock request close ID --status REJECTED|WITHDRAWN --reason TEXT
  airlock check [--quick] [--sweep] verify database, file store, outbox and audit log agree
  airlock regular run|check --regular-requests FILE   run (or validate) the regular release requests
  airlock migrate-store --database postgres://…   copy the SQLite database into an empty PostgreSQL one
  airlock version                  version and build information

Every command takes the settings flags of serve (see airlock serve -h), such as --data-dir.
`

// Main runs the command line with the process's arguments and environment and returns
// the exit status. SIGINT and SIGTERM cancel the command's context (serve shuts down
// gracefully); a second signal kills the process.
func Main(args []string, version string, extra map[string]Command) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal gets the default behaviour: exit at once
	}()
	defer stop()
	env := &Env{
		Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		StderrIsTerminal: isTerminal(os.Stderr), Version: version, Commands: extra, Program: os.Args[0],
	}
	err := Run(ctx, env, args)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(env.Stderr, strings.TrimSuffix(err.Error(), ": "+errUsage.Error()))
		return 2
	default:
		fmt.Fprintln(env.Stderr, "airlock:", oneLine(err))
		return 1
	}
}

// Run runs one command.
func Run(ctx context.Context, env *Env, args []string) error {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if len(args) == 0 {
		return fmt.Errorf("%s: %w", strings.TrimSpace(usage), errUsage)
	}
	commands := map[string]Command{
		"serve":   serve,
		"demo":    demo,
		"token":   token,
		"audit":   audit,
		"check":   check,
		"request": request,
		"regular": regular,
		"version": version,
		// on PostgreSQL only (docs/operations.md)
		"migrate-store": migrateStore,
	}
	for name, c := range env.Commands {
		commands[name] = c
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	case "--version", "-version":
		name = "version"
	}
	cmd, ok := commands[name]
	if !ok {
		if name == "desktop" {
			return errors.New("this build has no desktop window; build with the desktop tags (wails build)")
		}
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("unknown command %q (commands: %s): %w", name, strings.Join(names, ", "), errUsage)
	}
	return cmd(ctx, env, args[1:])
}

// parseFlags parses flags that may come before, between or after positional arguments
// (`airlock token alice --data-dir D`), and returns the positionals.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" || (len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--") {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// commandSettings parses a command's own flags together with the settings flags.
func commandSettings(env *Env, name string, args []string, own func(fs *flag.FlagSet)) (Settings, []string, error) {
	fs := flag.NewFlagSet("airlock "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	p := settingsFlags(fs, env.Getenv)
	if own != nil {
		own(fs)
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Settings{}, nil, err
		}
		return Settings{}, nil, fmt.Errorf("airlock %s: %v: %w", name, err, errUsage)
	}
	s, err := p.resolve(fs)
	return s, pos, err
}

// newLogger returns the structured logger: JSON unless stderr is a terminal (or the
// format says otherwise).
func newLogger(env *Env, s Settings) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.LogLevel}
	format := s.LogFormat
	if format == "" {
		format = "json"
		if env.StderrIsTerminal {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(env.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(env.Stderr, opts))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
}
