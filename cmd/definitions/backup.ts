import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const backupCommand = defineCommand({
  name: 'backup',
  describe: 'take an online backup of the database (safe while a sync runs; pg_dump on PostgreSQL), verify it, keep the newest N',
  options: {
    config: SHARED_OPTIONS.config,
    db: SHARED_OPTIONS.db,
    sink: { type: 'string', describe: 'the database: sqlite://FILE or postgres://user@host:port/db; env CACHESYNC_SINK' },
    schema: { type: 'string', describe: 'PostgreSQL schema to back up (pg_dump); env CACHESYNC_SCHEMA [default: public]' },
    'cache-dir': { type: 'string', describe: 'cache directory, beside which PostgreSQL backups go; env CACHESYNC_CACHE_DIR [default: ./cache]' },
    to: { type: 'string', describe: 'backup directory [default: backups/ beside the SQLite file, or beside the cache directory]' },
    // Left unset, the library keeps DEFAULT_BACKUP_OPTIONS.keep; its module loads SQLite, too dear to import for --help.
    keep: { type: 'number', defaultDescription: '7', describe: 'backups of this database to keep, newest first' },
    json: SHARED_OPTIONS.json,
  },
})

export type BackupArgs = ArgsOf<typeof backupCommand.options>
