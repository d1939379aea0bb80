//go:build linux && cgo

package sigonstack

import (
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fault handler installed by C code without SA_ONSTACK gets it, and a Go fault taken
// while that handler is in place is an ordinary, recoverable panic — not the runtime's
// fatal "non-Go code set up signal handler without SA_ONSTACK flag", which ends the process
// (and this test binary) without it.
func TestFaultHandlersFromCGetOnStack(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS} {
		flags := installLikeWebKit(int(sig))
		require.GreaterOrEqual(t, flags, 0, "sigaction(%v) failed", sig)
		assert.NotZero(t, flags&onStackFlag, "%v: the C handler has no SA_ONSTACK", sig)
	}
	defer restoreHandler(int(syscall.SIGBUS))
	defer restoreHandler(int(syscall.SIGSEGV))

	err := nilDeref()
	var re runtime.Error
	require.ErrorAs(t, err, &re)
	assert.Contains(t, re.Error(), "nil pointer dereference")
}

// SIGUSR1 belongs to JavaScriptCore's garbage collector: its handler is left as installed.
func TestUSR1LeftAlone(t *testing.T) {
	flags := installLikeWebKit(int(syscall.SIGUSR1))
	defer restoreHandler(int(syscall.SIGUSR1))
	require.GreaterOrEqual(t, flags, 0)
	assert.Zero(t, flags&onStackFlag, "SIGUSR1 got SA_ONSTACK")
}

type node struct{ next *node }

//go:noinline
func follow(n *node) *node { return n.next }

// nilDeref faults on a Go thread (SIGSEGV) and returns the recovered runtime error.
func nilDeref() (err error) {
	done := make(chan error)
	go func() {
		defer func() { done <- recover().(error) }()
		follow(nil)
	}()
	return <-done
}
