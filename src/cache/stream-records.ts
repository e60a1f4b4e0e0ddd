import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline, type Readable, Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'
import Pick from 'stream-json/filters/Pick.js'
import Parser from 'stream-json/Parser.js'
import StreamArray from 'stream-json/streamers/StreamArray.js'
import { CachesyncError } from '../util/errors.js'
import { utf8BomLength } from '../util/utf8-bom.js'
import type { CacheFile } from './cache-files.js'
import { JsonAssembler } from './json-assembler.js'

/**
 * A batch of records as read: NDJSON lines as bytes, JSON array elements parsed. `endOffset` is the
 * byte offset just after the batch's last line (NDJSON), where a resumed read would start.
 */
export type RecordBatch =
  | { kind: 'lines'; items: Buffer[]; firstLine: number; bytes: number; endOffset: number }
  | { kind: 'records'; items: unknown[]; firstLine: number; bytes: number; endOffset: number }

/** Part of an NDJSON file: from a line start (`start`, the line number there) to `end` (exclusive). */
export interface LineRange {
  start: number
  end?: number
  firstLine: number
}

function openBytes(file: CacheFile, range?: LineRange): Readable {
  const bounds = range === undefined || file.gzip ? {} : { start: range.start, ...(range.end === undefined ? {} : { end: range.end - 1 }) }
  const raw = createReadStream(file.path, { highWaterMark: 256 * 1024, ...bounds })
  return file.gzip ? pipeline(raw, createGunzip(), () => {}) : raw
}

/** Counts lines and columns of the bytes passed on, so a parse error can say where the input stood. */
class PositionCounter extends Transform {
  line = 1
  column = 1
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    let at = chunk.indexOf(10)
    let last = -1
    while (at >= 0) {
      this.line++
      last = at
      at = chunk.indexOf(10, at + 1)
    }
    this.column = last < 0 ? this.column + chunk.length : chunk.length - last
    done(null, chunk)
  }
}

/**
 * Streams an NDJSON file (or a range of it) as batches of `size` lines (bytes), asked again for every
 * batch when a function; memory is bounded by the batch, not the file.
 */
export async function* streamLines(file: CacheFile, size: number | (() => number), range?: LineRange): AsyncGenerator<RecordBatch> {
  const batchSize = typeof size === 'number' ? () => size : size
  let carry: Buffer | undefined
  let items: Buffer[] = []
  let line = range?.firstLine ?? 1
  let firstLine = line
  let bytes = 0
  /** File offset of the current piece's first byte. */
  let pieceOffset = file.gzip ? 0 : (range?.start ?? 0)
  let endOffset = pieceOffset
  // Only the file's first line may start with a byte-order mark.
  let atFileStart = pieceOffset === 0
  for await (const piece of openBytes(file, range)) {
    const chunk = piece as Buffer
    bytes += chunk.length
    let start = 0
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      // Only the line cut by the previous piece is copied, never the whole piece.
      const bytesOfLine = carry === undefined ? chunk.subarray(start, end) : Buffer.concat([carry, chunk.subarray(start, end)])
      carry = undefined
      items.push(withoutCarriageReturn(atFileStart ? bytesOfLine.subarray(utf8BomLength(bytesOfLine)) : bytesOfLine))
      atFileStart = false
      start = end + 1
      endOffset = pieceOffset + start
      line++
      if (items.length >= batchSize()) {
        yield { kind: 'lines', items, firstLine, bytes, endOffset }
        items = []
        firstLine = line
      }
    }
    if (start < chunk.length) carry = carry === undefined ? chunk.subarray(start) : Buffer.concat([carry, chunk.subarray(start)])
    pieceOffset += chunk.length
  }
  if (carry !== undefined) {
    items.push(withoutCarriageReturn(atFileStart ? carry.subarray(utf8BomLength(carry)) : carry))
    endOffset = pieceOffset
  }
  if (items.length > 0) yield { kind: 'lines', items, firstLine, bytes, endOffset }
}

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line
}

/** Streams the records array of a JSON file (top level, or at `recordsPath`) in batches of `size`. */
export async function* streamJsonRecords(file: CacheFile, recordsPath: readonly string[], size: number): AsyncGenerator<RecordBatch> {
  const topLevel = await firstSignificantByte(file)
  if (topLevel === '{' && recordsPath.length === 0) {
    throw new CachesyncError('ERR_PARSE', `${file.path}: the top level is an object; set recordsPath in the source's configuration`)
  }
  if (topLevel !== '{' && topLevel !== '[') {
    throw new CachesyncError('ERR_PARSE', `${file.path}: not a JSON array or object (starts with ${JSON.stringify(topLevel)})`)
  }
  const position = new PositionCounter()
  const stages: (Readable | Transform)[] = [openBytes(file), position, new Parser()]
  if (topLevel === '{') stages.push(new Pick({ filter: recordsPath.join('.') }))
  const array = new StreamArray()
  array._assembler = new JsonAssembler()
  stages.push(array)
  // pipeline, unlike pipe, hands an error of any stage to the last one, where the loop below meets it.
  const elements = (pipeline as (...streams: unknown[]) => Readable)(...stages, () => {})
  let items: unknown[] = []
  let firstLine = 1
  let index = 0
  try {
    for await (const element of elements) {
      items.push((element as { value: unknown }).value)
      index++
      if (items.length >= size) {
        yield { kind: 'records', items, firstLine, bytes: 0, endOffset: 0 }
        items = []
        firstLine = index + 1
      }
    }
  } catch (err) {
    // Read to the end, the damage is at the end (a cut download): the position is exact. Otherwise the
    // parser failed somewhere in the last block read.
    const where = position.writableEnded ? `at line ${position.line}, column ${position.column}` : `at or before line ${position.line}`
    throw new CachesyncError('ERR_PARSE', `${file.path}: not valid JSON ${where}, after record ${index}: ${(err as Error).message}`, { cause: err })
  }
  if (index === 0 && topLevel === '{') throw new CachesyncError('ERR_PARSE', `${file.path}: no records array at "${recordsPath.join('.')}"`)
  if (items.length > 0) yield { kind: 'records', items, firstLine, bytes: file.bytes, endOffset: file.bytes }
}

async function firstSignificantByte(file: CacheFile): Promise<string> {
  if (file.gzip) {
    for await (const piece of openBytes(file)) {
      const text = (piece as Buffer).toString('utf8').trimStart()
      if (text.length > 0) return text[0] as string
    }
    return ''
  }
  const handle = await open(file.path, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0)
    return buffer.toString('utf8', 0, bytesRead).trimStart().slice(0, 1)
  } finally {
    await handle.close()
  }
}
