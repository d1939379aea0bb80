#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl) are on this machine for the tests
# of the PostgreSQL store, installing Debian's postgresql when they are missing. Nothing is
# started here: each test process starts its own private cluster (backend/internal/pgtest),
# unless AIRLOCK_TEST_POSTGRES names a server to use, in which case nothing is installed.
set -euo pipefail
[ -n "${AIRLOCK_TEST_POSTGRES:-}" ] && exit 0
command -v initdb >/dev/null && command -v pg_ctl >/dev/null && exit 0
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && exit 0
bash "$(dirname "$0")/apt-install.sh" postgresql
