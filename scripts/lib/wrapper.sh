# shellcheck shell=bash
# What the cron wrappers share: where cachesync is, a log file a day with retention, and one way to run
# the CLI with its output logged and its exit status passed through. Sourced, not run.
#
#   CACHESYNC_HOME                 where cachesync is installed (default: the repository holding scripts/)
#   CACHESYNC_LOG_DIR              log directory (default: $CACHESYNC_HOME/data/logs)
#   CACHESYNC_LOG_RETENTION_DAYS   delete a wrapper's logs older than this many days (default: 7)
#   CACHESYNC_NODE                 the node binary (default: node from PATH)
#
# No lock here: the CLI takes its own (sync: <db>.lock, warm: <cache dir>/.cachesync-warm.lock) and exits
# 3 when another run holds it, so two wrappers started at once cannot interleave.

cachesync_home="${CACHESYNC_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cachesync_log_dir="${CACHESYNC_LOG_DIR:-$cachesync_home/data/logs}"
cachesync_retention_days="${CACHESYNC_LOG_RETENTION_DAYS:-7}"
cachesync_node="${CACHESYNC_NODE:-node}"

if ! [[ "$cachesync_retention_days" =~ ^[0-9]+$ ]] || [ "$cachesync_retention_days" -lt 1 ]; then
  echo "cachesync wrapper: CACHESYNC_LOG_RETENTION_DAYS must be a whole number of days, 1 or more, got '$cachesync_retention_days'" >&2
  exit 2
fi
if [ ! -f "$cachesync_home/bin/cachesync.js" ]; then
  echo "cachesync wrapper: no cachesync at CACHESYNC_HOME=$cachesync_home (bin/cachesync.js is missing)" >&2
  exit 2
fi

utc_now() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

# The arguments as they may be logged: a webhook URL carries its secret in the path, so it is masked.
masked_args() {
  local masked=() hide=0 arg
  for arg in "$@"; do
    if [ "$hide" = 1 ]; then
      masked+=("[webhook]")
      hide=0
    elif [ "$arg" = "--webhook" ]; then
      masked+=("$arg")
      hide=1
    elif [[ "$arg" == --webhook=* ]]; then
      masked+=("--webhook=[webhook]")
    else
      masked+=("$arg")
    fi
  done
  printf '%s' "${masked[*]}"
}

# Deletes this wrapper's daily logs (NAME-YYYY-MM-DD.log) last written more than the retention ago.
prune_logs() {
  local name=$1
  find "$cachesync_log_dir" -maxdepth 1 -type f -name "$name-????-??-??.log" -mmin "+$((cachesync_retention_days * 1440))" -delete
}

# run_logged NAME ARG...: runs `cachesync ARG...` from CACHESYNC_HOME, its stdout and stderr appended to
# $CACHESYNC_LOG_DIR/NAME-<UTC date>.log between a start and an exit line; returns the CLI's exit status.
run_logged() {
  local name=$1
  shift
  mkdir -p "$cachesync_log_dir"
  local log
  log="$cachesync_log_dir/$name-$(date -u +%F).log"
  local started=$SECONDS status=0
  printf '%s %s start (pid %s): cachesync %s\n' "$(utc_now)" "$name" "$$" "$(masked_args "$@")" >>"$log"
  (cd "$cachesync_home" && "$cachesync_node" bin/cachesync.js "$@") >>"$log" 2>&1 || status=$?
  printf '%s %s exit %s after %ss\n' "$(utc_now)" "$name" "$status" "$((SECONDS - started))" >>"$log"
  prune_logs "$name"
  # Output makes cron send mail: only for a failure, not for 3 (another run holds the lock, and will finish).
  if [ "$status" != 0 ] && [ "$status" != 3 ]; then
    echo "cachesync $name exited with status $status; see $log" >&2
  fi
  return "$status"
}
