#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests (trust auth, port 54329, data in .pgtest/).
# `start` prints an `export KIOSK_TEST_PG_URL=...` line for eval; `stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.pgtest"
port=54329
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
if [ -z "$bin" ]; then
  echo "echo 'PostgreSQL is not installed: its tests will be skipped' >&2"
  exit 0
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
case "${1:-}" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"; [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
      as_pg "$bin/initdb -A trust -U postgres -D '$dir' >/dev/null"
    fi
    as_pg "$bin/pg_ctl -D '$dir' -l '$dir/log' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1\" -w start >/dev/null"
    as_pg "$bin/psql -h 127.0.0.1 -p $port -U postgres -Atc \"select 1 from pg_database where datname='test'\" postgres | grep -q 1 || $bin/createdb -h 127.0.0.1 -p $port -U postgres test" >&2
    echo "export KIOSK_TEST_PG_URL=postgresql://postgres@127.0.0.1:$port/test"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && as_pg "$bin/pg_ctl -D '$dir' -m fast -w stop >/dev/null" || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
