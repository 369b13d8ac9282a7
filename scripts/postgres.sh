#!/usr/bin/env bash
# Start a private PostgreSQL cluster for CARE's tests (installing Debian's package if absent)
# and print its SQLAlchemy URL. Idempotent: a running cluster is reused.
set -euo pipefail
PGPORT="${CARE_TEST_PG_PORT:-54329}"
PGROOT="${CARE_TEST_PG_DIR:-/tmp/care-test-pg}"

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(bindir)" ]; then
  if [ "$(id -u)" != 0 ]; then echo "PostgreSQL is not installed; run: sudo apt-get install -y postgresql" >&2; exit 1; fi
  echo "installing PostgreSQL (Debian package)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ ! -f "$PGROOT/data/PG_VERSION" ]; then
  mkdir -p "$PGROOT"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGROOT"
  as_owner "$BIN/initdb" -D "$PGROOT/data" -U postgres -A trust --no-sync >/dev/null
fi
if ! as_owner "$BIN/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; then
  as_owner "$BIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w \
    -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
