// See doc.go: every handler installed for a synchronous fault signal gets SA_ONSTACK.
//go:build linux && cgo

#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stddef.h>

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static sigaction_fn next_sigaction;

// Resolved before main, so that no thread races the first call.
__attribute__((constructor)) static void resolve_next_sigaction(void) {
	next_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
}

// fault_signal reports whether sig is delivered to the thread that caused it: those are
// the signals a Go thread may take while a handler installed by C code is in place.
// SIGUSR1 is deliberately absent (doc.go).
static int fault_signal(int sig) {
	switch (sig) {
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGABRT:
		return 1;
	}
	return 0;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
	if (next_sigaction == NULL) {
		resolve_next_sigaction();
	}
	if (act != NULL && fault_signal(sig) && !(act->sa_flags & SA_ONSTACK) &&
	    ((act->sa_flags & SA_SIGINFO) || (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN))) {
		struct sigaction fixed = *act;
		fixed.sa_flags |= SA_ONSTACK;
		return next_sigaction(sig, &fixed, old);
	}
	return next_sigaction(sig, act, old);
}
