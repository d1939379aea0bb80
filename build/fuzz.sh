#!/usr/bin/env bash
# Runs every Go fuzz target of the backend for FUZZTIME each (make fuzz), with FUZZPARALLEL
# fuzzing processes at once (go test -parallel; default: as many as GOMAXPROCS, every
# core). go test runs one target at a time per package, so each is its own run. New inputs
# that fail are written to the package's testdata/fuzz/<Target>/ by go test; commit them
# with the fix.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
FUZZPARALLEL=${FUZZPARALLEL:-}
parallel=()
if [ -n "$FUZZPARALLEL" ]; then
  if ! [[ "$FUZZPARALLEL" =~ ^[1-9][0-9]*$ ]]; then
    echo "FUZZPARALLEL must be a whole number of at least 1, not '$FUZZPARALLEL'" >&2
    exit 2
  fi
  parallel=(-parallel "$FUZZPARALLEL")
fi
export CGO_ENABLED=1
cd "$(dirname "$0")/.."
failed=0
for pkg in $($GO list ./backend/...); do
  targets=$($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "== $pkg $t ($FUZZTIME${FUZZPARALLEL:+, -parallel $FUZZPARALLEL})"
    if ! $GO test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "${parallel[@]}" "$pkg"; then
      failed=1
    fi
  done
done
exit $failed
