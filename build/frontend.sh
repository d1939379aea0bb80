#!/usr/bin/env bash
# Builds (default) or tests the frontend. Without a frontend yet, there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
[ -f package.json ] || exit 0
[ -d node_modules ] || npm ci --no-audit --no-fund
case "${1:-build}" in
  build) npm run build ;;
  test) npm run check && npm test ;;
esac
