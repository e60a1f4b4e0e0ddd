import { HashSetUnion, type LiveRowSet } from '../util/hash-set-union.js'
import { HashSet64, PACKED_ROW_BYTES } from '../util/hash-set64.js'

/**
 * The rows written in a run, packed as the live-row snapshot is (the 8-byte hash, then the rowid as
 * 8 bytes big-endian), in the order they were committed. Only for a table whose rowid is its key: the
 * rowid of a row is then known from its values, before and without any lookup.
 */
export class WrittenRows {
  #bytes = Buffer.allocUnsafe(64 * 1024)
  #length = 0

  /** Adds a row whose integer key (its rowid) is `key`; false when the key is not a safe integer. */
  add(hash: Uint8Array, key: unknown): boolean {
    if (typeof key !== 'number' || !Number.isSafeInteger(key)) return false
    if (this.#length + PACKED_ROW_BYTES > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(this.#bytes.length * 2)
      this.#bytes.copy(grown, 0, 0, this.#length)
      this.#bytes = grown
    }
    const at = this.#length
    this.#bytes.set(hash.subarray(0, 8), at)
    const hi = Math.floor(key / 2 ** 32)
    this.#bytes.writeInt32BE(hi, at + 8)
    this.#bytes.writeUInt32BE(key - hi * 2 ** 32, at + 12)
    this.#length += PACKED_ROW_BYTES
    return true
  }

  /** The pairs added so far, in a buffer of their own and of their size (cheap to post to a thread). */
  take(): Buffer {
    const out = Buffer.alloc(this.#length)
    this.#bytes.copy(out, 0, 0, this.#length)
    return out
  }
}

/** Past this share of slots in use (removed ones included), the set is rebuilt before it is kept. */
const MAX_LOAD = 0.6

/**
 * The live rows of a table after a complete sync, for the next sync to start from instead of reading
 * the table: the rows of the snapshot that records matched (`known`, seen), and the rows written, each
 * rowid holding the last row written to it. A snapshot read in one part is brought up to date in place
 * (the rows not seen removed): a 1 % change costs 1 % of the work. `repeatedRowids`: whether a rowid may
 * have been written twice (a key twice in the file); only then are the written rows sorted out.
 *
 * The rows seen and the rows written never share a rowid here: that is a key met twice with one record
 * unchanged, which the engine re-applies in file order and keeps no snapshot for.
 */
export function liveSetAfter(known: LiveRowSet | undefined, written: readonly Buffer[], options: { repeatedRowids: boolean }): HashSet64 {
  const rows = options.repeatedRowids ? [lastPerRowid(written)] : written
  const single = known instanceof HashSetUnion ? known.single : known instanceof HashSet64 ? known : undefined
  if (single !== undefined) {
    single.settle()
    const adding = rows.reduce((sum, part) => sum + part.length / PACKED_ROW_BYTES, 0)
    // Room checked before adding: a set with no empty slot left would make a probe go round for ever.
    if (single.used + adding <= MAX_LOAD * single.capacity) {
      for (const part of rows) single.addPacked(part)
      return single
    }
    return HashSet64.fromPacked(Buffer.concat([single.packMembers(), ...rows]))
  }
  return HashSet64.fromPacked(Buffer.concat([known?.packSeen() ?? Buffer.alloc(0), ...rows]))
}

/** Written rows with one row per rowid, the last written, in the order written. */
export function lastPerRowid(written: readonly Buffer[]): Buffer {
  const all = Buffer.concat(written)
  const rows = all.length / PACKED_ROW_BYTES
  const index = new RowidIndex(rows)
  const keep = new Uint8Array(rows)
  for (let i = 0; i < rows; i++) {
    const at = i * PACKED_ROW_BYTES
    const before = index.put(all.readUInt32BE(at + 8), all.readUInt32BE(at + 12), i)
    if (before >= 0) keep[before] = 0
    keep[i] = 1
  }
  const out = Buffer.allocUnsafe(all.length)
  let length = 0
  for (let i = 0; i < rows; i++) {
    if (keep[i] === 0) continue
    all.copy(out, length, i * PACKED_ROW_BYTES, (i + 1) * PACKED_ROW_BYTES)
    length += PACKED_ROW_BYTES
  }
  return out.subarray(0, length)
}

/** An open-addressing map from a rowid (two 32-bit halves) to a number: typed arrays, no object a row. */
class RowidIndex {
  readonly #keys: Uint32Array
  readonly #values: Int32Array
  readonly #mask: number

  constructor(expected: number) {
    let capacity = 16
    while (capacity < expected * 2) capacity *= 2
    this.#keys = new Uint32Array(capacity * 2)
    this.#values = new Int32Array(capacity).fill(-1)
    this.#mask = capacity - 1
  }

  /** Maps the rowid to `value`; returns the value it had, or -1. */
  put(hi: number, lo: number, value: number): number {
    let slot = (Math.imul(lo ^ hi, 0x9e3779b1) >>> 0) & this.#mask
    for (;;) {
      const had = this.#values[slot] as number
      if (had < 0) {
        this.#keys[slot * 2] = hi
        this.#keys[slot * 2 + 1] = lo
        this.#values[slot] = value
        return -1
      }
      if (this.#keys[slot * 2] === hi && this.#keys[slot * 2 + 1] === lo) {
        this.#values[slot] = value
        return had
      }
      slot = (slot + 1) & this.#mask
    }
  }
}
