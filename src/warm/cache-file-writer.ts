import { createHash, type Hash } from 'node:crypto'
import { type FileHandle, open, rm } from 'node:fs/promises'
import { type CacheMeta, metaPathFor, writeCacheMeta } from '../cache/cache-meta.js'
import { LineIndexBuilder, lineIndexPathFor } from '../cache/line-index.js'
import { finishAtomicWrite } from '../util/write-file-atomic.js'

const BUFFER_BYTES = 1 << 20
const NEWLINE = Buffer.from('\n')

/** The temp file name of a cache file being written; `removeStaleTempFiles` recognises it. */
export function tempPathFor(target: string): string {
  return `${target}.${process.pid}.warm.tmp`
}

/** Matches the temp files of {@link tempPathFor}. */
export const TEMP_FILE = /\.\d+\.warm\.tmp$/

/** A point to roll back to: what had been written when a page started. */
export interface WriterMark {
  readonly bytes: number
  readonly records: number
  readonly hash: Hash
}

/** What a committed cache file holds. */
export interface WrittenCache {
  readonly records: number
  readonly bytes: number
  readonly sha256: string
}

/**
 * Writes a cache file as NDJSON, one record a line, into a temp file beside it, counting records and bytes and
 * hashing the bytes on the way, and each line for its line index (the row hash must be loaded). `commit` flushes it to disk and renames it over the cache file; `abort` removes
 * it. Until `commit`, the cache file and its meta file are not touched.
 */
export class CacheFileWriter {
  readonly target: string
  readonly temp: string
  readonly #handle: FileHandle
  readonly #buffer = Buffer.allocUnsafe(BUFFER_BYTES)
  #used = 0
  #hash = createHash('sha256')
  #bytes = 0
  #records = 0
  #closed = false
  /** The line index of what is written (see `line-index.ts`), and the offset after the last line. */
  readonly #index = new LineIndexBuilder()
  #end = 0

  private constructor(target: string, handle: FileHandle) {
    this.target = target
    this.temp = tempPathFor(target)
    this.#handle = handle
  }

  static async open(target: string): Promise<CacheFileWriter> {
    return new CacheFileWriter(target, await open(tempPathFor(target), 'w'))
  }

  get records(): number {
    return this.#records
  }

  /** Bytes written so far, buffered ones included. */
  get bytes(): number {
    return this.#bytes + this.#used + this.#pending.reduce((sum, chunk) => sum + chunk.length, 0)
  }

  /** True when the buffer should be flushed before more lines are added. */
  get full(): boolean {
    return this.#pending.length > 0 || this.#used > BUFFER_BYTES - 64 * 1024
  }

  /** Adds one record (its JSON text, without newline). Call `flush` when `full`. */
  writeLine(json: string): void {
    this.#records++
    if (this.#used + json.length * 3 + 1 <= BUFFER_BYTES) {
      const from = this.#used
      this.#used += this.#buffer.write(json, this.#used, 'utf8')
      this.#index.add(this.#buffer.subarray(from, this.#used), this.#end + this.#used - from + 1)
      this.#buffer[this.#used++] = 10
      this.#end += this.#used - from
      return
    }
    // More than the buffer can surely take: queued after what is buffered, in order, for the next flush.
    const line = Buffer.from(`${json}\n`, 'utf8')
    this.#index.add(line.subarray(0, line.length - 1), this.#end + line.length)
    this.#end += line.length
    this.#pending.push(Buffer.from(this.#buffer.subarray(0, this.#used)), line)
    this.#used = 0
  }

  /** Adds one record given as its JSON bytes (without newline), copied: the caller may reuse them. */
  writeRecord(bytes: Buffer): void {
    this.#records++
    this.#end += bytes.length + 1
    this.#index.add(bytes, this.#end)
    if (this.#used + bytes.length + 1 <= BUFFER_BYTES) {
      this.#used += bytes.copy(this.#buffer, this.#used)
      this.#buffer[this.#used++] = 10
      return
    }
    this.#pending.push(Buffer.from(this.#buffer.subarray(0, this.#used)), Buffer.concat([bytes, NEWLINE]))
    this.#used = 0
  }

  /** Bytes taken out of the buffer, to be written before it. */
  #pending: Buffer[] = []

  async flush(): Promise<void> {
    const chunks = [...this.#pending, this.#buffer.subarray(0, this.#used)]
    for (const chunk of chunks) {
      if (chunk.length === 0) continue
      this.#hash.update(chunk)
      // Explicit positions: after a rollback's truncate the file offset is past the end.
      for (let offset = 0; offset < chunk.length; ) {
        offset += (await this.#handle.write(chunk, offset, chunk.length - offset, this.#bytes + offset)).bytesWritten
      }
      this.#bytes += chunk.length
    }
    this.#pending = []
    this.#used = 0
  }

  async mark(): Promise<WriterMark> {
    await this.flush()
    return { bytes: this.#bytes, records: this.#records, hash: this.#hash.copy() }
  }

  /** Forgets everything written after `mark`: a page that failed half-way is fetched again. */
  async rollback(mark: WriterMark): Promise<void> {
    this.#used = 0
    this.#pending = []
    await this.#handle.truncate(mark.bytes)
    this.#bytes = mark.bytes
    this.#records = mark.records
    this.#hash = mark.hash.copy()
    this.#end = mark.bytes
    this.#index.truncate(mark.records)
  }

  /**
   * Makes the temp file the cache file: the old meta file removed (so that no meta ever describes the other
   * content), the temp file synced and renamed into place, then the new meta written.
   */
  async commit(meta: Omit<CacheMeta, 'records' | 'bytes' | 'sha256'>): Promise<WrittenCache> {
    await this.flush()
    const written = { records: this.#records, bytes: this.#bytes, sha256: this.#hash.digest('hex') }
    await rm(metaPathFor(this.target), { force: true })
    await rm(lineIndexPathFor(this.target), { force: true })
    this.#closed = true
    await finishAtomicWrite(this.#handle, this.temp, this.target)
    await writeCacheMeta(this.target, { ...meta, ...written })
    // Last: the index names the file as renamed (its mtime) and its meta's sha256. A crash before leaves none.
    await this.#index.write(this.target, written.sha256)
    return written
  }

  /** Drops the temp file; the cache file and its meta stay as they were. */
  async abort(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true
      await this.#handle.close().catch(() => undefined)
    }
    await rm(this.temp, { force: true })
  }
}
