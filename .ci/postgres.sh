#!/usr/bin/env bash
# A throw-away PostgreSQL server on a loopback port, for the test suite.
#   postgres.sh start DIR   initdb + pg_ctl start in DIR; prints the SQLAlchemy URL of database taxer_test
#   postgres.sh stop DIR    stops it
# Runs the server as the `postgres` user when called as root (initdb refuses root). With TAXER_PG_INSTALL=1 it
# installs Debian's postgresql package when the server binaries are missing.
set -euo pipefail
cmd=${1:?start or stop}; dir=${2:?folder}

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  if [ "${TAXER_PG_INSTALL:-0}" = 1 ]; then
    echo "installing PostgreSQL (apt-get install postgresql)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(find_bin)
  fi
fi
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL server binaries not found under /usr/lib/postgresql: install them (apt-get install postgresql) or set TAXER_TEST_PG_URL to a server of yours." >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >&2 \
      || { cat "$dir/server.log" >&2; exit 1; }
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres taxer_test >&2
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/taxer_test"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    ;;
  *) echo "usage: postgres.sh start|stop DIR" >&2; exit 2 ;;
esac
