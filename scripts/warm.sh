#!/usr/bin/env bash
# Cron wrapper: warm the cache from the sources' APIs, then (unless --no-sync) run scripts/sync.sh. The
# warm's JSON summary and log lines go to $CACHESYNC_LOG_DIR/warm-<UTC date>.log (kept
# CACHESYNC_LOG_RETENTION_DAYS, default 7). Exit status: the warm's when it failed (1: a source failed, its
# old cache kept; 2: usage or configuration; 3: another warm holds the cache directory), else the sync's.
# Arguments go to `cachesync warm` (e.g. --max-age 55m); --no-sync is this script's.
set -euo pipefail
# shellcheck source=lib/wrapper.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/wrapper.sh"
sync=1
args=()
for arg in "$@"; do
  if [ "$arg" = "--no-sync" ]; then sync=0; else args+=("$arg"); fi
done
status=0
run_logged warm warm --json --no-progress "${args[@]}" || status=$?
# A failed source kept its old cache: syncing the others is still right.
if [ "$sync" = 1 ] && [ "$status" -le 1 ]; then
  sync_status=0
  "$(dirname "${BASH_SOURCE[0]}")/sync.sh" || sync_status=$?
  [ "$status" = 0 ] && status=$sync_status
fi
exit "$status"
