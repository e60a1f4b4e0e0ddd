#!/usr/bin/env bash
# Cron wrapper: an online, verified backup of the database (`cachesync backup`), logged to
# $CACHESYNC_LOG_DIR/backup-<UTC date>.log (kept CACHESYNC_LOG_RETENTION_DAYS, default 7), exit status passed
# through. Arguments go to `cachesync backup` (e.g. --keep 24 --to /backup).
set -euo pipefail
# shellcheck source=lib/wrapper.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/wrapper.sh"
status=0
run_logged backup backup --json "$@" || status=$?
exit "$status"
