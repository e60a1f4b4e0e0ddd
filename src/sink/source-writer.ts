import type { ResolvedSource } from '../config/resolve-config.js'
import type { RowValues } from '../engine/record-mapper.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'
import { placeholders, quoteIdent, upsertSql } from './sqlite-schema.js'

/** The rows a source's table held before this run, in rowid order: what "unchanged" is checked against. */
export interface KnownRows {
  readonly rowids: number[]
  readonly hashes: string[]
}

/** Writes one source's rows into its table. Every method runs in the caller's transaction. */
export class SourceWriter {
  readonly #db: SqliteDatabase
  readonly #source: ResolvedSource
  readonly #table: string
  #upsert: SqliteStatement | undefined

  constructor(db: SqliteDatabase, source: ResolvedSource) {
    this.#db = db
    this.#source = source
    this.#table = quoteIdent(source.table)
  }

  /** Rows in the table, soft-deleted ones included. */
  countRows(): number {
    return Number(this.#db.prepare(`SELECT count(*) FROM ${this.#table}`).pluck().get())
  }

  /** Rows not soft-deleted. */
  countLiveRows(): number {
    return Number(this.#db.prepare(`SELECT count(*) FROM ${this.#table} WHERE "_deleted_at" IS NULL`).pluck().get())
  }

  /** Upserts rows (values then hash, per row); returns how many were inserted or changed. */
  upsert(rows: readonly RowValues[], hashes: readonly string[]): number {
    this.#upsert ??= this.#db.prepare(upsertSql(this.#source, placeholders(this.#source.columns.length + 1)))
    const statement = this.#upsert
    let changes = 0
    for (let i = 0; i < rows.length; i++) {
      changes += statement.run(...(rows[i] as RowValues), hashes[i]).changes
    }
    return changes
  }

  /**
   * Upserts every row of a worker's staging file with one `INSERT … SELECT`, in its own transaction
   * (SQLite cannot ATTACH inside one); returns the changes.
   */
  mergeStaging(path: string): number {
    this.#db.prepare('ATTACH DATABASE ? AS staging').run(path)
    try {
      const names = this.#source.columns.map((_, i) => `c${i}`)
      const select = `SELECT ${[...names, '_hash'].join(', ')} FROM staging.rows WHERE true ORDER BY rowid`
      const merge = this.#db.prepare(upsertSql(this.#source, select))
      return this.#db.transaction(() => merge.run().changes)()
    } finally {
      this.#db.exec('DETACH DATABASE staging')
    }
  }

  /** The live (not soft-deleted) rows' hashes, in rowid order. */
  loadKnownRows(): KnownRows {
    const rowids: number[] = []
    const hashes: string[] = []
    const rows = this.#db.prepare(`SELECT rowid, "_hash" FROM ${this.#table} WHERE "_deleted_at" IS NULL ORDER BY rowid`).raw()
    for (const row of rows.iterate() as IterableIterator<[number, string]>) {
      rowids.push(row[0])
      hashes.push(row[1])
    }
    return { rowids, hashes }
  }

  /**
   * Removes the given rows unless this run rewrote them (their hash changed), hard or soft as configured.
   * Returns how many went.
   */
  removeStale(rows: readonly { rowid: number; hash: string }[], deletedAt: string): number {
    const statement =
      this.#source.delete === 'soft'
        ? this.#db.prepare(`UPDATE ${this.#table} SET "_deleted_at" = ? WHERE rowid = ? AND "_hash" = ? AND "_deleted_at" IS NULL`)
        : this.#db.prepare(`DELETE FROM ${this.#table} WHERE rowid = ? AND "_hash" = ?`)
    let removed = 0
    for (const row of rows) {
      removed += (this.#source.delete === 'soft' ? statement.run(deletedAt, row.rowid, row.hash) : statement.run(row.rowid, row.hash)).changes
    }
    return removed
  }

  /** Removes the live rows whose hash is not in `seenTable` (a table of `hash` values this run read). */
  removeUnseen(seenTable: string, deletedAt: string): number {
    const unseen = `"_deleted_at" IS NULL AND "_hash" NOT IN (SELECT hash FROM ${seenTable})`
    if (this.#source.delete === 'soft') {
      return this.#db.prepare(`UPDATE ${this.#table} SET "_deleted_at" = ? WHERE ${unseen}`).run(deletedAt).changes
    }
    return this.#db.prepare(`DELETE FROM ${this.#table} WHERE ${unseen}`).run().changes
  }
}
