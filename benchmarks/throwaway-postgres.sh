# shellcheck shell=bash
# Sourced by the PostgreSQL benchmarks: start_throwaway_postgres starts a cluster of its own on a free
# loopback port, sets $url to it, and stops and removes it when the script exits. As root the server
# runs as the postgres user (initdb refuses root). PG_BIN names the server's binaries.

start_throwaway_postgres() {
  pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
  cluster=$(mktemp -d /tmp/cachesync-bench-pg-XXXXXX)
  as_pg=()
  if [ "$(id -u)" = 0 ]; then chown postgres: "$cluster"; as_pg=(runuser -u postgres --); fi
  local port
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  "${as_pg[@]}" "$pg_bin/initdb" -D "$cluster/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$cluster/data" -w -l "$cluster/log" -o "-p $port -k $cluster -c listen_addresses=127.0.0.1" start >/dev/null
  trap '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$cluster/data" -m fast stop >/dev/null; rm -rf "$cluster"' EXIT
  # shellcheck disable=SC2034 # read by the script that sources this
  url="postgres://postgres@127.0.0.1:$port/postgres"
}
