import { MAINTENANCE_MODES } from '../../src/engine/maintenance.js'
import { type ArgsOf, defineCommand } from '../command-definition.js'
import { CONFIG_OPTIONS, SHARED_OPTIONS } from '../shared-options.js'

export const syncCommand = defineCommand({
  name: 'sync',
  describe: 'load the cache files into the database',
  options: {
    ...CONFIG_OPTIONS,
    sink: {
      type: 'string',
      describe: 'where rows go: sqlite://FILE or postgres://user@host:port/db; env CACHESYNC_SINK [default: sqlite://./data/cachesync.db]',
    },
    schema: { type: 'string', describe: 'PostgreSQL schema of the tables; env CACHESYNC_SCHEMA [default: public]' },
    'pg-lock': {
      choices: ['wait', 'skip'],
      describe: 'a source another host is syncing (PostgreSQL): wait for it or skip it; env CACHESYNC_PG_LOCK [default: wait]',
    },
    mode: { choices: ['auto', 'parallel', 'sequential', 'streaming'], describe: 'how to load; env CACHESYNC_MODE [default: auto]' },
    chunk: {
      type: 'string',
      describe: 'records per transaction / streamed chunk, or auto (sized to ~250 ms each); env CACHESYNC_CHUNK [default: chosen by mode]',
    },
    'memory-threshold-mb': { type: 'number', describe: 'RSS past which the sync backs off; env CACHESYNC_MEMORY_THRESHOLD_MB [default: 500]' },
    workers: { type: 'number', describe: 'worker threads in parallel mode; env CACHESYNC_WORKERS [default: cores]' },
    'max-rejects': { type: 'number', describe: 'fail a source past this many rejected records; env CACHESYNC_MAX_REJECTS' },
    'dry-run': { type: 'boolean', default: false, describe: 'report what would change; write nothing' },
    force: { type: 'boolean', default: false, describe: 'sync sources whose cache file did not change' },
    vacuum: {
      choices: MAINTENANCE_MODES,
      default: 'auto',
      describe: 'after the run: ANALYZE, VACUUM (full) or nothing; auto analyzes when many rows changed',
    },
    'backup-before': { type: 'boolean', default: false, describe: 'take a verified backup (see `cachesync backup`) before writing' },
    'metrics-file': SHARED_OPTIONS['metrics-file'],
    progress: { type: 'boolean', default: true, describe: 'show progress (a bar on a terminal, log lines otherwise)' },
    watch: { type: 'boolean', default: false, describe: 'warm and sync every --interval until SIGTERM or SIGINT (then exit 0)' },
    interval: { type: 'string', describe: 'with --watch: from one cycle start to the next (30s, 2m, 1h) [default: 2m]' },
    'max-age': { type: 'string', describe: "with --watch: the warm's --max-age (90s, 30m, 1h) [default: the configuration's]" },
    warm: { type: 'boolean', default: true, describe: 'with --watch: warm before each sync (--no-warm: sync only)' },
  },
})

export type SyncArgs = ArgsOf<typeof syncCommand.options>
