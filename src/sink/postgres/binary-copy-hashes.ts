import { PACKED_ROW_BYTES } from '../../util/hash-set64.js'

/** What a `COPY … (FORMAT binary)` stream starts with, before its flags and header extension. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
/** The signature, the flags word and the extension's length word. */
const HEADER_BYTES = SIGNATURE.length + 8
/** Bytes of a piece taken to complete a row the last piece cut. */
const CARRY_HEAD_BYTES = 64
const EMPTY = Buffer.alloc(0)
/** Bytes of a `_hash`. */
const HASH_BYTES = 8
/** Bytes of a `ctid` in binary: its block (4 bytes) and its line in the block (2). */
const TID_BYTES = 6

/**
 * The live rows of a two-column binary COPY (`COPY (SELECT "_hash", ctid …) TO STDOUT (FORMAT binary)`),
 * packed as `HashSet64.fromPacked` reads them: each hash, then the row's `ctid` where a SQLite row has
 * its rowid (block as the high word, line as the low one), so that a vanished row is deleted by a TID
 * lookup rather than by its hash, a scan of the table (see `PgSourceSink.#remove`). The server sends
 * raw bytes, 24 a row, where a bytea aggregate sends one value built in its memory and then as hex
 * text twice its size: the scan streams and this reads it as it comes, in pieces that cut rows
 * anywhere. A null or a hash of another length (a row another writer added) is left out, as the
 * aggregate left it out: no record matches it, so it is never taken for a known row.
 */
export class BinaryCopyHashes {
  #packed = Buffer.allocUnsafe(1024 * PACKED_ROW_BYTES)
  #length = 0
  /** The bytes of a row (or of the header) cut by the end of a piece, until the next piece. */
  #carry: Buffer = EMPTY
  #headerRead = false
  #ended = false

  push(piece: Buffer): void {
    if (this.#carry.length === 0) {
      this.#keep(piece, this.#read(piece))
      return
    }
    // A row cut by the last piece: completed from the head of this one (rows are 14 bytes), not by
    // copying the whole piece behind it.
    const head = Buffer.concat([this.#carry, piece.subarray(0, CARRY_HEAD_BYTES)])
    const read = this.#read(head)
    if (read >= this.#carry.length) {
      const from = read - this.#carry.length
      this.#keep(piece, from + this.#read(piece.subarray(from)))
    } else if (head.length < this.#carry.length + piece.length) {
      // A header or row longer than the head: the slow way, once.
      const whole = Buffer.concat([this.#carry, piece])
      this.#keep(whole, this.#read(whole))
    } else this.#keep(head, read)
  }

  /** Keeps what follows `at` of `data` for the next piece (copied: the stream may reuse the piece's memory). */
  #keep(data: Buffer, at: number): void {
    this.#carry = at === data.length ? EMPTY : Buffer.from(data.subarray(at))
  }

  /** Reads the whole rows (and the header) at the start of `data`; returns the bytes read. */
  #read(data: Buffer): number {
    let at = 0
    if (!this.#headerRead) {
      if (data.length < HEADER_BYTES) return 0
      if (!data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('COPY binary: not a binary COPY stream')
      const extension = data.readUInt32BE(SIGNATURE.length + 4)
      if (data.length < HEADER_BYTES + extension) return 0
      at = HEADER_BYTES + extension
      this.#headerRead = true
    }
    while (!this.#ended && data.length - at >= 2) {
      const fields = data.readInt16BE(at)
      if (fields === -1) {
        this.#ended = true
        return at + 2
      }
      if (fields !== 2) throw new Error(`COPY binary: a row of ${fields} fields, two expected`)
      if (data.length - at < 6) break
      const hashBytes = data.readInt32BE(at + 2)
      const tidAt = at + 6 + Math.max(hashBytes, 0)
      if (data.length - tidAt < 4) break
      const tidBytes = data.readInt32BE(tidAt)
      const end = tidAt + 4 + Math.max(tidBytes, 0)
      if (data.length < end) break
      if (hashBytes === HASH_BYTES) this.#add(data, at + 6, tidBytes === TID_BYTES ? tidAt + 4 : -1)
      at = end
    }
    return at
  }

  /** The hashes read, packed; throws if the stream ended before its trailer. */
  packed(): Buffer {
    if (!this.#ended) throw new Error('COPY binary: the stream ended early')
    return this.#packed.subarray(0, this.#length)
  }

  /** Adds the hash at `at`, with the ctid at `tidAt` (-1: none, a zero row id). */
  #add(data: Buffer, at: number, tidAt: number): void {
    if (this.#length + PACKED_ROW_BYTES > this.#packed.length) {
      const grown = Buffer.allocUnsafe(this.#packed.length * 2)
      this.#packed.copy(grown, 0, 0, this.#length)
      this.#packed = grown
    }
    const out = this.#packed
    const to = this.#length
    data.copy(out, to, at, at + HASH_BYTES)
    out.writeUInt32BE(tidAt < 0 ? 0 : data.readUInt32BE(tidAt), to + HASH_BYTES)
    out.writeUInt32BE(tidAt < 0 ? 0 : data.readUInt16BE(tidAt + 4), to + HASH_BYTES + 4)
    this.#length += PACKED_ROW_BYTES
  }
}

/** The `ctid` a live row's row id holds (see `BinaryCopyHashes`), as text; undefined for none. */
export function tidOf(rowid: bigint): string | undefined {
  const bits = BigInt.asUintN(64, rowid)
  const line = Number(bits & 0xffffffffn)
  // Lines are numbered from 1: a zero is a row read without its ctid.
  return line === 0 ? undefined : `(${bits >> 32n},${line})`
}
