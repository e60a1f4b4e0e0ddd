#!/usr/bin/env bash
# Cron wrapper: warm the cache from the sources' APIs, its JSON summary appended to a log, then (unless
# --no-sync) sync what changed. Exit status: warm's when it failed (1: a source failed, its old cache kept;
# 3: another warm holds the cache directory), else sync's.
#   CACHESYNC_HOME   where cachesync is installed (default: this script's repository)
#   CACHESYNC_WARM_LOG  log file (default: $CACHESYNC_HOME/data/warm.log); the sync logs as scripts/sync.sh does
# Arguments go to `cachesync warm` (e.g. --max-age 50m).
set -euo pipefail
home="${CACHESYNC_HOME:-$(cd "$(dirname "$0")/.." && pwd)}"
log="${CACHESYNC_WARM_LOG:-$home/data/warm.log}"
sync=1
args=()
for arg in "$@"; do
  if [ "$arg" = "--no-sync" ]; then sync=0; else args+=("$arg"); fi
done
mkdir -p "$(dirname "$log")"
cd "$home"
status=0
node bin/cachesync.js warm --json "${args[@]}" >>"$log" 2>>"$log.err" || status=$?
# A failed source kept its old cache: syncing the others is still right.
if [ "$sync" = 1 ] && [ "$status" -le 1 ]; then
  sync_status=0
  "$home/scripts/sync.sh" || sync_status=$?
  [ "$status" = 0 ] && status=$sync_status
fi
exit "$status"
