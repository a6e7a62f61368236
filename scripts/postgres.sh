#!/usr/bin/env bash
# PostgreSQL for the tests (the serving backend `serving.backend = "postgres"`), idempotently: makes
# sure a server answers on 127.0.0.1:5432 with trust auth for user postgres (starting Debian's
# clusters when installed but stopped, installing Debian's `postgresql` package when missing and run
# as root), then prints two lines: the server's URL and the directory of its binaries (initdb, pg_ctl:
# the restart test runs a private server of its own).
set -euo pipefail
host="${COHORT_PG_HOST:-127.0.0.1}"
port="${COHORT_PG_PORT:-5432}"

bindir() {
  local initdb
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$initdb" ] && dirname "$initdb"
}

ready() { pg_isready -q -h "$host" -p "$port" >/dev/null 2>&1; }

if [ -z "$(bindir)" ] || ! command -v pg_isready >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
  else
    echo "PostgreSQL is not installed: install Debian's postgresql package" >&2
    exit 1
  fi
fi

if ! ready; then
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h | while read -r version cluster _ status _; do
      [ "$status" = online ] || pg_ctlcluster "$version" "$cluster" start >&2 || true
    done
  fi
  for _ in $(seq 1 100); do ready && break; sleep 0.2; done
fi
if ! ready; then
  echo "PostgreSQL does not answer on $host:$port (see pg_lsclusters)" >&2
  exit 1
fi
echo "postgresql://postgres@$host:$port/postgres"
bindir
