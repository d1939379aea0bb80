#!/usr/bin/env bash
# Builds (default) or tests the frontend. Without a frontend yet, there is nothing to do.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
[ -f package.json ] || exit 0
# Vite 8 and jsdom need Node 20.19 or newer (Debian 12's own nodejs is 18: use NodeSource's 20+)
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  { echo "build/frontend.sh: Node $(node --version) is too old: the frontend needs Node 20.19 or newer" >&2; exit 1; }
# a lockfile newer than the installed packages means they are stale
if [ -d node_modules ] && [ package-lock.json -nt node_modules/.package-lock.json ]; then rm -rf node_modules; fi
[ -d node_modules ] || npm ci --no-audit --no-fund
case "${1:-build}" in
  build) npm run build ;;
  test) npm run check && npm test ;;
esac
