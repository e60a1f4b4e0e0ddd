import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { CachesyncError } from '../util/errors.js'
import { syncDirectorySync } from '../util/sync-directory.js'

export interface BackupOptions {
  /** Directory the backup goes to, created if needed. @default `backups` beside the SQLite file, or beside the cache directory */
  toDir?: string
  /** Backups of this database to keep, newest first; older ones are deleted. @default 7 */
  keep?: number
  /** The moment the backup is named after. @default new Date() */
  now?: Date
}

/** What a backup reports, the same for every sink (`cachesync backup --json`). */
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

/** How the backups of one database are named: `<stem>-<UTC time>[-<n>]<ext>`, so that they sort by time. */
export interface BackupNaming {
  stem: string
  ext: string
  /** Matches this database's backup names; groups: timestamp, sequence. */
  pattern: RegExp
}

export function backupNaming(stem: string, ext: string): BackupNaming {
  return { stem, ext, pattern: new RegExp(`^${escapeRegExp(stem)}-(\\d{8}T\\d{6}Z)(?:-(\\d+))?${escapeRegExp(ext)}$`) }
}

export function checkKeep(keep: number): number {
  if (!Number.isInteger(keep) || keep < 1) throw new CachesyncError('ERR_USAGE', `keep must be a positive integer, got ${keep}`)
  return keep
}

/** `2026-11-24T10:15:00.123Z` → `20261124T101500Z`. */
export function backupTimestamp(now: Date): string {
  if (Number.isNaN(now.getTime())) throw new CachesyncError('ERR_USAGE', 'now must be a valid date')
  return now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(/[-:]/g, '')
}

export function makeBackupDir(toDir: string): void {
  try {
    mkdirSync(toDir, { recursive: true })
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot create backup directory ${toDir}: ${(err as Error).message}`, { cause: err })
  }
}

/** A name retention never matches, for the backup until it is verified. */
export function partialName(toDir: string, naming: BackupNaming, stamp: string): string {
  return join(toDir, `.${naming.stem}-${stamp}.${process.pid}.partial`)
}

/**
 * Gives the verified copy its name, its bytes and then the name on disk first, so that a crash leaves
 * either no backup or a whole one; a name already taken (two backups in one second) gets `-1`, `-2`, …
 */
export function claimName(partial: string, toDir: string, naming: BackupNaming, stamp: string): string {
  fsyncFile(partial)
  const path = linkFree(partial, toDir, naming, stamp)
  rmSync(partial, { force: true })
  syncDirectorySync(toDir)
  return path
}

function linkFree(partial: string, toDir: string, naming: BackupNaming, stamp: string): string {
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

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Deletes this database's backups past the newest `keep`, by the time in their names. */
export function pruneBackups(toDir: string, naming: BackupNaming, keep: number): string[] {
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
