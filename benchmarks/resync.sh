#!/bin/bash
# The re-sync benchmark: a first sync of a generated cache into a fresh database, then the same cache
# with --change-rate 0.01 over copies of it, twice; prints phases and busy times of each run.
#   npm run build && bash benchmarks/resync.sh [MODE] [RECORDS] [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-parallel} records=${2:-1000000} work=${3:-/tmp/cachesync-bench}
cli=(node "$root/bin/cachesync.js")
base=$work/cache-$records changed=$work/cache-$records-changed
[ -f "$base/users.ndjson" ] || "${cli[@]}" generate --records "$records" --cache-dir "$base" --seed 1 >/dev/null
[ -f "$changed/users.ndjson" ] || "${cli[@]}" generate --records "$records" --cache-dir "$changed" --seed 1 --change-rate 0.01 >/dev/null
mkdir -p "$work/db" && rm -rf "$work"/db/resync-*
show='const r=JSON.parse(require("fs").readFileSync(0)); console.log(process.argv[1], JSON.stringify(r.phases), JSON.stringify(r.busy), JSON.stringify(r.records))'
"${cli[@]}" sync --db "$work/db/resync-base.db" --cache-dir "$base" --mode "$mode" --json --log-level warn --no-progress | node -e "$show" first
for i in 1 2; do
  cp "$work/db/resync-base.db" "$work/db/resync-copy.db" && rm -rf "$work"/db/resync-copy.db-* "$work/db/resync-copy.db.live"
  cp -r "$work/db/resync-base.db.live" "$work/db/resync-copy.db.live" && sync
  "${cli[@]}" sync --db "$work/db/resync-copy.db" --cache-dir "$changed" --mode "$mode" --json --log-level warn --no-progress | node -e "$show" "resync-$i"
done
