import { resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { DEFAULT_BACKUP_OPTIONS } from '../../src/sink/backup-files.js'
import { backupSink } from '../../src/sink/backup-sink.js'
import { loadConfig } from '../shared-options.js'

interface BackupArgs {
  config?: string
  db?: string
  cacheDir?: string
  sink?: string
  schema?: string
  to?: string
  keep: number
  json: boolean
}

export function backupCommand(setExit: (code: number) => void): CommandModule<object, BackupArgs> {
  return {
    command: 'backup',
    describe: 'take an online backup of the database (safe while a sync runs), verify it, keep the newest N',
    builder: (y) =>
      y
        .option('config', { type: 'string', describe: 'configuration file (YAML or JSON); env CACHESYNC_CONFIG' })
        .option('db', { type: 'string', describe: 'SQLite database file; env CACHESYNC_DB [default: ./data/cachesync.db]' })
        .option('sink', { type: 'string', describe: 'the database: sqlite://FILE or postgres://user@host:port/db; env CACHESYNC_SINK' })
        .option('schema', { type: 'string', describe: 'PostgreSQL schema to back up (pg_dump); env CACHESYNC_SCHEMA [default: public]' })
        .option('cache-dir', { type: 'string', describe: 'cache directory, beside which PostgreSQL backups go; env CACHESYNC_CACHE_DIR [default: ./cache]' })
        .option('to', { type: 'string', describe: 'backup directory [default: backups/ beside the SQLite file, or beside the cache directory]' })
        .option('keep', { type: 'number', default: DEFAULT_BACKUP_OPTIONS.keep, describe: 'backups of this database to keep, newest first' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout at the end' }) as never,
    handler: async (args) => {
      const config = loadConfig(args, { sink: args.sink, schema: args.schema })
      const db = config.sink.kind === 'sqlite' ? config.sink.path : config.sink.display
      const result = await backupSink(config, { keep: args.keep, ...(args.to === undefined ? {} : { toDir: resolve(args.to) }) })
      if (args.json) process.stdout.write(`${JSON.stringify({ ok: true, db, ...result, ms: Math.round(result.ms * 10) / 10 })}\n`)
      else {
        process.stdout.write(`${db} → ${result.path}: ${(result.bytes / 1e6).toFixed(1)} MB, integrity ok, ${Math.round(result.ms)} ms\n`)
        if (result.pruned.length > 0) process.stdout.write(`removed ${result.pruned.length} older backup(s): ${result.pruned.join(', ')}\n`)
      }
      setExit(0)
    },
  }
}
