import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { CachesyncError } from '../util/errors.js'
import { utf8BomLength } from '../util/utf8-bom.js'
import type { ByteRange } from './cache-files.js'

/**
 * Reads a range of a cache file into memory (a gzip file is read and inflated whole), into `into` when
 * given: the bytes returned are then only good until its next use.
 */
export function readBytes(path: string, range: ByteRange, gzip: boolean, into?: ReusableBuffer): Buffer {
  if (gzip) return gunzipSync(readFileSync(path))
  const length = range.end - range.start
  return readRange(path, range, into === undefined ? Buffer.allocUnsafe(length) : into.take(length))
}

/**
 * The bytes of a range read from `start` (its file offset), without the UTF-8 byte-order mark a file
 * may begin with: only byte 0 can hold one, so a range starting later is returned whole.
 */
export function withoutBom(bytes: Buffer, start: number): Buffer {
  return start === 0 ? bytes.subarray(utf8BomLength(bytes)) : bytes
}

/** One buffer lent out again and again, grown when a request needs more. */
export class ReusableBuffer {
  #buffer = Buffer.alloc(0)

  /**
   * The first `length` bytes of the buffer; whatever the previous user wrote there is overwritten. It
   * grows with an eighth to spare, since ranges cut on line ends differ by a few bytes.
   */
  take(length: number): Buffer {
    if (this.#buffer.length < length) this.#buffer = Buffer.allocUnsafe(Math.ceil(length * 1.125))
    return this.#buffer.subarray(0, length)
  }
}

/** The line starting at `start` (without its line ending) and the offset just after it. */
export function nextLine(buffer: Buffer, start: number): { line: Buffer; after: number } {
  let end = buffer.indexOf(10, start)
  if (end < 0) end = buffer.length
  const stop = end > start && buffer[end - 1] === 13 ? end - 1 : end
  return { line: buffer.subarray(start, stop), after: Math.min(end + 1, buffer.length) }
}

/**
 * Calls `onLine` with the bytes of every line of an NDJSON buffer (line ending removed), its 0-based
 * index and the offset just after it (its newline included); returns the line count. Lines stay bytes
 * so that an unchanged one is hashed and never decoded; decoding line by line is also several times
 * faster than decoding large windows that hold non-ASCII.
 */
export function forEachLine(buffer: Buffer, onLine: (bytes: Buffer, index: number, after: number) => void): number {
  let index = 0
  let start = 0
  while (start < buffer.length) {
    let end = buffer.indexOf(10, start)
    if (end < 0) end = buffer.length
    const stop = end > start && buffer[end - 1] === 13 ? end - 1 : end
    onLine(buffer.subarray(start, stop), index++, Math.min(end + 1, buffer.length))
    start = end + 1
  }
  return index
}

function readRange(path: string, range: ByteRange, buffer: Buffer): Buffer {
  const fd = openSync(path, 'r')
  try {
    let done = 0
    while (done < buffer.length) {
      const read = readSync(fd, buffer, done, buffer.length - done, range.start + done)
      if (read === 0) break
      done += read
    }
    return done === buffer.length ? buffer : buffer.subarray(0, done)
  } finally {
    closeSync(fd)
  }
}

/** Reads a whole JSON file and returns the array of records at `recordsPath` (or the top-level array). */
export function readJsonRecords(path: string, gzip: boolean, recordsPath: readonly string[]): unknown[] {
  const raw = readFileSync(path)
  const bytes = gzip ? gunzipSync(raw) : raw
  const text = bytes.toString('utf8', utf8BomLength(bytes))
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new CachesyncError('ERR_PARSE', `${path}: not valid JSON ${locateJsonError(text, err as Error)}`)
  }
  return pickRecords(parsed, recordsPath, path)
}

/** Finds the records array in a parsed JSON document. */
export function pickRecords(document: unknown, recordsPath: readonly string[], path: string): unknown[] {
  if (Array.isArray(document)) return document
  let current = document
  for (const part of recordsPath) {
    current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[part] : undefined
  }
  if (Array.isArray(current)) return current
  const where = recordsPath.length > 0 ? `at "${recordsPath.join('.')}"` : 'at the top level'
  throw new CachesyncError(
    'ERR_PARSE',
    `${path}: expected an array of records ${where}, found ${current === undefined ? 'nothing' : typeof current}${recordsPath.length === 0 ? " (set recordsPath in the source's configuration)" : ''}`,
  )
}

/** Turns JSON.parse's "at position N" into a line and column a person can find. */
export function locateJsonError(text: string, err: Error): string {
  const match = /position (\d+)/.exec(err.message)
  const reason = err.message.replace(/ in JSON at position \d+.*$/s, '').replace(/^JSON\.parse: /, '')
  // "Unexpected end of JSON input" carries no position: the damage is at the very end (a cut download).
  if (match === null && !/end of JSON input/.test(err.message)) return `(${reason})`
  const position = match === null ? text.length : Number(match[1])
  const before = text.slice(0, position)
  const line = before.split('\n').length
  const column = position - before.lastIndexOf('\n')
  return `at line ${line}, column ${column} (byte ${Buffer.byteLength(before)}): ${reason}`
}
