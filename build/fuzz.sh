#!/usr/bin/env bash
# Runs every Go fuzz target of the backend for FUZZTIME each (make fuzz). go test runs one
# target at a time per package, so each is its own run. New inputs that fail are written
# to the package's testdata/fuzz/<Target>/ by go test; commit them with the fix.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
export CGO_ENABLED=1
cd "$(dirname "$0")/.."
failed=0
for pkg in $($GO list ./backend/...); do
  targets=$($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "== $pkg $t ($FUZZTIME)"
    if ! $GO test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg"; then
      failed=1
    fi
  done
done
exit $failed
