#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: only what is missing.
set -euo pipefail
need=()
command -v node >/dev/null || need+=(nodejs npm)
# Debian's nodejs comes without npm (build/frontend.sh runs npm ci)
command -v node >/dev/null && ! command -v npm >/dev/null && need+=(npm)
# mattn/go-sqlite3 is cgo: it needs a C compiler
command -v gcc >/dev/null || need+=(gcc libc6-dev)
# end-to-end tests drive Debian's Chromium (never a downloaded browser)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -n "${need[*]}" ] || exit 0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
