#!/bin/bash
# The archive benchmark: N generated records synced with every source soft-deleting, every row then
# marked deleted long ago, `cachesync archive --deleted-before 30d` moves them all to files and
# `cachesync restore` brings them back. Prints, per sink and per step, the wall time (process start to
# exit), rows/s, peak RSS (/usr/bin/time), the phases the archive reports, the bytes of the files
# against `gzip -6` of the same JSON lines (file by file), and whether the tables after the restore
# equal the tables before the archive (a sha256 over their rows in key order).
#   npm run build && bash benchmarks/archive-restore.sh [RECORDS] [SINKS] [WORK_DIR]
#   e.g. bash benchmarks/archive-restore.sh 1000000 "sqlite postgres"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
records=${1:-1000000} sinks=${2:-"sqlite postgres"} work=${3:-/tmp/cachesync-bench-archive}
# shellcheck source=benchmarks/throwaway-postgres.sh
. "$(dirname "$0")/throwaway-postgres.sh"
cli=(node "$root/bin/cachesync.js")
cache=$work/cache-$records config=$work/all-soft.json
mkdir -p "$work"
[ -f "$cache/users.ndjson" ] || "${cli[@]}" generate --records "$records" --cache-dir "$cache" --seed 1 >/dev/null
# The built-in DMR sources, each deleting soft.
node --input-type=module -e "
const { DMR_SOURCES } = await import('$root/dist/src/config/dmr-sources.js')
console.log(JSON.stringify({ sources: DMR_SOURCES.map((s) => ({ ...s, delete: 'soft' })) }))" >"$config"

tables="rptrs users devices"
now() { date +%s.%N; }
# Runs the CLI under /usr/bin/time; prints wall seconds and peak RSS, keeps stdout in $work/out.json.
timed() {
  local start end
  start=$(now)
  /usr/bin/time -f '%M' -o "$work/rss" "${cli[@]}" "$@" --config "$config" --json >"$work/out.json"
  end=$(now)
  wall=$(echo "$end - $start" | bc)
  rss_mb=$(($(cat "$work/rss") / 1024))
}
# shellcheck disable=SC2016 # the JavaScript is meant for node, not the shell
phases='const r = JSON.parse(require("fs").readFileSync(0)); const p = r.phases, f = (n) => Math.round(n)
console.log(`  rows ${r.rows}, files ${r.files}, json ${(r.rawBytes / 1048576).toFixed(1)} MB -> gzip ${(r.bytes / 1048576).toFixed(1)} MB; in-process ${f(r.totalMs)} ms, ${r.rowsPerSec} rows/s`)
console.log(`  phases (ms): query ${f(p.query)}, serialise ${f(p.serialise)}, compress ${f(p.compress)}, write ${f(p.write)}, verify ${f(p.verify)}, delete ${f(p.delete)}, vacuum ${f(p.vacuum)}`)
console.log(`  batch sizes: ${r.tables.map((t) => t.table + " " + t.batchSizes.join(">")).join("; ")}`)'

for sink in $sinks; do
  dir=$work/archive-$sink
  rm -rf "$dir"
  if [ "$sink" = sqlite ]; then
    db=$work/bench.db
    rm -f "$db" "$db"-*
    target=(--db "$db")
    sql() { sqlite3 "$db" "$1"; }
  else
    [ -n "${url:-}" ] || start_throwaway_postgres
    target=(--sink "$url" --schema bench)
    sql() { "$pg_bin/psql" -qAtX "$url" -c "SET search_path TO bench; $1"; }
  fi
  echo "== $sink: $records records"
  "${cli[@]}" sync "${target[@]}" --cache-dir "$cache" --config "$config" --no-progress --log-level warn >/dev/null
  for t in $tables; do sql "UPDATE $t SET _deleted_at = '2026-01-01T00:00:00.000Z'" >/dev/null; done
  # What the archive must give back: every row in key order, _deleted_at as deleted or not.
  checksum() { for t in $tables; do sql "SELECT * FROM $t ORDER BY 1" | sha256sum | cut -c1-16; done | tr '\n' ' '; }
  before=$(checksum)
  rows=$(for t in $tables; do sql "SELECT count(*) FROM $t"; done | paste -sd+ | bc)

  timed archive "${target[@]}" --deleted-before 30d --to "$dir" --log-level warn
  echo "archive: $rows rows in ${wall} s = $(echo "$rows / $wall" | bc) rows/s end to end, peak RSS ${rss_mb} MB"
  node -e "$phases" <"$work/out.json"
  ours=0 theirs=0
  for f in "$dir"/*.jsonl.gz; do
    ours=$((ours + $(stat -c %s "$f")))
    theirs=$((theirs + $(gzip -dc "$f" | gzip -6 | wc -c)))
  done
  echo "  files ${ours} bytes; gzip -6 of the same JSON lines ${theirs} bytes"
  left=$(for t in $tables; do sql "SELECT count(*) FROM $t"; done | paste -sd+ | bc)
  echo "  rows left in the tables: $left"

  timed restore "${target[@]}" "$dir" --log-level warn
  echo "restore: $rows rows in ${wall} s = $(echo "$rows / $wall" | bc) rows/s end to end, peak RSS ${rss_mb} MB"
  after=$(checksum)
  if [ "$before" = "$after" ]; then echo "  tables after restore equal the tables before archive ($after)"; else echo "  TABLES DIFFER: before $before, after $after"; fi
done
