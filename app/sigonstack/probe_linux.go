//go:build linux && cgo

package sigonstack

/*
#include <signal.h>
#include <stddef.h>

static struct sigaction saved[65];
static struct sigaction chained[65];

// chain calls the handler that was in place before, as JavaScriptCore's handlers do for a
// fault that is not theirs.
static void chain(int sig, siginfo_t *info, void *ctx) {
	if (chained[sig].sa_flags & SA_SIGINFO) {
		chained[sig].sa_sigaction(sig, info, ctx);
	} else if (chained[sig].sa_handler != SIG_DFL && chained[sig].sa_handler != SIG_IGN) {
		chained[sig].sa_handler(sig);
	}
}

// install_like_webkit installs chain for sig the way JavaScriptCore does: SA_SIGINFO, no
// SA_ONSTACK. It returns the flags the kernel then holds for sig.
static int install_like_webkit(int sig) {
	struct sigaction sa;
	sa.sa_sigaction = chain;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(sig, &sa, &chained[sig]) != 0) {
		return -1;
	}
	saved[sig] = chained[sig];
	struct sigaction now;
	if (sigaction(sig, NULL, &now) != 0) {
		return -1;
	}
	return now.sa_flags;
}

static void restore(int sig) {
	sigaction(sig, &saved[sig], NULL);
}

static int onstack_flag(void) { return SA_ONSTACK; }
*/
import "C"

// installLikeWebKit installs, for sig, a C handler that chains to the previous one, as
// JavaScriptCore does, and returns the flags now in force (-1 on error). Tests use it.
func installLikeWebKit(sig int) int { return int(C.install_like_webkit(C.int(sig))) }

// restoreHandler puts back the handler installLikeWebKit replaced.
func restoreHandler(sig int) { C.restore(C.int(sig)) }

var onStackFlag = int(C.onstack_flag())
