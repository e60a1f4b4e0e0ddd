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
  /** The insert of one row, and of `rows` rows at once: one call into SQLite instead of one a row. */
  #inserts: StagingInserts
  /** The bound values of the rows not yet inserted, row after row. */
  readonly #pending: unknown[] = []
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
    this.#inserts = this.#prepareInserts()
    this.#db.exec('BEGIN')
  }

  /** See `RowStager.reshape`: new columns go before `_hash` in the values, after it in the file. */
  reshape = (columnCount: number, widen: readonly ColumnWidening[]): void => {
    this.#insertPending()
    for (let i = this.#columnCount; i < columnCount; i++) this.#db.exec(`ALTER TABLE rows ADD COLUMN c${i}`)
    this.#columnCount = columnCount
    if (widen.length > 0 && !this.#widens) {
      registerWiden(this.#db)
      this.#widens = true
    }
    for (const { index, from, to } of widen) this.#db.prepare(`UPDATE rows SET c${index} = ${WIDEN_FUNCTION}(c${index}, ?, ?)`).run(from, to)
    this.#inserts = this.#prepareInserts()
  }

  #prepareInserts(): StagingInserts {
    const rows = Math.max(1, Math.min(ROWS_A_STATEMENT, Math.floor(MAX_PARAMETERS / (this.#columnCount + 1))))
    return { one: this.#prepareInsert(1), many: this.#prepareInsert(rows), rows }
  }

  /** Rows inserted in order, so a key met twice keeps its last row, in one statement as in several. */
  #prepareInsert(rows: number): SqliteStatement {
    const row = `(${new Array(this.#columnCount + 1).fill('?').join(', ')})`
    return this.#db.prepare(
      `INSERT OR REPLACE INTO rows (${[...columnNames(this.#columnCount), '_hash'].join(', ')}) VALUES ${new Array(rows).fill(row).join(', ')}`,
    )
  }

  get rows(): number {
    return this.#rows
  }

  add(values: RowValues, hash: Buffer): void {
    // A row of another width would shift every value after it into the wrong column.
    if (values.length !== this.#columnCount) throw new Error(`staging: a row of ${values.length} values for ${this.#columnCount} columns`)
    const pending = this.#pending
    for (let i = 0; i < values.length; i++) pending.push(values[i])
    pending.push(hash)
    this.#rows++
    if (pending.length === this.#inserts.rows * (this.#columnCount + 1)) {
      this.#inserts.many.run(pending)
      pending.length = 0
    }
  }

  #insertPending(): void {
    const width = this.#columnCount + 1
    for (let at = 0; at < this.#pending.length; at += width) this.#inserts.one.run(this.#pending.slice(at, at + width))
    this.#pending.length = 0
  }

  /** Commits and closes; the file is then ready to be attached. */
  finish(): void {
    this.#insertPending()
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

interface StagingInserts {
  one: SqliteStatement
  many: SqliteStatement
  rows: number
}

/**
 * Rows bound to one `INSERT` at a time. Binding is the same work either way; each call into SQLite costs
 * its own (measured on 200,000 mapped rows of users: 50 a statement 15–20 % less time than one).
 */
const ROWS_A_STATEMENT = 50
/** SQLite's default bound on a statement's parameters (`SQLITE_MAX_VARIABLE_NUMBER`). */
const MAX_PARAMETERS = 32_766

/** The staging table's value columns: `c0` … in the values' order. */
function columnNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${i}`)
}
