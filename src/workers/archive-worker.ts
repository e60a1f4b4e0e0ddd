import { createHash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { manifestPath } from '../archive/archive-files.js'
import { CachesyncError, serializeError } from '../util/errors.js'
import { syncDirectorySync } from '../util/sync-directory.js'
import type { PackResult, PackTask } from './archive-task.js'

/**
 * Piscina's entry for an archive batch: compress, then write (synced), then verify by reading the file
 * back. A failure removes what it wrote; the rows stay in their table.
 */
export default function pack(task: PackTask): PackResult {
  const written: string[] = []
  try {
    let started = performance.now()
    const compressed = gzipSync(task.lines, { level: task.level })
    const sha256 = createHash('sha256').update(compressed).digest('hex')
    const ms = { compress: performance.now() - started, write: 0, verify: 0 }
    if (task.path === undefined) return { ok: true, bytes: compressed.length, sha256, ms }
    started = performance.now()
    written.push(task.path)
    writeSynced(task.path, compressed)
    const manifest = manifestPath(task.path)
    written.push(manifest)
    writeSynced(manifest, Buffer.from(`${JSON.stringify({ ...task.manifest, bytes: compressed.length, sha256 }, null, 2)}\n`))
    syncDirectorySync(dirname(task.path))
    ms.write = performance.now() - started
    started = performance.now()
    verify(task, sha256)
    ms.verify = performance.now() - started
    return { ok: true, bytes: compressed.length, sha256, ms }
  } catch (err) {
    for (const path of written) {
      rmSync(path, { force: true })
      rmSync(partPath(path), { force: true })
    }
    return { ok: false, error: serializeError(translateFsError(err, task.path)) }
  }
}

/** Writes `<path>.part`, syncs it, and renames it to `path`: a file under its final name is whole. */
function writeSynced(path: string, data: Uint8Array): void {
  const part = partPath(path)
  const fd = openSync(part, 'w')
  try {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(part, path)
}

function partPath(path: string): string {
  return `${path}.part`
}

/** Reads the file back from disk: its sha256, its rows, and their keys against the ones selected. */
function verify(task: PackTask, sha256: string): void {
  const path = task.path as string
  const bytes = readFileSync(path)
  if (createHash('sha256').update(bytes).digest('hex') !== sha256)
    throw new CachesyncError('ERR_IO', `Archive file ${path} reads back other bytes than were written`)
  const text = gunzipSync(bytes).toString('utf8')
  const keys = createHash('sha256')
  let rows = 0
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\n', at)
    if (end === -1) end = text.length
    if (end > at) {
      const row = JSON.parse(text.slice(at, end)) as Record<string, unknown>
      keys.update(`${JSON.stringify(task.keyColumns.map((k) => row[k]))}\n`)
      rows++
    }
    at = end + 1
  }
  if (rows !== task.rows) throw new CachesyncError('ERR_IO', `Archive file ${path} holds ${rows} rows, ${task.rows} were selected`)
  if (keys.digest('hex') !== task.keysSha256) throw new CachesyncError('ERR_IO', `Archive file ${path} holds other keys than were selected`)
}

/** A full disk and a read-only directory read as cachesync's errors, naming the file. */
function translateFsError(err: unknown, path: string | undefined): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') return new CachesyncError('ERR_DISK_FULL', `Disk full while writing archive file ${path}`, { cause: err })
  if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
    return new CachesyncError('ERR_READONLY', `Cannot write archive file ${path}: ${(err as Error).message}`, { cause: err })
  }
  if (typeof code === 'string' && !code.startsWith('ERR_'))
    return new CachesyncError('ERR_IO', `Archive file ${path}: ${(err as Error).message}`, { cause: err })
  return err
}
