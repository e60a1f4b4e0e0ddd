import { resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { backupDatabase, DEFAULT_BACKUP_OPTIONS } from '../../src/sink/sqlite/sqlite-backup.js'
import { loadConfig } from '../shared-options.js'

interface BackupArgs {
  config?: string
  db?: string
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
        .option('to', { type: 'string', describe: 'backup directory [default: backups/ beside the database]' })
        .option('keep', { type: 'number', default: DEFAULT_BACKUP_OPTIONS.keep, describe: 'backups of this database to keep, newest first' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout at the end' }) as never,
    handler: async (args) => {
      const db = loadConfig(args).db
      const result = await backupDatabase(db, { keep: args.keep, ...(args.to === undefined ? {} : { toDir: resolve(args.to) }) })
      if (args.json) process.stdout.write(`${JSON.stringify({ ok: true, db, ...result, ms: Math.round(result.ms * 10) / 10 })}\n`)
      else {
        process.stdout.write(`${db} → ${result.path}: ${(result.bytes / 1e6).toFixed(1)} MB, integrity ok, ${Math.round(result.ms)} ms\n`)
        if (result.pruned.length > 0) process.stdout.write(`removed ${result.pruned.length} older backup(s): ${result.pruned.join(', ')}\n`)
      }
      setExit(0)
    },
  }
}
