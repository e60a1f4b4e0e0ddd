import type { ResolvedConfig } from '../config/resolve-config.js'
import type { BackupOptions } from '../sink/backup-files.js'
import { backupSink } from '../sink/backup-sink.js'
import type { Logger } from '../util/logger.js'

/** The backup before a sync writes; a database that does not exist yet has nothing to back up. */
export async function backupBefore(
  config: ResolvedConfig,
  hasDatabase: boolean,
  options: BackupOptions,
  logger: Logger,
): Promise<{ path: string; ms: number } | undefined> {
  if (!hasDatabase) {
    logger.info({}, 'no database yet: nothing to back up')
    return undefined
  }
  const done = await backupSink(config, options)
  logger.info({ path: done.path, ms: Math.round(done.ms), pruned: done.pruned.length }, 'backup taken')
  return { path: done.path, ms: done.ms }
}
