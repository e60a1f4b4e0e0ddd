import { existsSync, statSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { CachesyncError } from '../../util/errors.js'
import {
  type BackupOptions,
  type BackupResult,
  backupNaming,
  backupTimestamp,
  checkKeep,
  claimName,
  DEFAULT_BACKUP_OPTIONS,
  makeBackupDir,
  partialName,
  pruneBackups,
} from '../backup-files.js'
import { removeDatabaseFiles } from './database-files.js'
import { openDatabase } from './sqlite-driver.js'

// The public API names them from here.
export { type BackupOptions, type BackupResult, DEFAULT_BACKUP_OPTIONS }

/** Copy every page in one step: one read transaction, so a sync writing meanwhile cannot make it restart. */
const ALL_PAGES = 0x7fffffff

/**
 * Takes an online backup of a SQLite database with SQLite's backup API (a consistent snapshot, safe
 * while a sync writes to it), named `<db name>-<UTC timestamp>.db`; verifies that the copy opens and
 * passes `PRAGMA integrity_check`, then keeps the newest `keep` backups of this database. Only files
 * that follow this naming pattern for this database are ever deleted.
 */
export async function backupDatabase(dbPath: string, options: BackupOptions = {}): Promise<BackupResult> {
  const started = performance.now()
  const source = resolve(dbPath)
  const keep = checkKeep(options.keep ?? DEFAULT_BACKUP_OPTIONS.keep)
  if (!existsSync(source)) throw new CachesyncError('ERR_USAGE', `No database to back up at ${source}`)
  if (!statSync(source).isFile()) throw new CachesyncError('ERR_USAGE', `Cannot back up ${source}: not a file`)
  const toDir = resolve(options.toDir ?? join(dirname(source), DEFAULT_BACKUP_OPTIONS.dirName))
  // `cachesync.db` → `cachesync-20261124T101500Z.db` (and `…Z-1.db` for a second one in the same second).
  const naming = backupNaming(basename(source, extname(source)), extname(source) || '.db')
  const stamp = backupTimestamp(options.now ?? new Date())
  makeBackupDir(toDir)

  // Written under a name retention never matches, verified, and only then given its real name.
  const partial = partialName(toDir, naming, stamp)
  try {
    await copyDatabase(source, partial)
    verify(partial, source)
    const path = claimName(partial, toDir, naming, stamp)
    const bytes = statSync(path).size
    const pruned = pruneBackups(toDir, naming, keep)
    return { path, bytes, ms: performance.now() - started, integrity: 'ok', pruned }
  } finally {
    removeDatabaseFiles(partial)
  }
}

async function copyDatabase(source: string, destination: string): Promise<void> {
  removeDatabaseFiles(destination)
  let db: ReturnType<typeof openDatabase>
  try {
    db = openDatabase(source, { readonly: true, fileMustExist: true })
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot open database ${source} to back it up: ${(err as Error).message}`, { cause: err })
  }
  try {
    await db.backup(destination, { progress: () => ALL_PAGES })
  } catch (err) {
    const full = (err as { code?: unknown }).code === 'SQLITE_FULL' || (err as { code?: unknown }).code === 'ENOSPC'
    throw new CachesyncError(full ? 'ERR_DISK_FULL' : 'ERR_IO', `Backup of ${source} to ${dirname(destination)} failed: ${(err as Error).message}`, {
      cause: err,
    })
  } finally {
    db.close()
  }
}

/**
 * Opens the copy, makes it a self-contained file (rollback journal, so that it opens read-only anywhere
 * without leaving -wal and -shm files beside it) and checks every page of it.
 */
function verify(copy: string, source: string): void {
  let problems: string[]
  try {
    const db = openDatabase(copy, { fileMustExist: true })
    try {
      db.pragma('journal_mode = DELETE')
      problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check)
    } finally {
      db.close()
    }
  } catch (err) {
    problems = [(err as Error).message]
  }
  if (problems.length === 1 && problems[0] === 'ok') return
  removeDatabaseFiles(copy)
  throw new CachesyncError(
    'ERR_IO',
    `Backup of ${source} failed verification (PRAGMA integrity_check: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}); ` +
      'the copy was removed. The database itself may be damaged: run `sqlite3 <db> "PRAGMA integrity_check"`',
  )
}
