#!/usr/bin/env bash
# Prints the desktop figures of the closing note: desktop start to first paint, and idle
# memory of the desktop process, against `airlock serve` on the same demo data in the same
# run (build/desktoptest/figures_test.go). Needs the desktop binary (make desktop).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BIN=${AIRLOCK_DESKTOP_BIN:-build/bin/airlock}
bash build/apt-install.sh xvfb xauth xdotool x11-utils imagemagick >/dev/null
export AIRLOCK_DESKTOP_BIN="$PWD/$BIN" AIRLOCK_DESKTOP_FIGURES=1
xvfb-run -a -s "-screen 0 1366x900x24" \
  "$GO" test -count=1 -v -timeout 10m -run '^TestDesktopFigures$' ./build/desktoptest/ |
  grep -vE '^(=== RUN|--- PASS|PASS|ok )'
