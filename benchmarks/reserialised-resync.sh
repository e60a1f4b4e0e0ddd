#!/bin/bash
# The re-serialised re-sync benchmark: N generated records first-synced into a fresh database (parallel
# mode), then the same records as an upstream that re-serialises them sends them: keys in reverse order
# and a field the mapping does not use, so every record's bytes change and no value does. Prints, per
# sync, the wall time, phases.total, the counts and the bytes written to the database:
# - SQLite: the 4 KiB pages of the database file that differ after the sync (compared with a copy taken
#   before it; the sync checkpoints its WAL into the file when it closes), and the saved live-rows file
#   the sync writes beside it;
# - PostgreSQL (a throw-away cluster, as postgres.sh starts one): the WAL the server wrote during the
#   sync, pg_wal_lsn_diff of pg_current_wal_lsn() before and after.
#   npm run build && bash benchmarks/reserialised-resync.sh [RECORDS] [SINKS] [WORK_DIR]
#   e.g. bash benchmarks/reserialised-resync.sh 1000000 "sqlite postgres"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
records=${1:-1000000} sinks=${2:-"sqlite postgres"} work=${3:-/tmp/cachesync-bench-reserialised}
# shellcheck source=benchmarks/throwaway-postgres.sh
. "$(dirname "$0")/throwaway-postgres.sh"
cli=(node "$root/bin/cachesync.js")
base=$work/cache-$records again=$work/cache-$records-reserialised
mkdir -p "$work"
[ -f "$base/users.ndjson" ] || "${cli[@]}" generate --records "$records" --cache-dir "$base" --seed 1 >/dev/null

# Every record parsed and written again with its keys reversed and one unused field: the same values.
# shellcheck disable=SC2016 # the JavaScript is meant for node, not the shell
reserialise='
const fs = require("fs"), [from, to] = process.argv.slice(1)
const out = fs.createWriteStream(to)
const lines = require("readline").createInterface({ input: fs.createReadStream(from), crlfDelay: Infinity })
;(async () => {
  let batch = []
  const flush = async () => { if (!out.write(batch.join("\n") + "\n")) await new Promise((r) => out.once("drain", r)); batch = [] }
  for await (const line of lines) {
    if (line.trim() === "") continue
    const record = Object.fromEntries(Object.entries(JSON.parse(line)).reverse())
    record.x_unused = "re-serialised"
    batch.push(JSON.stringify(record))
    if (batch.length === 10000) await flush()
  }
  if (batch.length > 0) await flush()
  out.end()
})()'
if [ ! -f "$again/users.ndjson" ]; then
  mkdir -p "$again.tmp"
  for file in "$base"/*.ndjson; do node -e "$reserialise" "$file" "$again.tmp/$(basename "$file")"; done
  mv "$again.tmp" "$again"
fi

now() { date +%s.%N; }
# shellcheck disable=SC2016
report='const r = JSON.parse(require("fs").readFileSync(0)); const p = r.phases
console.log(`  phases.total ${Math.round(p.total)} ms (read ${Math.round(p.read)}, transform ${Math.round(p.transform)}, write ${Math.round(p.write)}, maintenance ${Math.round(p.maintenance)}, finalize ${Math.round(p.finalize)}); busy ${JSON.stringify(r.busy)}`)
console.log(`  records ${JSON.stringify(r.records)}; known by their bytes ${r.sources.reduce((n, s) => n + s.knownRecords, 0)}; peak ${r.peakRssMb} MB`)'
# shellcheck disable=SC2016
pages='const fs = require("fs"), [before, after] = process.argv.slice(1), PAGE = 4096
const a = fs.existsSync(before) ? fs.readFileSync(before) : Buffer.alloc(0), b = fs.readFileSync(after)
let changed = 0
for (let at = 0; at < b.length; at += PAGE) if (at + PAGE > a.length || !b.subarray(at, at + PAGE).equals(a.subarray(at, at + PAGE))) changed++
console.log(`  database pages changed ${changed} of ${Math.ceil(b.length / PAGE)}: ${(changed * PAGE / 1048576).toFixed(1)} MB (file ${(a.length / 1048576).toFixed(1)} -> ${(b.length / 1048576).toFixed(1)} MB)`)'
live_mb() { du -sm "$1.live" 2>/dev/null | cut -f1; }
# shellcheck disable=SC2016
elapsed() { node -e 'console.log(`  wall ${(Number(process.argv[2]) - Number(process.argv[1])).toFixed(2)} s`)' "$1" "$2"; }

for sink in $sinks; do
  case $sink in
    sqlite)
      db=$work/db/reserialised.db
      mkdir -p "$work/db" && rm -rf "$db" "$db"-* "$db".*
      for step in first re-sync; do
        cache=$base && [ "$step" = re-sync ] && cache=$again
        rm -f "$work/db/before.db"
        if [ -f "$db" ]; then cp "$db" "$work/db/before.db"; fi
        sync
        echo "sqlite $step ($cache)"
        t0=$(now)
        "${cli[@]}" sync --db "$db" --cache-dir "$cache" --mode parallel --json --log-level warn --no-progress >"$work/$sink-$step.json"
        t1=$(now)
        elapsed "$t0" "$t1"
        node -e "$report" <"$work/$sink-$step.json"
        node -e "$pages" "$work/db/before.db" "$db"
        echo "  saved live-rows file written: $(live_mb "$db") MB"
      done
      rm -f "$work/db/before.db"
      ;;
    postgres)
      start_throwaway_postgres
      lsn() { psql -X -At -d "$url" -c 'SELECT pg_current_wal_lsn()'; }
      for step in first re-sync; do
        cache=$base && [ "$step" = re-sync ] && cache=$again
        echo "postgres $step ($cache)"
        before=$(lsn) t0=$(now)
        "${cli[@]}" sync --sink "$url" --schema bench --cache-dir "$cache" --mode parallel --json --log-level warn --no-progress >"$work/$sink-$step.json"
        t1=$(now) after=$(lsn)
        elapsed "$t0" "$t1"
        node -e "$report" <"$work/$sink-$step.json"
        echo "  WAL written $(psql -X -At -d "$url" -c "SELECT round(pg_wal_lsn_diff('$after', '$before') / 1048576.0, 1)") MB"
      done
      ;;
    *) echo "unknown sink $sink" >&2 && exit 2 ;;
  esac
done
