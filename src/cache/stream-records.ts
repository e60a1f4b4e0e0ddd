import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline, type Readable, Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'
import Pick from 'stream-json/filters/Pick.js'
import Parser from 'stream-json/Parser.js'
import StreamArray from 'stream-json/streamers/StreamArray.js'
import { CachesyncError } from '../util/errors.js'
import type { CacheFile } from './cache-files.js'

/** A batch of records as read: NDJSON lines as text, JSON array elements parsed. */
export type RecordBatch =
  | { kind: 'lines'; items: Buffer[]; firstLine: number; bytes: number }
  | { kind: 'records'; items: unknown[]; firstLine: number; bytes: number }

function openBytes(file: CacheFile): Readable {
  const raw = createReadStream(file.path, { highWaterMark: 256 * 1024 })
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

/** Streams an NDJSON file as batches of `size` lines (bytes); memory is bounded by the batch, not the file. */
export async function* streamLines(file: CacheFile, size: number): AsyncGenerator<RecordBatch> {
  let carry: Buffer | undefined
  let items: Buffer[] = []
  let firstLine = 1
  let line = 1
  let bytes = 0
  for await (const piece of openBytes(file)) {
    const chunk = piece as Buffer
    bytes += chunk.length
    let start = 0
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      // Only the line cut by the previous piece is copied, never the whole piece.
      const bytesOfLine = carry === undefined ? chunk.subarray(start, end) : Buffer.concat([carry, chunk.subarray(start, end)])
      carry = undefined
      items.push(withoutCarriageReturn(bytesOfLine))
      start = end + 1
      line++
      if (items.length >= size) {
        yield { kind: 'lines', items, firstLine, bytes }
        items = []
        firstLine = line
      }
    }
    if (start < chunk.length) carry = carry === undefined ? chunk.subarray(start) : Buffer.concat([carry, chunk.subarray(start)])
  }
  if (carry !== undefined) items.push(withoutCarriageReturn(carry))
  if (items.length > 0) yield { kind: 'lines', items, firstLine, bytes }
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
  stages.push(new StreamArray())
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
        yield { kind: 'records', items, firstLine, bytes: 0 }
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
  if (items.length > 0) yield { kind: 'records', items, firstLine, bytes: file.bytes }
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
