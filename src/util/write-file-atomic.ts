import { type FileHandle, open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { syncDirectory } from './sync-directory.js'

/**
 * The temp file an atomic write of `target` goes through: in the same directory, so that the rename stays
 * on one file system, and a dot file, so that globs such as `*.prom` or `*.json` pass it over.
 */
export function atomicTempPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.tmp`)
}

/**
 * Writes `data` to `target` so that a reader sees the old file or the new one, never a part, and a crash
 * afterwards keeps the new one (see {@link finishAtomicWrite}). A failure removes the temp file and leaves
 * `target` as it was. `data` may come in parts, written one after the other: joining a large file's parts
 * first would hold it twice.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const temp = atomicTempPath(target)
  const handle = await open(temp, 'w')
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data)
    else for (const part of data) for (let at = 0; at < part.length; ) at += (await handle.write(part, at, part.length - at)).bytesWritten
  } catch (err) {
    await handle.close().catch(() => undefined)
    await rm(temp, { force: true })
    throw err
  }
  await finishAtomicWrite(handle, temp, target)
}

/**
 * The last step of every whole-file write, streamed or not: the temp file beside `target` is synced and
 * closed, renamed over `target`, then the directory is synced so that the rename survives a crash too.
 * A failure before the rename removes the temp file.
 */
export async function finishAtomicWrite(handle: FileHandle, temp: string, target: string): Promise<void> {
  try {
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, target)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  await syncDirectory(dirname(target))
}
