import type { ResolvedSource } from '../config/resolve-config.js'
import type { RowValues } from '../engine/record-mapper.js'
import { HashSet64 } from '../util/hash-set64.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'
import { quoteIdent, type RowidRange, readLiveRows, splitRowids } from './sqlite-schema.js'

export interface WriteCounts {
  inserted: number
  updated: number
}

export interface SourceWriterOptions {
  /** Rewrite rows even when their hash is unchanged (the mapping changed since they were written). */
  rewrite: boolean
}

/**
 * Writes one source's rows into its table. A row is inserted if its key is new, updated if its hash
 * differs (or it was soft-deleted), and left alone otherwise; the counts come from SQLite's own
 * `changes`, never from counting the table. Every method runs in the caller's transaction.
 */
export class SourceWriter {
  readonly #db: SqliteDatabase
  readonly #source: ResolvedSource
  readonly #table: string
  readonly #rewrite: boolean
  readonly #keyIndexes: number[]
  readonly #valueIndexes: number[]
  #insert: SqliteStatement | undefined
  #update: SqliteStatement | undefined
  #oldHash: SqliteStatement | undefined
  /** The hashes that rows had before this run rewrote them, once `trackDisplaced` is on. */
  readonly displaced: Buffer[] = []
  /** Worth its lookups only when the table had live rows that records could match. */
  trackDisplaced = false

  constructor(db: SqliteDatabase, source: ResolvedSource, options: SourceWriterOptions = { rewrite: false }) {
    this.#db = db
    this.#source = source
    this.#table = quoteIdent(source.table)
    this.#rewrite = options.rewrite
    this.#keyIndexes = source.key.map((k) => source.columns.findIndex((c) => c.name === k))
    this.#valueIndexes = source.columns.flatMap((c, i) => (source.key.includes(c.name) ? [] : [i]))
  }

  /** Positions of the key columns among the mapped columns. */
  get keyIndexes(): readonly number[] {
    return this.#keyIndexes
  }

  /** True when the table holds a row that is not soft-deleted. */
  hasLiveRows(): boolean {
    return this.#db.prepare(`SELECT EXISTS (SELECT 1 FROM ${this.#table} WHERE "_deleted_at" IS NULL)`).pluck().get() === 1
  }

