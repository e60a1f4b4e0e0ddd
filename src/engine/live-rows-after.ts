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
 * A rowid both seen and written is a row the write left alone, its values equal to those of a record
 * with other bytes (its old hash was marked seen): the written row replaces the seen one, so that the
 * next sync knows the new bytes without parsing them, and the set keeps one row per rowid. The table's
 * `_hash` keeps the old bytes' hash: hence deletions by rowid (`vanishedRows`).
 */
export function liveSetAfter(known: LiveRowSet | undefined, written: readonly Buffer[], options: { repeatedRowids: boolean }): HashSet64 {
  const rows = options.repeatedRowids ? [lastPerRowid(written)] : written
  const single = known instanceof HashSetUnion ? known.single : known instanceof HashSet64 ? known : undefined
  const adding = rows.reduce((sum, part) => sum + part.length / PACKED_ROW_BYTES, 0)
  const writtenRowids = known === undefined || adding === 0 ? undefined : rowidsOf(rows, adding)
  const overwritten = writtenRowids === undefined ? undefined : (hi: number, lo: number) => writtenRowids.get(hi, lo) >= 0
  if (single !== undefined) {
    single.settle(overwritten)
    // Room checked before adding: a set with no empty slot left would make a probe go round for ever.
    if (single.used + adding <= MAX_LOAD * single.capacity) {
      for (const part of rows) single.addPacked(part)
      return single
    }
    return HashSet64.fromPacked(Buffer.concat([single.packMembers(), ...rows]))
  }
  const seen = known === undefined ? Buffer.alloc(0) : writtenRowids === undefined ? known.packSeen() : withoutRowids(known.packSeen(), writtenRowids)
  return HashSet64.fromPacked(Buffer.concat([seen, ...rows]))
}

/**
 * The live rows no record matched, to remove. With `written` (the rows this run wrote, where the rowid
 * is the key), a row is named by its rowid: an unseen row whose rowid was written this run, or that a
 * seen row also names, did not vanish. Its hash may then be newer than the table's `_hash` (see
 * `liveSetAfter`), so the sink removes these by rowid alone (`byRowid`); without `written`, by rowid
 * and hash, which leaves a row rewritten this run alone.
 */
export function vanishedRows(known: LiveRowSet, written: readonly Buffer[] | undefined): { rows: { hash: Buffer; rowid: bigint }[]; byRowid: boolean } {
  const unseen = known.unseen()
  if (written === undefined || unseen.length === 0) return { rows: unseen, byRowid: written !== undefined }
  const index = new RowidIndex(unseen.length)
  for (const [i, row] of unseen.entries()) {
    const rowid = BigInt.asUintN(64, row.rowid)
    index.put(Number(rowid >> 32n), Number(rowid & 0xffffffffn), i)
  }
  const spared = new Uint8Array(unseen.length)
  const spare = (hi: number, lo: number): void => {
    const i = index.get(hi, lo)
    if (i >= 0) spared[i] = 1
  }
  for (const part of written) for (let at = 0; at < part.length; at += PACKED_ROW_BYTES) spare(part.readUInt32BE(at + 8), part.readUInt32BE(at + 12))
  // The seen rows are most of a large table: visited where they lie, not packed into a copy first.
  known.visitSeenRowids(spare)
  return { rows: unseen.filter((_, i) => spared[i] === 0), byRowid: true }
}

/** The rowids of `count` packed rows, as an index. */
function rowidsOf(rows: readonly Buffer[], count: number): RowidIndex {
  const index = new RowidIndex(count)
  for (const part of rows) for (let at = 0; at < part.length; at += PACKED_ROW_BYTES) index.put(part.readUInt32BE(at + 8), part.readUInt32BE(at + 12), 0)
  return index
}

/** Packed rows but those whose rowid `index` holds. */
function withoutRowids(packed: Buffer, index: RowidIndex): Buffer {
  const out = Buffer.allocUnsafe(packed.length)
  let length = 0
  for (let at = 0; at < packed.length; at += PACKED_ROW_BYTES) {
    if (index.get(packed.readUInt32BE(at + 8), packed.readUInt32BE(at + 12)) >= 0) continue
    packed.copy(out, length, at, at + PACKED_ROW_BYTES)
    length += PACKED_ROW_BYTES
  }
  return out.subarray(0, length)
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

  /** The value the rowid maps to, or -1. */
  get(hi: number, lo: number): number {
    let slot = (Math.imul(lo ^ hi, 0x9e3779b1) >>> 0) & this.#mask
    for (;;) {
      const had = this.#values[slot] as number
      if (had < 0) return -1
      if (this.#keys[slot * 2] === hi && this.#keys[slot * 2 + 1] === lo) return had
      slot = (slot + 1) & this.#mask
    }
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
