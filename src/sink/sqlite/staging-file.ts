import { rmSync } from 'node:fs'
import type { RowValues } from '../../engine/record-mapper.js'
import { openDatabase, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.js'

/**
 * A throw-away SQLite file that a worker fills with mapped rows (no index, no journal), for the
 * coordinator to merge with one `INSERT … SELECT`: the rows cross threads without being copied through JS.
 */
export class StagingFile {
  readonly path: string
  readonly #db: SqliteDatabase
  readonly #insert: SqliteStatement
  #rows = 0

  /** `keyIndexes`: the key columns; a key staged twice keeps its last row, as a row-by-row upsert would. */
  constructor(path: string, columnCount: number, keyIndexes: readonly number[]) {
    rmSync(path, { force: true })
    this.path = path
    this.#db = openDatabase(path)
    this.#db.pragma('journal_mode = OFF')
    this.#db.pragma('synchronous = OFF')
    this.#db.pragma('locking_mode = EXCLUSIVE')
    const names = Array.from({ length: columnCount }, (_, i) => `c${i}`)
    this.#db.exec(`CREATE TABLE rows (${[...names, '_hash'].join(', ')})`)
    this.#db.exec(`CREATE UNIQUE INDEX rows_key ON rows (${keyIndexes.map((i) => `c${i}`).join(', ')})`)
    this.#insert = this.#db.prepare(`INSERT OR REPLACE INTO rows VALUES (${new Array(columnCount + 1).fill('?').join(', ')})`)
    this.#db.exec('BEGIN')
  }

  get rows(): number {
    return this.#rows
  }

  add(values: RowValues, hash: Buffer): void {
    this.#insert.run(...values, hash)
    this.#rows++
  }

  /** Commits and closes; the file is then ready to be attached. */
  finish(): void {
    this.#db.exec('COMMIT')
    this.#db.close()
  }

  /** The staged rows in the order they were staged (values, then hash), for a sink that cannot ATTACH. */
  static *rowsOf(path: string): Generator<unknown[]> {
    const db = openDatabase(path, { readonly: true, fileMustExist: true })
    try {
      yield* db.prepare('SELECT * FROM rows ORDER BY rowid').raw().iterate() as IterableIterator<unknown[]>
    } finally {
      db.close()
    }
  }

  /** Closes without keeping anything. */
  discard(): void {
    if (this.#db.open) this.#db.close()
    rmSync(this.path, { force: true })
  }
}
