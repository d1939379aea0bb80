// Package testbin runs Airlock processes for tests (the built binary, or a test binary that
// runs the command line as a child) and collects what they and in-process servers log: the
// harnesses of backend/cli, backend/internal/livetest, build/desktoptest and e2e share it.
// It sits at the module root so that every one of them may import it.
package testbin

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Buffer is a bytes.Buffer safe for a writer and a reader on different goroutines (a
// process's output, a logger's handler).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// FreeAddr returns a loopback address with a port that was free a moment ago (for a
// process that listens on it).
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// Proc is a started process; its standard output and error go to Log.
type Proc struct {
	Cmd     *exec.Cmd
	Log     *Buffer
	Started time.Time

	done chan struct{}
	err  error
}

// Start starts cmd with its output in the returned Proc's Log.
func Start(cmd *exec.Cmd) (*Proc, error) {
	p := &Proc{Cmd: cmd, Log: &Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends sig to the process, unless it has ended, and waits up to grace for it to
// exit; then it kills it. It returns how the process exited (nil for status 0), or an
// error saying it did not stop in time.
func (p *Proc) Stop(sig os.Signal, grace time.Duration) error {
	if p.Exited() {
		return p.err
	}
	_ = p.Cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not stop within %s of %v", grace, sig)
	}
}

// WaitHealthy polls http://addr/healthz until it answers 200 OK and returns when it did.
// It fails when the process exits first or timeout passes.
func (p *Proc) WaitHealthy(addr string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	var last error = errors.New("no answer yet")
	for time.Now().Before(deadline) {
		if p.Exited() {
			return time.Time{}, fmt.Errorf("the process ended before %s was healthy (%v)", addr, p.err)
		}
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
			err = fmt.Errorf("/healthz answered %s", res.Status)
		}
		last = err
		time.Sleep(10 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("%s did not become healthy within %s: %v", addr, timeout, last)
}
