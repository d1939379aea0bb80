package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/trelab/airlock/backend/airlock"
)

// ShutdownGrace bounds how long serve waits for requests in flight when stopping.
const ShutdownGrace = 20 * time.Second

// serve runs the headless server until ctx is cancelled (SIGINT/SIGTERM): it stops
// accepting, lets requests in flight finish, closes live sockets, stops the watcher and
// the uploader, and closes the database.
func serve(ctx context.Context, env *Env, args []string) error {
	s, rest, err := commandSettings(env, "serve", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("airlock serve takes no arguments (got %q): %w", rest[0], errUsage)
	}
	log := newLogger(env, s)
	slog.SetDefault(log) // parts that log without a logger of their own use the same format
	b, err := Open(s, log)
	if err != nil {
		return err
	}
	defer b.Close()

	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return listenError(s.Listen, err)
	}
	srv := &http.Server{
		Handler:           b.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Live sockets are hijacked connections that Shutdown does not track: they are closed
	// (going away) as soon as shutdown starts, while requests in flight finish.
	srv.RegisterOnShutdown(b.Hub.Close)
	b.Start()
	addr := ln.Addr().String()
	target := "outbox " + s.ReleaseDir
	if s.JobServer() {
		target = "job-server " + s.APIEndpoint
	}
	log.Info("airlock serving", "url", "http://"+addr, "data_dir", s.DataDir,
		"workspaces", s.WorkspacesDir, "release_target", target, "required_reviews", s.RequiredReviews,
		"allowed_types", strings.Join(s.AllowedTypes, ","), "max_file_size", maxFileSizeText(s.MaxFileSize))
	if env.OnListen != nil {
		env.OnListen(addr)
	}

	if s.Pprof != "" {
		stop, err := servePprof(s.Pprof, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if err != nil {
		log.Warn("requests still running at the end of the grace period", "err", err)
		_ = srv.Close()
	}
	if cerr := b.Close(); cerr != nil {
		log.Error("closing", "err", cerr)
		err = errors.Join(err, cerr)
	}
	log.Info("stopped")
	if errors.Is(err, context.DeadlineExceeded) {
		return nil // reported above; the shutdown itself completed
	}
	return err
}

// servePprof serves Go's profiler (net/http/pprof) on addr, a loopback address, on its own
// listener and mux (never on the API's); stop closes it.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", listenError(addr, err))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("profiler serving", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() { _ = srv.Close() }, nil
}

// maxFileSizeText is the size limit for the log: "none" or the size in human units.
func maxFileSizeText(n int64) string {
	if n <= 0 {
		return "none"
	}
	return airlock.FormatSize(n)
}

// listenError explains why the address cannot be used.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("cannot listen on %s: the address is already in use (is another airlock running? choose another with --listen)", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("cannot listen on %s: permission denied (ports below 1024 need privileges)", addr)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}
