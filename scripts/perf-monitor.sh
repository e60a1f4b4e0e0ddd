#!/usr/bin/env bash
# Cron wrapper for the performance monitor: `cachesync monitor --threshold S`, logged to
# $CACHESYNC_LOG_DIR/monitor-<UTC date>.log (kept CACHESYNC_LOG_RETENTION_DAYS, default 7). The verdict
# (OK or ALERT) is logged; an ALERT or a failed sync is also printed on stdout, which cron mails.
# Exit status passed through: 0 OK, 2 ALERT, 1 the sync itself failed.
#   CACHESYNC_MONITOR_THRESHOLD  seconds a sync may take (default: 5)
#   CACHESYNC_MONITOR_WEBHOOK    POST the verdict there too (a Slack-style URL; masked in the log)
# Arguments go to `cachesync monitor` (e.g. --last to read the newest run instead of timing one).
set -euo pipefail
# shellcheck source=lib/wrapper.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/wrapper.sh"
args=(--threshold "${CACHESYNC_MONITOR_THRESHOLD:-5}")
if [ -n "${CACHESYNC_MONITOR_WEBHOOK:-}" ]; then args+=(--webhook "$CACHESYNC_MONITOR_WEBHOOK"); fi
status=0
run_logged monitor monitor "${args[@]}" "$@" || status=$?
if [ "$status" != 0 ]; then
  # The verdict line of this run, for cron's mail: the last OK/ALERT line of today's log.
  grep -E '^(OK|ALERT)' "$cachesync_log_dir/monitor-$(date -u +%F).log" | tail -n 1 || true
fi
exit "$status"
