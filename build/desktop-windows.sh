#!/usr/bin/env bash
# Cross-builds the Windows desktop app on Debian: build/bin/airlock.exe (a 64-bit GUI
# executable with the Wails window on WebView2) and its NSIS installer
# build/bin/airlock-installer.exe. Installs mingw-w64 and NSIS when missing.
#
# go-sqlite3 needs cgo, so the C compiler is mingw's; without CGO_ENABLED=1 the build would
# still succeed but SQLite would fail at run time, hence the checks at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
VERSION=${VERSION:-dev}
bash build/apt-install.sh gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis file

# Numeric version for the Windows version resources: v1.2.3-... gives 1.2.3, else 0.0.0.
num=$(printf '%s' "$VERSION" | sed -nE 's/^v?([0-9]+)\.([0-9]+)\.([0-9]+).*/\1.\2.\3/p')
num=${num:-0.0.0}

mkdir -p build/bin
syso=rsrc_windows_amd64.syso # linked only into windows/amd64 builds of the main package
trap 'rm -f "$syso"' EXIT
(cd build/windows && x86_64-w64-mingw32-windres -O coff \
  -DVERSION_NUM="${num//./,},0" -DVERSION_STR="\\\"$VERSION\\\"" \
  -i airlock.rc -o "../../$syso")

# wv2runtime.error: an offline secure desktop cannot download the WebView2 runtime, so a
# missing runtime is reported ("ask your administrator") instead of offering a download.
GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ \
  "$GO" build -buildvcs=auto -tags desktop,production,wv2runtime.error \
  -ldflags "${LDFLAGS:-} -w -s -H windowsgui" -o build/bin/airlock.exe .

info=$(file build/bin/airlock.exe)
echo "$info"
grep -q 'PE32+ executable (GUI) x86-64' <<<"$info" || { echo "airlock.exe is not a 64-bit Windows GUI executable" >&2; exit 1; }
"$GO" version -m build/bin/airlock.exe | grep -q 'CGO_ENABLED=1' || { echo "airlock.exe was built without cgo: SQLite would not work" >&2; exit 1; }
"$GO" version -m build/bin/airlock.exe | grep -E 'CGO_ENABLED|-tags|GOOS'

makensis -V2 -DVERSION="$num" -DEXE="$PWD/build/bin/airlock.exe" \
  -DOUTFILE="$PWD/build/bin/airlock-installer.exe" build/windows/installer/airlock.nsi
file build/bin/airlock-installer.exe
ls -l build/bin/airlock.exe build/bin/airlock-installer.exe
