import { type BackupOptions, backupDatabase } from '../sink/sqlite/sqlite-backup.js'
import type { Logger } from '../util/logger.js'

/** The backup before a sync writes; a database that does not exist yet has nothing to back up. */
export async function backupBefore(db: string | undefined, options: true | BackupOptions, logger: Logger): Promise<{ path: string; ms: number } | undefined> {
  if (db === undefined) {
    logger.info({}, 'no database yet: nothing to back up')
    return undefined
  }
  const done = await backupDatabase(db, options === true ? {} : options)
  logger.info({ path: done.path, ms: Math.round(done.ms), pruned: done.pruned.length }, 'backup taken')
  return { path: done.path, ms: done.ms }
}
