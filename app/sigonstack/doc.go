// Package sigonstack keeps the Go runtime alive beside WebKitGTK: linked into the desktop
// binary (a blank import in main_desktop.go), it puts SA_ONSTACK on every handler that C code
// installs for a fault signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT).
//
// Why: JavaScriptCore installs such handlers in our process without SA_ONSTACK, lazily, the
// first time it runs (when the page first talks to the window, which can be any time). A
// fault taken on a Go thread then reaches Go's handler on the goroutine's stack, and the
// runtime dies with "non-Go code set up signal handler without SA_ONSTACK flag" (a crash
// seen at start-up in CI). Wails re-applies the flag on a timer for the first five seconds and
// at DOM ready; that leaves windows open, and misses SIGILL and SIGTRAP. Here the flag is
// added when the handler is installed, so there is no window at all: this package defines
// sigaction, which the dynamic linker resolves before libc's for every library of the
// process, and calls libc's with the flag added.
//
// SIGUSR1 is left alone: JavaScriptCore suspends threads with it for garbage collection and
// its handler must run on the thread's own stack (Wails found that forcing the flag there
// freezes the page). Go does not use SIGUSR1.
//
// The package has no API: importing it is the whole effect. On other systems, or without
// cgo, it is empty.
package sigonstack
