import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { CachesyncError } from '../../util/errors.js'
import { removeDatabaseFiles } from './database-files.js'
import { openDatabase } from './sqlite-driver.js'

export interface BackupOptions {
  /** Directory the backup goes to, created if needed. @default `<directory of the database>/backups` */
  toDir?: string
  /** Backups of this database to keep, newest first; older ones are deleted. @default 7 */
  keep?: number
  /** The moment the backup is named after. @default new Date() */
  now?: Date
}

export interface BackupResult {
  /** The verified backup file. */
  path: string
  bytes: number
  ms: number
  integrity: 'ok'
  /** Older backups of the same database that retention deleted. */
  pruned: string[]
}

export const DEFAULT_BACKUP_OPTIONS = Object.freeze({ keep: 7, dirName: 'backups' } as const)

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
  const keep = options.keep ?? DEFAULT_BACKUP_OPTIONS.keep
  if (!Number.isInteger(keep) || keep < 1) throw new CachesyncError('ERR_USAGE', `keep must be a positive integer, got ${keep}`)
  if (!existsSync(source)) throw new CachesyncError('ERR_USAGE', `No database to back up at ${source}`)
  if (!statSync(source).isFile()) throw new CachesyncError('ERR_USAGE', `Cannot back up ${source}: not a file`)
  const toDir = resolve(options.toDir ?? join(dirname(source), DEFAULT_BACKUP_OPTIONS.dirName))
  const naming = backupNaming(source)
  const stamp = timestamp(options.now ?? new Date())
  try {
    mkdirSync(toDir, { recursive: true })
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot create backup directory ${toDir}: ${(err as Error).message}`, { cause: err })
  }

  // Written under a name retention never matches, verified, and only then given its real name.
  const partial = join(toDir, `.${naming.stem}-${stamp}.${process.pid}.partial`)
  try {
    await copyDatabase(source, partial)
    verify(partial, source)
    const path = claimName(partial, toDir, naming, stamp)
    const bytes = statSync(path).size
    const pruned = prune(toDir, naming, keep)
    return { path, bytes, ms: performance.now() - started, integrity: 'ok', pruned }
  } finally {
    removeDatabaseFiles(partial)
  }
}

interface BackupNaming {
  stem: string
  ext: string
  /** Matches this database's backup names; groups: timestamp, sequence. */
  pattern: RegExp
}

/** `cachesync.db` → `cachesync-20261124T101500Z.db` (and `…Z-1.db` for a second one in the same second). */
function backupNaming(dbPath: string): BackupNaming {
  const ext = extname(dbPath) || '.db'
  const stem = basename(dbPath, extname(dbPath))
  return { stem, ext, pattern: new RegExp(`^${escapeRegExp(stem)}-(\\d{8}T\\d{6}Z)(?:-(\\d+))?${escapeRegExp(ext)}$`) }
}

function timestamp(now: Date): string {
  if (Number.isNaN(now.getTime())) throw new CachesyncError('ERR_USAGE', 'now must be a valid date')
  return now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(/[-:]/g, '')
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

/** Gives the verified copy its name; a name already taken (two backups in one second) gets `-1`, `-2`, … */
function claimName(partial: string, toDir: string, naming: BackupNaming, stamp: string): string {
  for (let seq = 0; ; seq++) {
    const path = join(toDir, `${naming.stem}-${stamp}${seq === 0 ? '' : `-${seq}`}${naming.ext}`)
    try {
      // A hard link fails if the name exists: two backups never overwrite each other.
      linkSync(partial, path)
      return path
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EEXIST') continue
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
      // A filesystem without hard links: not atomic against a concurrent backup, but never overwrites.
      if (existsSync(path)) continue
      renameSync(partial, path)
      return path
    }
  }
}

/** Deletes this database's backups past the newest `keep`, by the time in their names. */
function prune(toDir: string, naming: BackupNaming, keep: number): string[] {
  const backups = readdirSync(toDir).flatMap((name) => {
    const match = naming.pattern.exec(name)
    return match === null ? [] : [{ name, stamp: match[1] as string, seq: Number(match[2] ?? 0) }]
  })
  backups.sort((a, b) => (a.stamp === b.stamp ? b.seq - a.seq : a.stamp < b.stamp ? 1 : -1))
  const pruned: string[] = []
  for (const old of backups.slice(keep)) {
    const path = join(toDir, old.name)
    rmSync(path, { force: true })
    pruned.push(path)
  }
  return pruned
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
