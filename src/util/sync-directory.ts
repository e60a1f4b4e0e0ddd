import { closeSync, fsyncSync, openSync } from 'node:fs'
import { open } from 'node:fs/promises'

/** What a platform or file system says when a directory cannot be opened or synced: nothing to do there. */
const UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'EPERM', 'EACCES', 'ENOTSUP'])

/**
 * Flushes a directory's entries to disk, so that a file created or renamed in it is still there after a
 * crash. Where directories cannot be synced it does nothing; an I/O error is thrown.
 */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (!isUnsupported(err)) throw err
  }
}

/** {@link syncDirectory} for code that uses the synchronous fs API. */
export function syncDirectorySync(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    if (!isUnsupported(err)) throw err
  }
}

function isUnsupported(err: unknown): boolean {
  return UNSUPPORTED.has(String((err as NodeJS.ErrnoException | undefined)?.code))
}
