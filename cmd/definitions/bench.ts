import { BENCH_MODES, DEFAULT_BENCH_OPTIONS as d } from '../../src/bench/bench-options.js'
import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const benchCommand = defineCommand({
  name: 'bench',
  describe: 'time every mode and chunk size against the plain loader, sqlite3, sqlite-utils and SQLite’s write ceiling',
  options: {
    records: { type: 'number', default: d.records, describe: 'records in the generated data set' },
    modes: { type: 'string', default: d.modes.join(','), describe: `comma-separated: ${BENCH_MODES.join(', ')}` },
    chunks: { type: 'string', default: d.chunks.join(','), describe: 'streaming chunk sizes, comma-separated' },
    repeat: { type: 'number', default: d.repeat, describe: 'runs of each of our configurations and the plain loader (median, min–max)' },
    'repeat-slow': { type: 'number', default: d.repeatSlow, describe: 'runs of the naive baseline, the sqlite3 shell and sqlite-utils' },
    'naive-records': { type: 'number', default: d.naiveRecords, describe: 'records the naive baseline loads; its time is scaled up' },
    seed: { type: 'number', default: d.seed, describe: 'seed of the generated data set' },
    out: { type: 'string', default: 'benchmarks/results', describe: 'directory for the JSON and Markdown results' },
    work: { type: 'string', default: d.work, describe: 'directory for the data sets (kept, reused) and databases (removed)' },
    'plain-loader': { type: 'string', default: d.plainLoader, describe: 'the plain loader script the speed-ups are taken against' },
    postgres: {
      type: 'string',
      describe:
        'a PostgreSQL URL: also time a parallel first sync, a 1 % re-sync and psql \\copy of the same rows there (schemas cachesync_bench*, dropped first)',
    },
    json: { ...SHARED_OPTIONS.json, describe: 'print the report as JSON instead of Markdown' },
  },
})

export type BenchArgs = ArgsOf<typeof benchCommand.options>
