import { readFileSync, statSync } from 'node:fs'
import { ROW_HASH_BYTES, rowHash } from '../util/row-hash.js'
import type { ByteRange, CacheFile } from './cache-files.js'
import { LINE_INDEX_ENTRY_BYTES, LINE_INDEX_HEADER_BYTES, LINE_INDEX_MAGIC, lineIndexPathFor } from './line-index.js'

/** A line index found valid for its cache file: its entries, 16 bytes a line (see `line-index.ts`). */
export interface LineIndex {
  readonly path: string
  readonly lines: number
  readonly entries: Buffer
}

/** The lines of a byte range, as the index has them: the entries, and the offset the first line starts at. */
export interface IndexedLines {
  readonly start: number
  readonly entries: Uint8Array
}

/**
 * The line index of a cache file when it describes this very file, or why it is not used: `undefined`
 * when there is none (or the file is not plain NDJSON), a reason when there is one that does not match.
 * Nothing in it is trusted before every check passed: size and mtime against the file on disk, sha256
 * against the meta file (which must describe a file of this size), length, and the entries' checksum.
 */
export function openLineIndex(file: CacheFile): LineIndex | { ignored: string } | undefined {
  if (file.format !== 'ndjson' || file.gzip) return undefined
  const path = lineIndexPathFor(file.path)
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    return undefined
  }
  const ignored = (reason: string) => ({ ignored: `${path}: ${reason}` })
  if (bytes.length < LINE_INDEX_HEADER_BYTES || !bytes.subarray(0, 8).equals(LINE_INDEX_MAGIC)) return ignored('not a line index')
  const size = Number(bytes.readBigUInt64BE(8))
  const mtimeNs = bytes.readBigUInt64BE(16)
  const lines = Number(bytes.readBigUInt64BE(24))
  const sha256 = bytes.toString('hex', 40, 72)
  const stats = statSync(file.path, { bigint: true })
  if (size !== file.bytes || BigInt(size) !== stats.size) return ignored(`made for a cache file of ${size} bytes, this one has ${file.bytes}`)
  if (mtimeNs !== stats.mtimeNs) return ignored('made for a cache file modified at another time (replaced since?)')
  if (file.meta?.sha256 !== sha256 || file.meta.bytes !== file.bytes) return ignored("the meta file's sha256 is not the one the index was made for")
  const entries = bytes.subarray(LINE_INDEX_HEADER_BYTES)
  if (entries.length !== lines * LINE_INDEX_ENTRY_BYTES) return ignored(`truncated or overlong: ${entries.length} bytes of entries for ${lines} lines`)
  if (!rowHash(entries).equals(bytes.subarray(32, 40))) return ignored('its entries do not match their checksum (corrupt)')
  const last = lines === 0 ? 0 : endOf(entries, lines - 1)
  if (last !== size) return ignored(`its lines end at byte ${last}, the file at ${size}`)
  return { path, lines, entries }
}

/**
 * The entries of the lines that make up `range` exactly (it starts after one line and ends after
 * another), or undefined when it does not: the range is then read as it is.
 */
export function linesOf(index: LineIndex, range: ByteRange): IndexedLines | undefined {
  const first = range.start === 0 ? 0 : lineEndingAt(index, range.start) + 1
  const last = lineEndingAt(index, range.end)
  if (first <= 0 && range.start !== 0) return undefined
  if (last < 0 || last + 1 < first) return undefined
  return { start: range.start, entries: index.entries.subarray(first * LINE_INDEX_ENTRY_BYTES, (last + 1) * LINE_INDEX_ENTRY_BYTES) }
}

/** The offset just after line `line` (its newline included). */
export function endOf(entries: Uint8Array, line: number): number {
  const view = new DataView(entries.buffer, entries.byteOffset, entries.byteLength)
  return Number(view.getBigUint64(line * LINE_INDEX_ENTRY_BYTES + ROW_HASH_BYTES, false))
}

/** The line whose end offset is `offset`, or -1 (binary search: the offsets only grow). */
function lineEndingAt(index: LineIndex, offset: number): number {
  let low = 0
  let high = index.lines - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    const end = endOf(index.entries, mid)
    if (end === offset) return mid
    if (end < offset) low = mid + 1
    else high = mid - 1
  }
  return -1
}
