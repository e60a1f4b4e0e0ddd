import type { RowValues } from '../engine/record-mapper.js'
import { ROW_HASH_BYTES, rowHashInto } from './row-hash.js'

/** Tags of the encoding a row's values are hashed in: one byte before each value. */
const NULL = 0
const INT32 = 1
const FLOAT64 = 2
const TEXT = 3

/**
 * The hash of a mapped row's values: what a row holds, where the row hash (`rowHash`) is what upstream
 * sent. Two records whose bytes differ but whose rows are equal (keys reordered, an id sent as a string,
 * a field the mapping does not use) have one values hash, so that a worker can tell a row unchanged
 * without asking the database (see `TransformTask.values`). Each value is tagged and a text's length
 * comes first, so that no two different rows encode alike. One buffer, reused and grown: no allocation
 * a row; the hash returned is overwritten by the next call.
 */
export class ValuesHasher {
  #buffer = Buffer.allocUnsafe(4096)
  readonly #hash = new Uint8Array(ROW_HASH_BYTES)

  hash(values: RowValues): Uint8Array {
    let at = 0
    for (const value of values) {
      if (this.#buffer.length - at < 16) this.#grow(at, 16)
      if (value === null) this.#buffer[at++] = NULL
      else if (typeof value === 'number') {
        if ((value | 0) === value && !Object.is(value, -0)) {
          this.#buffer[at] = INT32
          this.#buffer.writeInt32LE(value, at + 1)
          at += 5
        } else {
          this.#buffer[at] = FLOAT64
          this.#buffer.writeDoubleLE(value, at + 1)
          at += 9
        }
      } else {
        // At most 3 bytes of UTF-8 per UTF-16 unit.
        if (this.#buffer.length - at < 5 + value.length * 3) this.#grow(at, 5 + value.length * 3)
        this.#buffer[at] = TEXT
        const bytes = this.#buffer.write(value, at + 5, 'utf8')
        this.#buffer.writeUInt32LE(bytes, at + 1)
        at += 5 + bytes
      }
    }
    rowHashInto(this.#buffer.subarray(0, at), this.#hash)
    return this.#hash
  }

  #grow(used: number, more: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, used + more))
    this.#buffer.copy(grown, 0, 0, used)
    this.#buffer = grown
  }
}
