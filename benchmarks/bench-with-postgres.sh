#!/bin/bash
# `cachesync bench` with its PostgreSQL rows, against a throw-away cluster of its own (fsync on, default
# settings), so that every comparison of issue 16 is printed by one run in one sitting.
#   npm run build && bash benchmarks/bench-with-postgres.sh [bench options…]
#   e.g. bash benchmarks/bench-with-postgres.sh --records 1000000 --modes parallel --repeat 3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=benchmarks/throwaway-postgres.sh
. "$(dirname "$0")/throwaway-postgres.sh"
start_throwaway_postgres
node "$root/bin/cachesync.js" bench --postgres "$url" "$@"
