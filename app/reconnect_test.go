package app_test

import (
	"io"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/app"
	"github.com/trelab/airlock/backend/airlock"
)

// relay forwards TCP connections to target until cut, which drops every open one (a
// network break between the desktop and its server).
type relay struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newRelay(t *testing.T, target string) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &relay{ln: ln}
	t.Cleanup(func() { _ = ln.Close(); r.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, in, out)
			r.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
		}
	}()
	return r
}

func (r *relay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		_ = c.Close()
	}
	r.conns = nil
}

func (r *recorder) hellos() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.Type == airlock.EventHello {
			n++
		}
	}
	return n
}

// Attached, the window gets a hello exactly when the desktop's WebSocket to the server came
// back after a break (never for the first connection): frontend/src/api/desktop.ts refetches
// every view on it, since events may have been missed.
func TestRemote_HelloAfterReconnect(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.b.Handler)
	t.Cleanup(srv.Close)
	link := newRelay(t, srv.Listener.Addr().String())
	remote, err := app.NewRemote("http://"+link.ln.Addr().String(), nil, nil)
	require.NoError(t, err)
	remote.Backoff = 10 * time.Millisecond // reconnect at once
	w := app.NewWindow(app.Config{Backend: remote, Server: remote.Host()})
	rec := &recorder{}
	w.Started(rec)
	login(t, w, "olivia")

	require.Eventually(t, func() bool { return e.b.Hub.CountUser("olivia") == 1 }, wait, tick)
	writeFile(t, e.settings.WorkspacesDir, "shared-scratch", "before.csv", "x\n1\n")
	require.Eventually(t, func() bool { return rec.eventsFor("shared-scratch") > 0 }, wait, tick)
	assert.Zero(t, rec.hellos(), "the first connection sends no hello")

	link.cut()
	require.Eventually(t, func() bool { return rec.hellos() == 1 }, wait, tick, "no hello after the reconnect")
	require.Eventually(t, func() bool { return e.b.Hub.CountUser("olivia") == 1 }, wait, tick)
	seen := rec.eventsFor("shared-scratch")
	writeFile(t, e.settings.WorkspacesDir, "shared-scratch", "after.csv", "x\n1\n")
	require.Eventually(t, func() bool { return rec.eventsFor("shared-scratch") > seen }, wait, tick, "events flow again")
	assert.Equal(t, 1, rec.hellos())

	w.Close(t.Context())
}
