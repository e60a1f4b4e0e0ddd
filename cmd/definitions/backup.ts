import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const backupCommand = defineCommand({
  name: 'backup',
  describe: 'take an online backup of the database (safe while a sync runs), verify it, keep the newest N',
  options: {
    config: SHARED_OPTIONS.config,
    db: SHARED_OPTIONS.db,
    to: { type: 'string', describe: 'backup directory [default: backups/ beside the database]' },
    // Left unset, the library keeps DEFAULT_BACKUP_OPTIONS.keep; its module loads SQLite, too dear to import for --help.
    keep: { type: 'number', defaultDescription: '7', describe: 'backups of this database to keep, newest first' },
    json: SHARED_OPTIONS.json,
  },
})

export type BackupArgs = ArgsOf<typeof backupCommand.options>
