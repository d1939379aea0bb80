//go:build desktop || dev || bindings

package main

// The desktop window: the only file that calls wails.Run, built only with the desktop tags
// (`make desktop`: -tags desktop,production,webkit2_41). Every other file builds and tests
// without GTK and WebKit.

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"github.com/trelab/airlock/app"
	// WebKit's signal handlers must not take the Go runtime down (the package says how)
	_ "github.com/trelab/airlock/app/sigonstack"
	"github.com/trelab/airlock/backend/cli"
)

//go:embed build/appicon.png
var appIcon []byte

// extraCommands adds "desktop" to the command line.
func extraCommands() map[string]cli.Command {
	return map[string]cli.Command{"desktop": desktop}
}

const desktopUsage = `airlock desktop [--server URL | settings of serve] [--listen ADDR] [--open ROUTE]

Opens the Airlock window. Without --server it runs the whole backend in this process, with
the settings of airlock serve (--data-dir, --workspaces, --users, ...; the data folder
defaults to the user's application data folder). --listen ADDR also serves web browsers
from this process. --server URL attaches the window to a running airlock serve instead.
`

// desktop runs the window until it is closed.
func desktop(ctx context.Context, env *cli.Env, args []string) error {
	own := flag.NewFlagSet("airlock desktop", flag.ContinueOnError)
	own.SetOutput(env.Stderr)
	server := own.String("server", env.Getenv("AIRLOCK_SERVER"), "attach to the Airlock server at this URL (AIRLOCK_SERVER)")
	open := own.String("open", "", "show this page of the web UI first, like /workspaces/NAME")
	statePath := own.String("state-file", env.Getenv("AIRLOCK_DESKTOP_STATE"), "write the window's state as JSON here (tests; AIRLOCK_DESKTOP_STATE)")
	mine, rest := splitArgs(args, own)
	if err := own.Parse(mine); err != nil {
		return err
	}
	if *open != "" {
		if err := app.CheckRoute(*open); err != nil {
			return err
		}
	}
	// --listen is a setting of serve; the desktop serves browsers only when it is given.
	listen := hasFlag(rest, "listen") || strings.TrimSpace(env.Getenv("AIRLOCK_LISTEN")) != ""
	if !hasFlag(rest, "data-dir") && strings.TrimSpace(env.Getenv("AIRLOCK_DATA_DIR")) == "" {
		rest = append([]string{"--data-dir", app.DefaultDataDir()}, rest...)
	}
	var settingsHelp strings.Builder
	s, pos, err := cli.ParseSettings("airlock desktop", rest, env.Getenv, &settingsHelp)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stderr, desktopUsage, "\nDesktop flags:\n")
		own.PrintDefaults()
		fmt.Fprint(env.Stderr, "\nSettings (as for airlock serve):\n", strings.TrimPrefix(settingsHelp.String(), "Usage of airlock desktop:\n"))
		return err
	}
	if err != nil {
		fmt.Fprint(env.Stderr, settingsHelp.String())
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("airlock desktop takes no arguments (got %q)", pos[0])
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: s.LogLevel}))
	if s.LogFormat == "json" {
		log = slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: s.LogLevel}))
	}

	var (
		backend app.Backend
		handler http.Handler
		host    string
	)
	switch {
	case *server != "" && listen:
		return errors.New("--listen cannot be used with --server: the server already serves browsers")
	case *server != "":
		remote, err := app.NewRemote(*server, nil, log)
		if err != nil {
			return err
		}
		backend, handler, host = remote, remote.Proxy(), remote.Host()
		log.Info("airlock desktop attached", "server", *server)
	default:
		b, err := cli.Open(s, log)
		if err != nil {
			// Show the reason in the window: there may be no terminal to print it to.
			log.Error("airlock desktop cannot start its backend", "err", err)
			return errors.Join(err, runWindow(ctx, log, nil, app.ErrorPage(err), "", "", *statePath))
		}
		defer b.Close()
		b.Start()
		local := &app.Local{Service: b.Service, Auth: b.Auth, Hub: b.Hub, WorkspaceDir: s.WorkspacesDir}
		backend, handler = local, b.Handler
		if listen {
			stop, err := serveBrowsers(s.Listen, b.Handler, log)
			if err != nil {
				return err
			}
			defer stop()
		}
		log.Info("airlock desktop", "data_dir", s.DataDir, "workspaces", s.WorkspacesDir)
	}
	return runWindow(ctx, log, backend, handler, host, *open, *statePath)
}

// runWindow opens the window on handler and returns when it is closed. With statePath
// (tests: --state-file) the window's state file is written there.
func runWindow(ctx context.Context, log *slog.Logger, backend app.Backend, handler http.Handler, host, open, statePath string) error {
	if backend == nil {
		backend = app.Unavailable{}
	}
	cfg := app.Config{Backend: backend, Logger: log, Server: host, Open: open}
	if statePath != "" {
		state := app.NewStateFile(statePath, backend.Mode(), log)
		cfg.Probe, handler = state, state.Count(handler)
	}
	w := app.NewWindow(cfg)
	var rt *app.WailsRuntime
	err := wails.Run(&options.App{
		Title:            w.Title(),
		Width:            1280,
		Height:           860,
		MinWidth:         900,
		MinHeight:        600,
		BackgroundColour: options.NewRGB(255, 255, 255),
		AssetServer:      &assetserver.Options{Handler: w.Handler(handler)},
		OnStartup: func(wctx context.Context) {
			rt = app.NewWailsRuntime(wctx)
			w.Started(rt)
		},
		OnDomReady: func(context.Context) { w.DomReady() },
		OnShutdown: func(context.Context) {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			w.Close(cctx)
			if rt != nil {
				rt.Shutdown()
			}
		},
		Bind:   []any{app.NewDesktop(w)},
		Logger: app.WailsLogger{Log: log},
		Linux:  &linux.Options{Icon: appIcon, ProgramName: "airlock", WebviewGpuPolicy: linux.WebviewGpuPolicyNever},
	})
	if err != nil {
		return fmt.Errorf("the desktop window failed: %w", err)
	}
	return nil
}

// serveBrowsers serves handler to web browsers on addr (airlock desktop --listen) until
// stop is called.
func serveBrowsers(addr string, handler http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	log.Info("airlock desktop also serving browsers", "url", "http://"+ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// splitArgs separates the desktop's own flags (defined on own) from the settings of serve.
func splitArgs(args []string, own *flag.FlagSet) (mine, rest []string) {
	for i := 0; i < len(args); i++ {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || own.Lookup(name) == nil {
			rest = append(rest, args[i])
			continue
		}
		mine = append(mine, args[i])
		if !hasValue && i+1 < len(args) {
			i++
			mine = append(mine, args[i])
		}
	}
	return mine, rest
}

// hasFlag reports whether args set the flag name (-name, --name, with or without =value).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && n == name {
			return true
		}
	}
	return false
}
