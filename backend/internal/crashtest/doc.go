// Package crashtest holds the crash trials of docs/reliability.md: the real binary
// (`airlock serve` on a temporary data folder with a plain-folder workspace, loopback only)
// is killed with SIGKILL at random points of adding large files, submitting, reviewing,
// releasing and uploading to the outbox, restarted, and checked with `airlock check` and
// `airlock audit --verify`: nothing acknowledged is lost, nothing is left behind, every
// release happens exactly once. `make test` runs a few trials; `make crash` runs
// CRASH_TRIALS (at least 50). The package has only tests.
package crashtest
