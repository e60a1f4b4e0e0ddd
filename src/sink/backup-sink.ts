import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ResolvedSink } from '../config/resolve-sink.js'
import { type BackupOptions, type BackupResult, DEFAULT_BACKUP_OPTIONS } from './backup-files.js'

/**
 * Takes a verified backup of the sink and keeps the newest `keep`: the SQLite file with SQLite's
 * backup API, a PostgreSQL schema with pg_dump. A PostgreSQL backup goes by default to `backups/`
 * beside the cache directory, the directory of its own that cachesync has on the host.
 */
export async function backupSink(target: { sink: ResolvedSink; cacheDir: string }, options: BackupOptions = {}): Promise<BackupResult> {
  if (target.sink.kind === 'sqlite') {
    const { backupDatabase } = await import('./sqlite/sqlite-backup.js')
    return backupDatabase(target.sink.path, options)
  }
  const { backupPostgres } = await import('./postgres/pg-backup.js')
  return backupPostgres(target.sink, { ...options, toDir: options.toDir ?? join(dirname(resolve(target.cacheDir)), DEFAULT_BACKUP_OPTIONS.dirName) })
}

/**
 * Whether there is a database to back up yet. Asked before a sync opens the sink, which creates the
 * SQLite file, and before it creates cachesync's tables in a PostgreSQL schema.
 */
export async function sinkHasDatabase(sink: ResolvedSink): Promise<boolean> {
  if (sink.kind === 'sqlite') return existsSync(sink.path)
  const { pgHasSyncTables } = await import('./postgres/pg-backup.js')
  return pgHasSyncTables(sink)
}
