import type { RowValues } from './record-mapper.js'

/** Collects mapped rows until the mode takes them, at a point where it knows the file position. */
export class RowBatcher {
  #rows: RowValues[] = []
  #hashes: Buffer[] = []

  add = (values: RowValues, hash: Buffer): void => {
    this.#rows.push(values)
    this.#hashes.push(hash)
  }

  get pending(): number {
    return this.#rows.length
  }

  /** The rows collected so far; the batcher starts empty again. */
  take(): { rows: RowValues[]; hashes: Buffer[] } {
    const taken = { rows: this.#rows, hashes: this.#hashes }
    this.#rows = []
    this.#hashes = []
    return taken
  }
}
