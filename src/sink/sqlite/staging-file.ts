import { rmSync } from 'node:fs'
import type { RowValues } from '../../engine/record-mapper.js'
import type { ColumnWidening } from '../../schema/field-type.js'
import { openDatabase, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.js'
import { registerWiden, WIDEN_FUNCTION } from './sqlite-schema-record.js'

/**
 * A throw-away SQLite file that a worker fills with mapped rows (no index, no journal), for the
 * coordinator to merge with one `INSERT … SELECT`: the rows cross threads without being copied through JS.
 */
export class StagingFile {
  readonly path: string
  readonly #db: SqliteDatabase
  #insert: SqliteStatement
  #columnCount: number
  #widens = false
  #rows = 0

  /** `keyIndexes`: the key columns; a key staged twice keeps its last row, as a row-by-row upsert would. */
  constructor(path: string, columnCount: number, keyIndexes: readonly number[]) {
    rmSync(path, { force: true })
    this.path = path
    this.#db = openDatabase(path)
    this.#db.pragma('journal_mode = OFF')
    this.#db.pragma('synchronous = OFF')
    this.#db.pragma('locking_mode = EXCLUSIVE')
    this.#db.exec(`CREATE TABLE rows (${[...columnNames(columnCount), '_hash'].join(', ')})`)
    this.#db.exec(`CREATE UNIQUE INDEX rows_key ON rows (${keyIndexes.map((i) => `c${i}`).join(', ')})`)
    this.#columnCount = columnCount
    this.#insert = this.#prepareInsert()
    this.#db.exec('BEGIN')
  }

  /** See `RowStager.reshape`: new columns go before `_hash` in the values, after it in the file. */
  reshape = (columnCount: number, widen: readonly ColumnWidening[]): void => {
    for (let i = this.#columnCount; i < columnCount; i++) this.#db.exec(`ALTER TABLE rows ADD COLUMN c${i}`)
    this.#columnCount = columnCount
    if (widen.length > 0 && !this.#widens) {
      registerWiden(this.#db)
      this.#widens = true
    }
    for (const { index, from, to } of widen) this.#db.prepare(`UPDATE rows SET c${index} = ${WIDEN_FUNCTION}(c${index}, ?, ?)`).run(from, to)
    this.#insert = this.#prepareInsert()
  }

  #prepareInsert(): SqliteStatement {
    return this.#db.prepare(
      `INSERT OR REPLACE INTO rows (${[...columnNames(this.#columnCount), '_hash'].join(', ')}) VALUES (${new Array(this.#columnCount + 1).fill('?').join(', ')})`,
    )
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
      // Columns added by `reshape` sit after `_hash` in the file: named, in the values' order.
      const columns = (db.prepare("SELECT name FROM pragma_table_info('rows') WHERE name <> '_hash'").pluck().all() as string[]).sort(
        (a, b) => Number(a.slice(1)) - Number(b.slice(1)),
      )
      yield* db
        .prepare(`SELECT ${[...columns, '_hash'].join(', ')} FROM rows ORDER BY rowid`)
        .raw()
        .iterate() as IterableIterator<unknown[]>
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

/** The staging table's value columns: `c0` … in the values' order. */
function columnNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${i}`)
}
