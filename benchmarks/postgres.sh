#!/bin/bash
# The PostgreSQL benchmark: N generated records synced into a throw-away PostgreSQL cluster (first sync,
# then a 1 % change re-sync), beside a plain psql \copy of the same rows into the same table shape (the
# server's own ceiling for these rows), all in one sitting. Every run is a fresh process, timed from outside.
#   npm run build && bash benchmarks/postgres.sh [RECORDS] [MODES] [WORK_DIR]
#   e.g. bash benchmarks/postgres.sh 1000000 "streaming parallel sequential"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
records=${1:-1000000} modes=${2:-"streaming parallel sequential"} work=${3:-/tmp/cachesync-bench-pg}
# shellcheck source=benchmarks/throwaway-postgres.sh
. "$(dirname "$0")/throwaway-postgres.sh"
cli=(node "$root/bin/cachesync.js")
base=$work/cache-$records changed=$work/cache-$records-changed
mkdir -p "$work"
[ -f "$base/users.ndjson" ] || "${cli[@]}" generate --records "$records" --cache-dir "$base" --seed 1 >/dev/null
[ -f "$changed/users.ndjson" ] || "${cli[@]}" generate --records "$records" --cache-dir "$changed" --seed 1 --change-rate 0.01 >/dev/null

start_throwaway_postgres
psql_=(psql -X -q -v ON_ERROR_STOP=1 -d "$url")

now() { date +%s.%N; }
# shellcheck disable=SC2016 # the JavaScript template literal is meant for node, not the shell
rate() { node -e 'const [n, a, b] = process.argv.slice(1).map(Number); console.log(Math.round(n / (b - a)).toLocaleString("en-US").padStart(10), `${(b - a).toFixed(2)} s`.padStart(10))' "$1" "$2" "$3"; }
report='const r=JSON.parse(require("fs").readFileSync(0)); console.log("   phases.total", Math.round(r.phases.total), "ms; records", JSON.stringify(r.records), "peak", r.peakRssMb, "MB")'
sync() { "${cli[@]}" sync ${CHUNK:+--chunk "$CHUNK"} --sink "$url" --schema "$1" --cache-dir "$2" --mode "$3" --json --log-level warn --no-progress --vacuum none | node -e "$report"; }

printf '%-32s %10s %10s\n' run 'records/s' wall
for mode in $modes; do
  "${psql_[@]}" -c "SET client_min_messages = warning; DROP SCHEMA IF EXISTS b_$mode CASCADE"
  t0=$(now); sync "b_$mode" "$base" "$mode" >"$work/first-$mode.txt"; t1=$(now)
  printf '%-32s %s\n' "first sync, $mode" "$(rate "$records" "$t0" "$t1")"; cat "$work/first-$mode.txt"
  t0=$(now); sync "b_$mode" "$changed" "$mode" >"$work/resync-$mode.txt"; t1=$(now)
  printf '%-32s %s\n' "re-sync 1 % changed, $mode" "$(rate "$records" "$t0" "$t1")"; cat "$work/resync-$mode.txt"
done

# The ceiling: the very rows of the first sync, dumped as COPY text and loaded again with psql \copy
# into empty tables of the same shape (primary key included), in one transaction per table.
first=b_$(echo "$modes" | awk '{print $1}')
"${psql_[@]}" -c "DROP SCHEMA IF EXISTS ceiling CASCADE; CREATE SCHEMA ceiling"
for table in rptrs users devices; do
  "${psql_[@]}" -c "\\copy $first.$table TO '$work/$table.copy'"
  "${psql_[@]}" -c "CREATE TABLE ceiling.$table (LIKE $first.$table INCLUDING ALL)"
done
t0=$(now)
for table in rptrs users devices; do "${psql_[@]}" -c "\\copy ceiling.$table FROM '$work/$table.copy'"; done
t1=$(now)
printf '%-32s %s\n' 'psql \copy of the same rows' "$(rate "$records" "$t0" "$t1")"
rm -f "$work"/*.copy
