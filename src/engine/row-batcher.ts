import type { RowValues } from './record-mapper.js'

/** Collects mapped rows and hands them on `size` at a time. */
export class RowBatcher {
  readonly #size: number
  readonly #flush: (rows: RowValues[], hashes: Buffer[]) => void
  #rows: RowValues[] = []
  #hashes: Buffer[] = []

  constructor(size: number, flush: (rows: RowValues[], hashes: Buffer[]) => void) {
    this.#size = size
    this.#flush = flush
  }

  add = (values: RowValues, hash: Buffer): void => {
    this.#rows.push(values)
    this.#hashes.push(hash)
    if (this.#rows.length >= this.#size) this.flush()
  }

  flush(): void {
    if (this.#rows.length === 0) return
    const rows = this.#rows
    const hashes = this.#hashes
    this.#rows = []
    this.#hashes = []
    this.#flush(rows, hashes)
  }
}
