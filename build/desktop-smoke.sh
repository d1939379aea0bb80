#!/usr/bin/env bash
# The desktop smoke test of `make test`: the Linux desktop binary (make desktop) under
# Xvfb on demo data, driven with xdotool (build/desktoptest). The screenshots are taken and
# checked in a temporary folder; with AIRLOCK_SCREENSHOTS=1 (make screenshots) they are
# kept as docs/screenshots/desktop*.png. Installs Xvfb, xdotool and ImageMagick when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BIN=${AIRLOCK_DESKTOP_BIN:-build/bin/airlock}
bash build/apt-install.sh xvfb xauth xdotool x11-utils imagemagick >/dev/null
# main_desktop.go is compiled only with the desktop tags: type-check it here.
CGO_ENABLED=1 "$GO" vet -tags desktop,production,webkit2_41 . ./app/...
export AIRLOCK_DESKTOP_BIN="$PWD/$BIN"
xvfb-run -a -s "-screen 0 1366x900x24" \
  "$GO" test -count=1 -v -timeout 10m -run "${RUN:-TestDesktopSmoke}" ./build/desktoptest/