  /** Writes rows (values, then hash, per row) one by one. */
  upsert(rows: readonly RowValues[], hashes: readonly Buffer[]): WriteCounts {
    this.#insert ??= this.#db.prepare(`${this.#insertHead()} VALUES (${new Array(this.#source.columns.length + 1).fill('?').join(', ')})`)
    this.#update ??= this.#db.prepare(this.#updateByKeySql())
    const insert = this.#insert
    const update = this.#update
    const counts: WriteCounts = { inserted: 0, updated: 0 }
    for (let i = 0; i < rows.length; i++) {
      const values = rows[i] as RowValues
      const hash = hashes[i] as Buffer
      if (insert.run(...values, hash).changes > 0) {
        counts.inserted++
        continue
      }
      const keys = this.#keyIndexes.map((at) => values[at])
      const params: unknown[] = this.#valueIndexes.map((at) => values[at])
      params.push(hash, ...keys)
      if (!this.#rewrite) params.push(hash)
      this.#oldHash ??= this.#db.prepare(`SELECT "_hash" FROM ${this.#table} WHERE ${this.#keyWhere()}`).pluck()
      const old = this.trackDisplaced ? this.#oldHash.get(...keys) : undefined
      if (update.run(...params).changes > 0) {
        counts.updated++
        if (Buffer.isBuffer(old)) this.displaced.push(old)
      }
    }
    return counts
  }

  /**
   * Writes every row of a worker's staging file: one `UPDATE … FROM` for the keys that exist, one
   * `INSERT … SELECT` for the new ones, in one transaction of their own (SQLite cannot ATTACH inside one),
   * which `transact` opens: the caller adds its own writes (rejects, a checkpoint) to it.
   */
  mergeStaging(path: string, transact: (merge: () => WriteCounts) => WriteCounts = (merge) => this.#db.transaction(merge)()): WriteCounts {
    this.#db.prepare('ATTACH DATABASE ? AS staging').run(path)
    try {
      const columns = this.#source.columns
      const staged = columns.map((_, i) => `c${i}`)
      const update = this.#db.prepare(
        `UPDATE ${this.#table} AS t SET ${this.#valueIndexes.map((i) => `${quoteIdent((columns[i] as { name: string }).name)} = s.c${i}`).join(', ')}` +
          `${this.#valueIndexes.length > 0 ? ', ' : ''}"_hash" = s."_hash", "_deleted_at" = NULL FROM staging.rows AS s ` +
          `WHERE ${this.#keyIndexes.map((i) => `t.${quoteIdent((columns[i] as { name: string }).name)} = s.c${i}`).join(' AND ')}` +
          (this.#rewrite ? '' : ' AND (t."_hash" IS NOT s."_hash" OR t."_deleted_at" IS NOT NULL)'),
      )
      const insert = this.#db.prepare(`${this.#insertHead()} SELECT ${[...staged, '"_hash"'].join(', ')} FROM staging.rows ORDER BY rowid`)
      const join = this.#keyIndexes.map((i) => `t.${quoteIdent((columns[i] as { name: string }).name)} = s.c${i}`).join(' AND ')
      const old = this.#db.prepare(`SELECT t."_hash" FROM ${this.#table} AS t JOIN staging.rows AS s ON ${join} WHERE t."_hash" IS NOT s."_hash"`).pluck()
      return transact(() => {
        if (this.trackDisplaced) for (const hash of old.iterate()) if (Buffer.isBuffer(hash)) this.displaced.push(hash)
        const updated = update.run().changes
        return { updated, inserted: insert.run().changes }
      })
    } finally {
      this.#db.exec('DETACH DATABASE staging')
    }
  }

  /**
   * The live rows' hashes as a set, read from the covering index as one packed buffer; in shared memory
   * when worker threads are to look records up in it and mark them seen.
   */
  loadLiveHashes(options: { shared?: boolean } = {}): HashSet64 {
    return HashSet64.fromPacked(readLiveRows(this.#db, this.#source.table), options)
  }

  /** The table's rowids cut into `parts` ranges, for reading its live rows on several threads. */
  splitRowids(parts: number): RowidRange[] {
    return splitRowids(this.#db, this.#source.table, parts)
  }

  /**
   * Removes these live rows, hard or soft as configured, by rowid. A row this run rewrote has a new hash
   * and is not touched.
   */
  removeRows(rows: readonly { hash: Buffer; rowid: bigint }[], deletedAt: string): number {
    const live = `rowid = ? AND "_hash" = ? AND "_deleted_at" IS NULL`
    const soft = this.#source.delete === 'soft'
    const statement = soft
      ? this.#db.prepare(`UPDATE ${this.#table} SET "_deleted_at" = ? WHERE ${live}`)
      : this.#db.prepare(`DELETE FROM ${this.#table} WHERE ${live}`)
    let removed = 0
    for (const { hash, rowid } of rows) removed += (soft ? statement.run(deletedAt, rowid, hash) : statement.run(rowid, hash)).changes
    return removed
  }

  #keyWhere(): string {
    return this.#keyIndexes.map((i) => `${quoteIdent((this.#source.columns[i] as { name: string }).name)} = ?`).join(' AND ')
  }

  #insertHead(): string {
    return `INSERT OR IGNORE INTO ${this.#table} (${[...this.#source.columns.map((c) => quoteIdent(c.name)), '"_hash"'].join(', ')})`
  }

  #updateByKeySql(): string {
    const columns = this.#source.columns
    const set = [...this.#valueIndexes.map((i) => `${quoteIdent((columns[i] as { name: string }).name)} = ?`), '"_hash" = ?', '"_deleted_at" = NULL']
    const where = this.#keyIndexes.map((i) => `${quoteIdent((columns[i] as { name: string }).name)} = ?`)
    if (!this.#rewrite) where.push('("_hash" IS NOT ? OR "_deleted_at" IS NOT NULL)')
    return `UPDATE ${this.#table} SET ${set.join(', ')} WHERE ${where.join(' AND ')}`
  }
}
