import { CachesyncError } from '../../util/errors.js'

/** Maps SQLite's own error codes to cachesync's, so that a full disk reads as one. */
export function translateSqliteError(err: unknown, path: string): Error {
  const code = (err as { code?: unknown }).code
  if (code === 'SQLITE_FULL') return new CachesyncError('ERR_DISK_FULL', `Disk full while writing ${path}`, { cause: err })
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY_DIRECTORY') {
    return new CachesyncError('ERR_READONLY', `Cannot write database ${path}: ${(err as Error).message}`, { cause: err })
  }
  return err instanceof Error ? err : new Error(String(err))
}

/**
 * True for a full disk, a read-only file or an I/O error, raw from SQLite or translated: the
 * database's failure, not a source's.
 */
export function isSqliteFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string') return false
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code === 'ERR_DISK_FULL' || code === 'ERR_READONLY'
}
