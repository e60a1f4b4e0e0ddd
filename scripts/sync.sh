#!/usr/bin/env bash
# Cron wrapper: one sync, auto mode unless told otherwise, its JSON summary and log lines appended to
# $CACHESYNC_LOG_DIR/sync-<UTC date>.log (kept CACHESYNC_LOG_RETENTION_DAYS, default 7), exit status passed
# through: 0 synced or unchanged, 1 a source failed, 2 a usage or configuration error, 3 another sync holds
# the database (harmless from cron: no mail). Arguments go to `cachesync sync` (e.g. --mode streaming
# --chunk 500); the mode is auto through CACHESYNC_MODE, so a --mode given here wins.
# Environment: see scripts/lib/wrapper.sh; CACHESYNC_DB, CACHESYNC_CACHE_DIR, CACHESYNC_CONFIG as for the CLI.
set -euo pipefail
# shellcheck source=lib/wrapper.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/wrapper.sh"
export CACHESYNC_MODE="${CACHESYNC_MODE:-auto}"
status=0
run_logged sync sync --json --no-progress "$@" || status=$?
exit "$status"
