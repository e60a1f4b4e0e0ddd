import { closeSync, openSync, rmSync, writeSync } from 'node:fs'
import type { RowValues } from '../../engine/record-mapper.js'
import { copyLine } from './copy-text.js'

/** The staging buffer's first size; it doubles as rows come. */
const INITIAL_BYTES = 1024 * 1024

/** The last file's buffer, kept for the next one this thread stages: growing a fresh one costs copies. */
let spare: Buffer | undefined

/**
 * A worker's rows as a file of PostgreSQL COPY text (values, then hash, per line), for a sink that loads
 * with `COPY … FROM STDIN`: the coordinator streams the file as it is, without decoding a row. A key
 * staged twice keeps its last row, as in a SQLite staging file. Each line is encoded into one growing
 * buffer as it comes, so nothing a row made outlives it (kept rows would be promoted and copied by the
 * collector: that cost more than the parsing).
 */
export class CopyStagingFile {
  /** COPY text is written as it comes: the rows of inferred columns wait until their types are final. */
  readonly reshape = undefined
  readonly path: string
  readonly #keyIndexes: readonly number[]
  #bytes = takeSpare()
  #length = 0
  /** Where each line ends in `#bytes`; a line a later row of its key replaced is negated. */
  readonly #ends: number[] = []
  /** A single key's value as it is (numbers hash fastest), several keys as JSON text. */
  readonly #byKey = new Map<unknown, number>()
  #replaced = 0

  constructor(path: string, keyIndexes: readonly number[]) {
    this.path = path
    this.#keyIndexes = keyIndexes
  }

  add(values: RowValues, hash: Buffer): void {
    const keyAt = this.#keyIndexes
    const key = keyAt.length === 1 ? values[keyAt[0] as number] : JSON.stringify(keyAt.map((at) => values[at]))
    const before = this.#byKey.get(key)
    if (before !== undefined) {
      this.#ends[before] = -(this.#ends[before] as number)
      this.#replaced++
    }
    this.#byKey.set(key, this.#ends.length)
    const line = copyLine(values, hash)
    // A UTF-16 unit is at most 3 bytes of UTF-8: room enough without measuring the line first.
    const needed = this.#length + line.length * 3
    if (needed > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#bytes.length * 2))
      this.#bytes.copy(grown, 0, 0, this.#length)
      this.#bytes = grown
    }
    this.#length += this.#bytes.write(line, this.#length)
    this.#ends.push(this.#length)
  }

  /** Writes the file; it is then ready to be streamed into COPY. */
  finish(): void {
    const fd = openSync(this.path, 'w')
    try {
      if (this.#replaced === 0) {
        writeAll(fd, this.#bytes.subarray(0, this.#length))
        return
      }
      let start = 0
      for (const end of this.#ends) {
        if (end > 0) writeAll(fd, this.#bytes.subarray(start, end))
        start = Math.abs(end)
      }
    } finally {
      closeSync(fd)
      spare = this.#bytes
    }
  }

  discard(): void {
    rmSync(this.path, { force: true })
  }
}

function takeSpare(): Buffer {
  const taken = spare ?? Buffer.allocUnsafe(INITIAL_BYTES)
  spare = undefined
  return taken
}

function writeAll(fd: number, bytes: Buffer): void {
  let done = 0
  while (done < bytes.length) done += writeSync(fd, bytes, done)
}
