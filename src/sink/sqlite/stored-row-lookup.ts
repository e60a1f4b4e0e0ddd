import type { RowValues } from '../../engine/record-mapper.js'
import { openDatabase, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.js'
import { quoteIdent } from './sqlite-schema.js'

/** Where a worker finds a table's stored rows: the database, and the columns of the rows it maps. */
export interface StoredRowsSpec {
  readonly dbPath: string
  readonly table: string
  /** The mapped columns, in the order of a row's values. */
  readonly columns: readonly string[]
  readonly key: readonly string[]
}

/**
 * Looks mapped rows up in the table, on a read-only connection of the worker's own: a record whose bytes
 * are new but whose values a live row already holds needs no write, and its row no staging and no
 * merge. The comparison is the sinks' (`IS NOT` on every value column): a stored value is what the
 * mapper gives for it, so `===` agrees with it.
 */
export class StoredRowLookup {
  readonly #db: SqliteDatabase
  readonly #select: SqliteStatement
  readonly #keyAt: number[]
  readonly #valueAt: number[]

  constructor(spec: StoredRowsSpec) {
    this.#db = openDatabase(spec.dbPath, { readonly: true, fileMustExist: true })
    this.#keyAt = spec.key.map((k) => spec.columns.indexOf(k))
    this.#valueAt = spec.columns.flatMap((name, i) => (spec.key.includes(name) ? [] : [i]))
    const values = this.#valueAt.map((i) => quoteIdent(spec.columns[i] as string))
    const where = spec.key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ')
    this.#select = this.#db.prepare(`SELECT ${['"_hash"', ...values].join(', ')} FROM ${quoteIdent(spec.table)} WHERE ${where} AND "_deleted_at" IS NULL`).raw()
  }

  /** The hash of the live row that holds exactly these values under other bytes; undefined otherwise. */
  keptHash(values: RowValues, hash: Buffer): Buffer | undefined {
    const stored = this.#select.get(...this.#keyAt.map((i) => values[i])) as unknown[] | undefined
    if (stored === undefined) return undefined
    const old = stored[0]
    if (!Buffer.isBuffer(old) || old.equals(hash)) return undefined
    for (let j = 0; j < this.#valueAt.length; j++) if (stored[j + 1] !== values[this.#valueAt[j] as number]) return undefined
    return old
  }

  close(): void {
    this.#db.close()
  }
}
