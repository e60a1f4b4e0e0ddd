import { type ArgsOf, defineCommand } from '../command-definition.js'
import { CONFIG_OPTIONS, SHARED_OPTIONS } from '../shared-options.js'

export const archiveCommand = defineCommand({
  name: 'archive',
  describe: 'move old rows to verified, compressed JSON-lines files: query, serialise, compress, write, verify, delete, vacuum',
  options: {
    ...CONFIG_OPTIONS,
    sink: { type: 'string', describe: 'the database: sqlite://FILE or postgres://user@host:port/db; env CACHESYNC_SINK' },
    schema: { type: 'string', describe: 'PostgreSQL schema of the tables; env CACHESYNC_SCHEMA [default: public]' },
    'deleted-before': { type: 'string', describe: 'soft-deleted rows whose _deleted_at is older than this (30d, 12h)' },
    'older-than': { type: 'string', array: true, describe: 'rows whose COLUMN is older than a duration: COLUMN=365d (ISO text, or Unix seconds)' },
    source: { type: 'string', array: true, describe: 'the sources to archive [default: every source; soft-deleting ones for --deleted-before]' },
    history: { type: 'string', describe: "cachesync's own history (sync_runs, sync_rejects, archive runs) older than this (90d)" },
    to: { type: 'string', describe: 'directory of the archive files [default: archive/ beside the SQLite file, or beside the cache directory]' },
    'dry-run': { type: 'boolean', default: false, describe: 'count the rows and bytes that would be archived; write and delete nothing' },
    vacuum: {
      choices: ['analyze', 'full', 'none'],
      defaultDescription: 'analyze',
      describe: 'after the run: ANALYZE the tables, VACUUM then ANALYZE (full), or nothing',
    },
    'batch-size': { type: 'number', defaultDescription: '2000', describe: 'rows of the first batch' },
    'batch-min': { type: 'number', defaultDescription: '500', describe: 'fewest rows a batch shrinks to' },
    'batch-max': { type: 'number', defaultDescription: '5000', describe: 'most rows a batch grows to' },
    'batch-target': {
      type: 'string',
      defaultDescription: '2s',
      describe: 'time a batch should take, query to delete: slower batches shrink, faster ones grow',
    },
    level: { type: 'number', defaultDescription: '6', describe: 'gzip level of the files, 1 (fastest) to 9 (smallest)' },
    threads: { type: 'number', defaultDescription: '1', describe: 'worker threads that compress, write and verify' },
    'metrics-file': SHARED_OPTIONS['metrics-file'],
  },
})

export type ArchiveArgs = ArgsOf<typeof archiveCommand.options>
