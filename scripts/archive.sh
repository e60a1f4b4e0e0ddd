#!/usr/bin/env bash
# Cron wrapper: old rows out to verified, compressed files (`cachesync archive`), logged to
# $CACHESYNC_LOG_DIR/archive-<UTC date>.log (kept CACHESYNC_LOG_RETENTION_DAYS, default 7), exit status
# passed through. Arguments go to `cachesync archive` (e.g. --deleted-before 30d --history 90d --to /archive).
set -euo pipefail
# shellcheck source=lib/wrapper.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/wrapper.sh"
status=0
run_logged archive archive --json "$@" || status=$?
exit "$status"
