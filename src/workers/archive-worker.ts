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
    const linesSha256 = createHash('sha256').update(task.lines).digest('hex')
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
    verify(task, sha256, linesSha256)
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

const NEWLINE = 0x0a
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const BRACKET = 0x5b
const CLOSE = 0x5d
const SPACE = 0x20

/**
 * Reads the file back from disk and checks it three ways: its sha256 is the one computed before the
 * write, its JSON lines are byte for byte those handed in, and their count and keys (the first values
 * of each line's array) are the rows selected.
 */
function verify(task: PackTask, sha256: string, linesSha256: string): void {
  const path = task.path as string
  const bytes = readFileSync(path)
  if (createHash('sha256').update(bytes).digest('hex') !== sha256) fail(`Archive file ${path} reads back other bytes than were written`)
  const plain = gunzipSync(bytes)
  if (createHash('sha256').update(plain).digest('hex') !== linesSha256) fail(`Archive file ${path} decompresses to other lines than were written`)
  const keyCount = task.keyColumns.length
  const keys: string[] = []
  let rows = 0
  for (let at = 0; at < plain.length; ) {
    let end = plain.indexOf(NEWLINE, at)
    if (end === -1) end = plain.length
    if (end > at) {
      if (plain[at] !== BRACKET) fail(`Archive file ${path}: line ${rows + 1} is not a JSON array`)
      const values: unknown[] = []
      let pos = at + 1
      for (let k = 0; k < keyCount; k++) {
        while (plain[pos] === SPACE || plain[pos] === COMMA) pos++
        const start = pos
        pos = valueEnd(plain, pos, end)
        values.push(JSON.parse(plain.toString('utf8', start, pos)))
      }
      keys.push(`${JSON.stringify(values)}\n`)
      rows++
    }
    at = end + 1
  }
  if (rows !== task.rows) fail(`Archive file ${path} holds ${rows} rows, ${task.rows} were selected`)
  if (createHash('sha256').update(keys.join('')).digest('hex') !== task.keysSha256) fail(`Archive file ${path} holds other keys than were selected`)
}

/** Where the JSON value starting at `pos` ends: after its closing quote, or at the `,` or `]` after it. */
function valueEnd(line: Buffer, pos: number, end: number): number {
  if (line[pos] === QUOTE) {
    for (let i = pos + 1; i < end; i++) {
      if (line[i] === BACKSLASH) i++
      else if (line[i] === QUOTE) return i + 1
    }
    return end
  }
  let i = pos
  while (i < end && line[i] !== COMMA && line[i] !== CLOSE) i++
  return i
}

function fail(message: string): never {
  throw new CachesyncError('ERR_IO', message)
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
