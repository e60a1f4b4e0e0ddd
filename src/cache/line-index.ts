import { stat } from 'node:fs/promises'
import { probeRowHash, ROW_HASH_BYTES } from '../util/row-hash.js'
import { writeFileAtomic } from '../util/write-file-atomic.js'

/**
 * The line index: a sidecar file beside an NDJSON cache file (`users.ndjson` → `users.ndjson.lines`) that
 * holds, for every line, the row hash the sync computes for it and the offset just after it. A re-sync
 * looks each line's hash up in the live rows without reading the cache file (16 bytes a line instead of
 * the line), and reads and parses only the lines whose hash is not live.
 *
 * It is written by whoever writes the cache file (the warm, the generator), which sees every line anyway,
 * and is trusted only for that very file: its header names the cache file's size, modification time
 * (nanoseconds) and sha256, and a checksum of its entries. The sync takes it only when size and mtime
 * match the file on disk, the sha256 matches the meta file's, and the entries' checksum holds
 * (`openLineIndex`). A cache file replaced by hand gets a new mtime (and mostly a new size), so its old
 * index is ignored; one replaced keeping both (`cp -p` of a file of the same size) would pass, as it
 * passes the meta file's own same-size check (`contentHashOf`).
 *
 * Layout, big-endian: magic (8 bytes), cache size (u64), cache mtime in ns (u64), lines (u64), xxh64 of
 * the entries (8), sha256 of the cache file (32); then per line its hash (8) and its end offset (u64).
 */
export const LINE_INDEX_MAGIC = Buffer.from('CSLINES1', 'latin1')
export const LINE_INDEX_HEADER_BYTES = 72
export const LINE_INDEX_ENTRY_BYTES = 16

/** `users.ndjson` → `users.ndjson.lines`. */
export function lineIndexPathFor(cacheFile: string): string {
  return `${cacheFile}.lines`
}

/** What binds a line index to one cache file. */
export interface LineIndexBinding {
  readonly size: number
  readonly mtimeNs: bigint
  readonly sha256: string
}

/**
 * Collects the entries of a line index as a cache file is written, line by line in file order; the row
 * hash must be loaded (`loadRowHash`).
 */
export class LineIndexBuilder {
  #entries = Buffer.allocUnsafe(64 * 1024)
  #lines = 0

  get lines(): number {
    return this.#lines
  }

  /** One line: its bytes without the newline, and the file offset just after its newline. */
  add(line: Uint8Array, end: number): void {
    this.#reserve()
    const at = this.#lines * LINE_INDEX_ENTRY_BYTES
    this.#entries.set(probeRowHash(line), at)
    // The u64 as two u32s: a BigInt a line cost about 0.08 s of a 326 MB warm (offsets stay below 2^53).
    this.#entries.writeUInt32BE(Math.floor(end / 0x1_0000_0000), at + ROW_HASH_BYTES)
    this.#entries.writeUInt32BE(end >>> 0, at + ROW_HASH_BYTES + 4)
    this.#lines++
  }

  /** Forgets the lines after the first `lines` (a page rolled back). */
  truncate(lines: number): void {
    this.#lines = Math.min(this.#lines, lines)
  }

  /** Writes the index beside `cacheFile`, bound to it as it now is on disk; `sha256` is its meta's. */
  async write(cacheFile: string, sha256: string): Promise<void> {
    const stats = await stat(cacheFile, { bigint: true })
    const entries = this.#entries.subarray(0, this.#lines * LINE_INDEX_ENTRY_BYTES)
    const header = lineIndexHeader({ size: Number(stats.size), mtimeNs: stats.mtimeNs, sha256 }, this.#lines, entries)
    // In two parts: joined, a million lines' entries (16 MB) would be held twice at the warm's end.
    await writeFileAtomic(lineIndexPathFor(cacheFile), [header, entries])
  }

  #reserve(): void {
    const need = (this.#lines + 1) * LINE_INDEX_ENTRY_BYTES
    if (need <= this.#entries.length) return
    const grown = Buffer.allocUnsafe(this.#entries.length * 2)
    this.#entries.copy(grown, 0, 0, this.#lines * LINE_INDEX_ENTRY_BYTES)
    this.#entries = grown
  }
}

/** The header of a line index over `entries`. */
export function lineIndexHeader(binding: LineIndexBinding, lines: number, entries: Uint8Array): Buffer {
  const header = Buffer.alloc(LINE_INDEX_HEADER_BYTES)
  LINE_INDEX_MAGIC.copy(header, 0)
  header.writeBigUInt64BE(BigInt(binding.size), 8)
  header.writeBigUInt64BE(binding.mtimeNs, 16)
  header.writeBigUInt64BE(BigInt(lines), 24)
  header.set(probeRowHash(entries), 32)
  Buffer.from(binding.sha256, 'hex').copy(header, 40)
  return header
}
