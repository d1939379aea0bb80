#!/usr/bin/env bash
# Builds the Linux desktop app: the airlock binary with the Wails window on WebKitGTK 4.1
# (build/bin/airlock; `airlock desktop` opens the window, every other command works as in
# the plain build). Installs the GTK and WebKit development packages when missing.
# -buildvcs=auto: `airlock version` shows the commit even where GOFLAGS turns stamping off.
# The wails CLI is not needed: the runtime and bindings are injected at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
bash build/apt-install.sh gcc pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
mkdir -p build/bin
# production: no dev tools in the window; webkit2_41: WebKitGTK 4.1 (with 4.0's code path
# the asset server turns every request into a body-less GET).
CGO_ENABLED=1 "$GO" build -buildvcs=auto -tags desktop,production,webkit2_41 \
  -ldflags "${LDFLAGS:-} -w -s" -o build/bin/airlock .
echo "built build/bin/airlock ($("$GO" env GOOS)/$("$GO" env GOARCH), desktop)"
