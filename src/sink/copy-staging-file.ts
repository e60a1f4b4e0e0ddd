import { rmSync, writeFileSync } from 'node:fs'
import type { RowValues } from '../engine/record-mapper.js'
import { copyText } from './copy-text.js'

/**
 * A worker's rows as a file of PostgreSQL COPY text (values, then hash, per line), for a sink that loads
 * with `COPY … FROM STDIN`: the coordinator streams the file as it is, without decoding a row. A key
 * staged twice keeps its last row, as in a SQLite staging file.
 */
export class CopyStagingFile {
  readonly path: string
  readonly #keyIndexes: readonly number[]
  readonly #rows: (unknown[] | undefined)[] = []
  readonly #byKey = new Map<string, number>()

  constructor(path: string, keyIndexes: readonly number[]) {
    this.path = path
    this.#keyIndexes = keyIndexes
  }

  add(values: RowValues, hash: Buffer): void {
    const keyAt = this.#keyIndexes
    const key = keyAt.length === 1 ? String(values[keyAt[0] as number]) : JSON.stringify(keyAt.map((at) => values[at]))
    const before = this.#byKey.get(key)
    if (before !== undefined) this.#rows[before] = undefined
    this.#byKey.set(key, this.#rows.length)
    this.#rows.push([...values, hash])
  }

  /** Writes the file; it is then ready to be streamed into COPY. */
  finish(): void {
    const rows = this.#rows.filter((row): row is unknown[] => row !== undefined)
    writeFileSync(this.path, [...copyText(rows)].join(''))
  }

  discard(): void {
    rmSync(this.path, { force: true })
  }
}
