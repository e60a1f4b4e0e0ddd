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

/** Buffers at most: one filled while the others are written, so reading and scanning go on meanwhile. */
const BUFFERS = 4
const EMPTY = Buffer.alloc(0)
/** A run of lines at least this long is written from where it lies rather than copied into the buffer. */
const RUN_KEPT_BYTES = 4096

/**
 * Writes a cache file as NDJSON, one record a line, into a temp file beside it, counting records and bytes,
 * hashing the bytes on the way, and each line for its line index (the row hash must be loaded). `commit`
 * flushes it to disk and renames it over the cache file; `abort` removes it. Until `commit`, the cache file
 * and its meta file are not touched.
 *
 * `flush` hands the buffer to the disk and returns without waiting for it while one of {@link BUFFERS}
 * buffers is free: waiting for each write stopped the warm's reading and scanning for about a quarter of its
 * time. The hash is taken in order as buffers are handed on; writes go to explicit positions, so their order
 * does not matter. `mark`, `rollback`, `commit` and `abort` wait for every write; a failed write is thrown by
 * the next `flush`, `mark` or `commit`.
 */
export class CacheFileWriter {
  readonly target: string
  readonly temp: string
  readonly #handle: FileHandle
  #buffer: Buffer = Buffer.allocUnsafe(BUFFER_BYTES)
  #used = 0
  #hash = createHash('sha256')
  /** Bytes handed to the disk (written or in flight). */
  #bytes = 0
  #records = 0
  #closed = false
  /** The line index of what is written (see `line-index.ts`), and the offset after the last line. */
  readonly #index = new LineIndexBuilder()
  #end = 0
  /** Writes on their way, with their sizes. */
  readonly #inFlight = new Set<Promise<void>>()
  #inFlightBytes = 0
  /** The first write that failed; thrown by the next flush or settle. */
  #failure: unknown
  /** Buffers whose writes are done, for reuse, and how many were made. */
  readonly #spare: Buffer[] = []
  #made = 1

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
    return this.#bytes + this.#partsBytes + this.#used - this.#sealedTo
  }

  /** True when the buffer should be flushed before more lines are added. */
  get full(): boolean {
    return this.#partsBytes >= BUFFER_BYTES || this.#used > BUFFER_BYTES - 64 * 1024
  }

  /** Adds one record (its JSON text, without newline). Call `flush` when `full`. */
  writeLine(json: string): void {
    this.#records++
    if (this.#used + json.length * 3 + 1 <= this.#buffer.length) {
      const from = this.#used
      this.#used += this.#buffer.write(json, this.#used, 'utf8')
      this.#index.add(this.#buffer.subarray(from, this.#used), this.#end + this.#used - from + 1)
      this.#buffer[this.#used++] = 10
      this.#end += this.#used - from
      return
    }
    // More than the buffer can surely take: a part of its own, after what is buffered.
    const line = Buffer.from(`${json}\n`, 'utf8')
    this.#index.add(line.subarray(0, line.length - 1), this.#end + line.length)
    this.#end += line.length
    this.#addPart(line)
  }

  /** Adds one record given as bytes `source[start, end)` (JSON, without newline), copied: the caller may reuse them. */
  writeRecord(source: Buffer, start = 0, end = source.length): void {
    this.#records++
    this.#end += end - start + 1
    this.#index.add(source.subarray(start, end), this.#end)
    this.#append(source, start, end)
  }

  /**
   * Adds `count` records given as lines joined by newlines, without the last newline. A run of some size is
   * written from where it lies, not copied (a copy cost about 0.1 s of a 325 MB warm): the caller must not
   * change its bytes any more. Each line gets its own entry in the line index: a record holds no newline
   * (JSON strings cannot, and the splitter drops whitespace outside them), so the newlines are exactly the
   * boundaries.
   */
  writeRecords(lines: Buffer, count: number): void {
    this.#records += count
    this.#indexLines(lines)
    if (lines.length < RUN_KEPT_BYTES) this.#append(lines, 0, lines.length)
    else {
      this.#addPart(lines)
      this.#addPart(NEWLINE)
    }
  }

  /** Adds each line of `lines` (joined by newlines, none after the last) to the line index. */
  #indexLines(lines: Buffer): void {
    let from = 0
    for (let newline = lines.indexOf(10); newline >= 0; newline = lines.indexOf(10, from)) {
      this.#end += newline - from + 1
      this.#index.add(lines.subarray(from, newline), this.#end)
      from = newline + 1
    }
    this.#end += lines.length - from + 1
    this.#index.add(lines.subarray(from), this.#end)
  }

  /** Copies `source[start, end)` and a newline after what is buffered. */
  #append(source: Buffer, start: number, end: number): void {
    if (this.#used + end - start + 1 <= this.#buffer.length) {
      this.#used += source.copy(this.#buffer, this.#used, start, end)
      this.#buffer[this.#used++] = 10
      return
    }
    this.#addPart(Buffer.concat([source.subarray(start, end), NEWLINE]))
  }

  /** What goes to the disk at the next flush, in order: regions of the buffer, and bytes from elsewhere. */
  #parts: Buffer[] = []
  #partsBytes = 0
  /** Where the buffer's region not yet among the parts begins. */
  #sealedTo = 0

  #addPart(part: Buffer): void {
    this.#seal()
    this.#parts.push(part)
    this.#partsBytes += part.length
  }

  #seal(): void {
    if (this.#used === this.#sealedTo) return
    this.#parts.push(this.#buffer.subarray(this.#sealedTo, this.#used))
    this.#partsBytes += this.#used - this.#sealedTo
    this.#sealedTo = this.#used
  }

  /** Hands what is buffered to the disk; waits only while too much is already on its way. */
  async flush(): Promise<void> {
    this.#throwFailure()
    this.#seal()
    if (this.#parts.length > 0) {
      const owner = this.#used > 0 ? this.#buffer : undefined
      this.#send(this.#parts, this.#partsBytes, owner)
      this.#parts = []
      this.#partsBytes = 0
      this.#used = 0
      this.#sealedTo = 0
      // Until a buffer is free, a line added by mistake becomes a part, not bytes in a buffer being written.
      if (owner !== undefined) this.#buffer = EMPTY
    }
    while (
      this.#failure === undefined &&
      this.#inFlight.size > 0 &&
      ((this.#spare.length === 0 && this.#made >= BUFFERS) || this.#inFlightBytes > BUFFERS * BUFFER_BYTES)
    ) {
      await Promise.race(this.#inFlight)
    }
    this.#throwFailure()
    if (this.#buffer === EMPTY) this.#buffer = this.#spare.pop() ?? this.#newBuffer()
  }

  #newBuffer(): Buffer {
    this.#made++
    return Buffer.allocUnsafe(BUFFER_BYTES)
  }

  /** Hashes `parts` and starts writing them at their place; `owner`, the buffer some lie in, is reused once written. */
  #send(parts: Buffer[], length: number, owner: Buffer | undefined): void {
    for (const part of parts) this.#hash.update(part)
    const at = this.#bytes
    this.#bytes += length
    this.#inFlightBytes += length
    // Failed or not, the buffer is free again once its write is over: the failure is thrown, never retried.
    const write = this.#writeAt(parts, at)
      .catch((err: unknown) => {
        this.#failure ??= err
      })
      .then(() => {
        if (owner !== undefined) this.#spare.push(owner)
      })
    const tracked = write.finally(() => {
      this.#inFlight.delete(tracked)
      this.#inFlightBytes -= length
    })
    this.#inFlight.add(tracked)
  }

  // Explicit positions: writes may finish in any order, and after a rollback's truncate the file offset is past the end.
  async #writeAt(parts: Buffer[], at: number): Promise<void> {
    let left = parts
    while (left.length > 0) {
      let written = (await this.#handle.writev(left, at)).bytesWritten
      at += written
      // A short write: go on from the first byte not written.
      let k = 0
      while (k < left.length && written >= (left[k] as Buffer).length) written -= (left[k++] as Buffer).length
      left = left.slice(k)
      if (written > 0) left[0] = (left[0] as Buffer).subarray(written)
    }
  }

  /** Waits until every write handed on is done, and throws the first that failed. */
  async #settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight)
    this.#throwFailure()
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure
  }

  async mark(): Promise<WriterMark> {
    await this.flush()
    await this.#settle()
    return { bytes: this.#bytes, records: this.#records, hash: this.#hash.copy() }
  }

  /** Forgets everything written after `mark`: a page that failed half-way is fetched again. */
  async rollback(mark: WriterMark): Promise<void> {
    this.#used = 0
    this.#sealedTo = 0
    this.#parts = []
    this.#partsBytes = 0
    // A write still on its way would land after the truncate.
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight)
    this.#failure = undefined
    if (this.#buffer === EMPTY) this.#buffer = this.#spare.pop() ?? this.#newBuffer()
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
    await this.#settle()
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
      while (this.#inFlight.size > 0) await Promise.all(this.#inFlight)
      await this.#handle.close().catch(() => undefined)
    }
    await rm(this.temp, { force: true })
  }
}
