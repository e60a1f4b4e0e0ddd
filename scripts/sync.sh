#!/usr/bin/env bash
# Cron wrapper: one auto-mode sync, its JSON summary appended to a log, exit status passed through.
#   CACHESYNC_HOME   where cachesync is installed (default: this script's repository)
#   CACHESYNC_LOG    log file (default: $CACHESYNC_HOME/data/sync.log)
# Exit 3 means another sync still holds the database: usually fine to ignore from cron.
set -euo pipefail
home="${CACHESYNC_HOME:-$(cd "$(dirname "$0")/.." && pwd)}"
log="${CACHESYNC_LOG:-$home/data/sync.log}"
mkdir -p "$(dirname "$log")"
cd "$home"
status=0
node bin/cachesync.js sync --mode auto --json "$@" >>"$log" 2>>"$log.err" || status=$?
exit "$status"
