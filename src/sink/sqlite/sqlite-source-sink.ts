import type { ResolvedColumn, ResolvedSource } from '../../config/resolve-config.js'
import type { RowValues } from '../../engine/record-mapper.js'
import { HashSet64 } from '../../util/hash-set64.js'
import type { LiveRowsTask } from '../../workers/transform-task.js'
import type { ChunkColumns, ChunkExtras, ChunkRows, RejectRecord, SourceEnd, SourceSink, WriteCounts, WriteResult } from '../sink.js'
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js'
import { isRowidKey, quoteIdent, type RowidRange, readLiveRows, splitRowids } from './sqlite-schema.js'
import { changeSchema, WIDEN_FUNCTION } from './sqlite-schema-record.js'

/** What a write counted, and the old hashes of the rows it left alone (see `WriteResult.kept`). */
type KeptCounts = Omit<WriteResult, 'ms'>

/** The sink's own tables, written in a source's transactions. */
export interface SqliteSyncTables {
  clearRejects(source: string): void
  addRejects(runId: number | undefined, source: string, rejects: readonly RejectRecord[]): void
  saveCheckpoint(source: string, checkpoint: NonNullable<ChunkExtras['checkpoint']>, runId: number | undefined): void
  clearCheckpoint(source: string): void
  savedLiveRows(source: string, table: string): HashSet64 | undefined
  writeLiveRows(set: HashSet64): string | undefined
  recordLiveRows(source: string, table: string, file: string, rows: number): void
  forgetLiveRows(of: { source: string; table: string }): void
  pruneLiveRows(): void
  recordSourceSynced(source: ResolvedSource, state: { contentHash: string; fingerprint: string; runId: number }): void
  /** Told after each chunk's transaction commits. */
  afterWrite(): void
}

/**
 * Writes one source's rows into its table. A row is inserted if its key is new, updated if a stored
 * value differs from the mapped one (or it was soft-deleted), and left alone otherwise, its `_hash`
 * too: a record that upstream only re-serialised writes nothing. The counts come from SQLite's own
 * `changes`, never from counting the table. Every method runs in the caller's transaction.
 */
export class SqliteSourceSink implements SourceSink {
  readonly #db: SqliteDatabase
  readonly #dbPath: string
  readonly #tables: SqliteSyncTables
  readonly #source: ResolvedSource
  readonly #table: string
  readonly #keyIndexes: number[]
  /** The table's columns as they stand: the source's, then those this run added. */
  readonly #columns: ResolvedColumn[]
  readonly #shapes = new Map<string, WriteShape>()
  readonly #displaced: Buffer[] = []
  #trackDisplaced = false
  readonly keepsLiveRows: boolean
  /** This run has written the table: the saved live rows no longer hold. */
  #written = false
  #saved: { set: HashSet64 | undefined } | undefined

  constructor(db: SqliteDatabase, dbPath: string, tables: SqliteSyncTables, source: ResolvedSource) {
    this.#db = db
    this.#dbPath = dbPath
    this.#tables = tables
    this.#source = source
    this.#table = quoteIdent(source.table)
    this.#keyIndexes = source.key.map((k) => source.columns.findIndex((c) => c.name === k))
    this.#columns = [...source.columns]
    this.keepsLiveRows = isRowidKey(source) && keyIsRowid(db, source)
  }

  /** Positions of the key columns among the mapped columns. */
  get keyIndexes(): readonly number[] {
    return this.#keyIndexes
  }

  /** True when the table holds a row that is not soft-deleted. */
  async hasLiveRows(): Promise<boolean> {
    return this.#db.prepare(`SELECT EXISTS (SELECT 1 FROM ${this.#table} WHERE "_deleted_at" IS NULL)`).pluck().get() === 1
  }
  trackDisplaced(): void {
    this.#trackDisplaced = true
  }

  displacedHashes(): readonly Buffer[] {
    return this.#displaced
  }

  /**
   * One chunk in one transaction: the columns it adds or widens, its rows, then its rejects and
   * checkpoint. It runs synchronously to the end, so chunks of sources merged side by side (parallel
   * mode) never interleave on the connection.
   */
  async writeChunk(rows: ChunkRows, extras: ChunkExtras): Promise<WriteResult> {
    const started = performance.now()
    const name = this.#source.name
    const withExtras = (write: () => KeptCounts) => (): KeptCounts => {
      this.#forgetLiveRows()
      if (extras.schema !== undefined) changeSchema(this.#db, this.#source, this.#columns, extras.schema, extras.runId)
      if (extras.clearRejects) this.#tables.clearRejects(name)
      const counts = write()
      this.#tables.addRejects(extras.runId, name, extras.rejects)
      if (extras.checkpoint !== undefined) this.#tables.saveCheckpoint(name, extras.checkpoint, extras.runId)
      return counts
    }
    const counts =
      rows.kind === 'rows'
        ? this.#db.transaction(withExtras(() => this.upsert(rows.rows, rows.hashes, rows.columns?.names)))()
        : this.mergeStaging(rows.path, (merge) => this.#db.transaction(withExtras(merge))(), rows.columns)
    this.#tables.afterWrite()
    return { ...counts, ms: performance.now() - started }
  }

  async finish(end: SourceEnd): Promise<{ deleted: number; ms: number }> {
    const started = performance.now()
    const name = this.#source.name
    const table = this.#source.table
    // The file first: the row naming it, committed with the rest, is what makes it count.
    const live = end.synced !== undefined && end.live !== undefined && this.keepsLiveRows ? end.live : undefined
    const liveFile = live === undefined ? undefined : this.#tables.writeLiveRows(live)
    try {
      const deleted = this.#db.transaction((): number => {
        this.#forgetLiveRows()
        const removed = end.remove === undefined ? 0 : this.removeRows(end.remove.rows, end.remove.deletedAt, end.remove.byRowid)
        if (end.clearRejects) this.#tables.clearRejects(name)
        this.#tables.addRejects(end.runId, name, end.rejects)
        if (end.synced !== undefined) {
          this.#tables.clearCheckpoint(name)
          this.#tables.recordSourceSynced(this.#source, { ...end.synced, runId: end.runId })
          if (live !== undefined && liveFile !== undefined) this.#tables.recordLiveRows(name, table, liveFile, live.size)
        }
        return removed
      })()
      return { deleted, ms: performance.now() - started }
    } finally {
      this.#tables.pruneLiveRows()
    }
  }

  async beginWholeFile(): Promise<void> {
    this.#db.exec('BEGIN')
  }

  async endWholeFile(commit: boolean): Promise<void> {
    if (this.#db.inTransaction) this.#db.exec(commit ? 'COMMIT' : 'ROLLBACK')
  }

  /**
   * Writes rows (values, then hash, per row) one by one, in the caller's transaction. `names`: the
   * columns of the values, where they are not the source's in order (inferred columns).
   */
  upsert(rows: readonly RowValues[], hashes: readonly Buffer[], names?: readonly string[]): KeptCounts {
    const shape = this.#shape(names)
    shape.insert ??= this.#db.prepare(`${this.#insertHead(shape)} VALUES (${new Array(shape.names.length + 1).fill('?').join(', ')})`)
    shape.update ??= this.#db.prepare(this.#updateByKeySql(shape))
    const insert = shape.insert
    const update = shape.update
    const counts: WriteCounts = { inserted: 0, updated: 0 }
    const kept: Buffer[] = []
    for (let i = 0; i < rows.length; i++) {
      const values = rows[i] as RowValues
      const hash = hashes[i] as Buffer
      if (insert.run(...values, hash).changes > 0) {
        counts.inserted++
        continue
      }
      const keys = shape.keyIndexes.map((at) => values[at])
      const mapped = shape.valueIndexes.map((at) => values[at])
      shape.oldHash ??= this.#db.prepare(`SELECT "_hash" FROM ${this.#table} WHERE ${this.#keyWhere(shape)}`).pluck()
      const old = this.#trackDisplaced ? shape.oldHash.get(...keys) : undefined
      const moved = Buffer.isBuffer(old) && !old.equals(hash)
      if (update.run(...mapped, hash, ...keys, ...mapped).changes > 0) {
        counts.updated++
        if (moved) this.#displaced.push(old)
      } else if (moved) kept.push(old)
    }
    return { ...counts, kept: Buffer.concat(kept) }
  }

  /**
   * Writes every row of a worker's staging file: one `UPDATE … FROM` for the keys that exist, one
   * `INSERT … SELECT` for the new ones, in one transaction of their own (SQLite cannot ATTACH inside one),
   * which `transact` opens: the caller adds its own writes (rejects, a checkpoint, columns to add) to it.
   * The statements are made inside it, after any column they name was added.
   */
  mergeStaging(path: string, transact: (merge: () => KeptCounts) => KeptCounts, columns?: ChunkColumns): KeptCounts {
    this.#db.prepare('ATTACH DATABASE ? AS staging').run(path)
    try {
      return transact(() => {
        const shape = this.#shape(columns?.names)
        const staged = stagedValues(shape, columns)
        const join = this.#stagedJoin(shape, staged)
        const changed = this.#changedSql(shape, 't.', (i) => staged[i] as string)
        const update = this.#db.prepare(
          `UPDATE ${this.#table} AS t SET ${shape.valueIndexes.map((i) => `${quoteIdent(shape.names[i] as string)} = ${staged[i]}`).join(', ')}` +
            `${shape.valueIndexes.length > 0 ? ', ' : ''}"_hash" = s."_hash", "_deleted_at" = NULL FROM staging.rows AS s ` +
            `WHERE ${join} AND (${changed})`,
        )
        const insert = this.#db.prepare(`${this.#insertHead(shape)} SELECT ${[...staged, 's."_hash"'].join(', ')} FROM staging.rows AS s ORDER BY s.rowid`)
        // One pass over the matched rows tells the rows the update rewrites, those it leaves alone, and
        // whether the update and the insert have anything to do: a re-sync of re-serialised records then
        // costs one join, not three.
        const old = this.#trackDisplaced
          ? this.#db.prepare(
              `SELECT count(*) AS matched, count(CASE WHEN ${changed} THEN 1 END) AS changing, (SELECT count(*) FROM staging.rows) AS staged, ` +
                `CAST(group_concat(CASE WHEN (${changed}) AND t."_hash" IS NOT s."_hash" THEN t."_hash" END, '') AS BLOB) AS displaced, ` +
                `CAST(group_concat(CASE WHEN ${changed} THEN NULL WHEN t."_hash" IS NOT s."_hash" THEN t."_hash" END, '') AS BLOB) AS kept ` +
                `FROM ${this.#table} AS t JOIN staging.rows AS s ON ${join}`,
            )
          : undefined
        const before = old?.get() as { matched: number; changing: number; staged: number; displaced: unknown; kept: unknown } | undefined
        if (Buffer.isBuffer(before?.displaced))
          for (let at = 0; at < before.displaced.length; at += 8) this.#displaced.push(before.displaced.subarray(at, at + 8))
        const updated = before === undefined || before.changing > 0 ? update.run().changes : 0
        const inserted = before === undefined || before.matched < before.staged ? insert.run().changes : 0
        return { updated, inserted, kept: Buffer.isBuffer(before?.kept) ? before.kept : Buffer.alloc(0) }
      })
    } finally {
      this.#db.exec('DETACH DATABASE staging')
    }
  }

  async keptHashes(rows: ChunkRows): Promise<Buffer> {
    const shape = this.#shape(rows.columns?.names)
    if (rows.kind === 'rows') {
      const keep = this.#db
        .prepare(`SELECT "_hash" FROM ${this.#table} WHERE ${this.#keyWhere(shape)} AND "_hash" IS NOT ? AND NOT (${this.#changedSql(shape, '', () => '?')})`)
        .pluck()
      const kept: Buffer[] = []
      for (let i = 0; i < rows.rows.length; i++) {
        const values = rows.rows[i] as RowValues
        const old = keep.get(...shape.keyIndexes.map((at) => values[at]), rows.hashes[i], ...shape.valueIndexes.map((at) => values[at]))
        if (Buffer.isBuffer(old)) kept.push(old)
      }
      return Buffer.concat(kept)
    }
    this.#db.prepare('ATTACH DATABASE ? AS staging').run(rows.path)
    try {
      const staged = stagedValues(shape, rows.columns)
      const kept = this.#db
        .prepare(
          `SELECT CAST(group_concat(t."_hash", '') AS BLOB) FROM ${this.#table} AS t JOIN staging.rows AS s ON ${this.#stagedJoin(shape, staged)} ` +
            `WHERE t."_hash" IS NOT s."_hash" AND NOT (${this.#changedSql(shape, 't.', (i) => staged[i] as string)})`,
        )
        .pluck()
        .get()
      return Buffer.isBuffer(kept) ? kept : Buffer.alloc(0)
    } finally {
      this.#db.exec('DETACH DATABASE staging')
    }
  }

  /**
   * The live rows' hashes as a set, read from the covering index as one packed buffer; in shared memory
   * when worker threads are to look records up in it and mark them seen.
   */
  async loadLiveHashes(options: { shared?: boolean } = {}): Promise<HashSet64> {
    return this.#savedLiveRows() ?? HashSet64.fromPacked(readLiveRows(this.#db, this.#source.table), options)
  }

  /**
   * Tasks that read the live rows on worker threads, a rowid range each when `parts` > 1; none when the
   * last sync saved them (`loadLiveHashes` reads them in a moment).
   */
  liveRowTasks(parts: number): LiveRowsTask[] | undefined {
    if (this.#savedLiveRows() !== undefined) return undefined
    const ranges: RowidRange[] = parts > 1 ? splitRowids(this.#db, this.#source.table, parts) : [{}]
    return ranges.map((range) => ({ dbPath: this.#dbPath, table: this.#source.table, range }))
  }

  /**
   * Removes these live rows, hard or soft as configured, by rowid. Unless `byRowid`, a row whose hash is
   * not the one given (this run rewrote it) is not touched.
   */
  removeRows(rows: readonly { hash: Buffer; rowid: bigint }[], deletedAt: string, byRowid = false): number {
    const live = `rowid = ?${byRowid ? '' : ' AND "_hash" = ?'} AND "_deleted_at" IS NULL`
    const soft = this.#source.delete === 'soft'
    const statement = soft
      ? this.#db.prepare(`UPDATE ${this.#table} SET "_deleted_at" = ? WHERE ${live}`)
      : this.#db.prepare(`DELETE FROM ${this.#table} WHERE ${live}`)
    let removed = 0
    for (const { hash, rowid } of rows) {
      const params: unknown[] = soft ? [deletedAt, rowid] : [rowid]
      if (!byRowid) params.push(hash)
      removed += statement.run(...params).changes
    }
    return removed
  }

  /**
   * The saved live rows, read once, unless this run has written the table since (they no longer hold
   * then); undefined when there are none, or their file is gone or not whole (the table is read then).
   */
  #savedLiveRows(): HashSet64 | undefined {
    if (!this.keepsLiveRows || this.#written) return undefined
    if (this.#saved === undefined) this.#saved = { set: this.#tables.savedLiveRows(this.#source.name, this.#source.table) }
    return this.#saved.set
  }

  /** In every write's transaction (a key lookup): whichever of them commits, the saved rows go with it. */
  #forgetLiveRows(): void {
    this.#tables.forgetLiveRows({ source: this.#source.name, table: this.#source.table })
    this.#written = true
  }

  /** The statements' shape for values of these columns (the source's, in order, when not named). */
  #shape(names: readonly string[] | undefined): WriteShape {
    const columns = names ?? this.#source.columns.map((c) => c.name)
    const id = columns.join(',')
    let shape = this.#shapes.get(id)
    if (shape === undefined) {
      const keyIndexes = this.#source.key.map((k) => columns.indexOf(k))
      const valueIndexes = columns.flatMap((name, i) => (this.#source.key.includes(name) ? [] : [i]))
      shape = { names: columns, keyIndexes, valueIndexes, insert: undefined, update: undefined, oldHash: undefined }
      this.#shapes.set(id, shape)
    }
    return shape
  }

  #keyWhere(shape: WriteShape): string {
    return shape.keyIndexes.map((i) => `${quoteIdent(shape.names[i] as string)} = ?`).join(' AND ')
  }

  /** The join of a staging file's rows (`s`, as `staged` reads them) to the table's (`t`) on the key. */
  #stagedJoin(shape: WriteShape, staged: readonly string[]): string {
    return shape.keyIndexes.map((i) => `t.${quoteIdent(shape.names[i] as string)} = ${staged[i]}`).join(' AND ')
  }

  /**
   * True for a row a write must touch: soft-deleted (it comes back), or a stored value other than the
   * mapped one. Mapped values already have their column's type (a staged one gets no affinity when
   * compared), and `IS NOT` takes two NULLs as equal.
   */
  #changedSql(shape: WriteShape, prefix: string, mapped: (at: number) => string): string {
    const differs = shape.valueIndexes.map((i) => `${prefix}${quoteIdent(shape.names[i] as string)} IS NOT ${mapped(i)}`)
    return [`${prefix}"_deleted_at" IS NOT NULL`, ...differs].join(' OR ')
  }

  #insertHead(shape: WriteShape): string {
    return `INSERT OR IGNORE INTO ${this.#table} (${[...shape.names.map(quoteIdent), '"_hash"'].join(', ')})`
  }

  #updateByKeySql(shape: WriteShape): string {
    const set = [...shape.valueIndexes.map((i) => `${quoteIdent(shape.names[i] as string)} = ?`), '"_hash" = ?', '"_deleted_at" = NULL']
    const where = shape.keyIndexes.map((i) => `${quoteIdent(shape.names[i] as string)} = ?`)
    where.push(`(${this.#changedSql(shape, '', () => '?')})`)
    return `UPDATE ${this.#table} SET ${set.join(', ')} WHERE ${where.join(' AND ')}`
  }
}

/** The statements that write values of one list of columns, made on first use. */
interface WriteShape {
  readonly names: readonly string[]
  readonly keyIndexes: readonly number[]
  readonly valueIndexes: readonly number[]
  insert: SqliteStatement | undefined
  update: SqliteStatement | undefined
  oldHash: SqliteStatement | undefined
}

/** A staging file's values as the table takes them: converted where the column is wider now. */
function stagedValues(shape: WriteShape, columns: ChunkColumns | undefined): string[] {
  return shape.names.map((_, i) => {
    const convert = columns?.convert[i]
    return convert === undefined ? `s.c${i}` : `${WIDEN_FUNCTION}(s.c${i}, '${convert.from}', '${convert.to}')`
  })
}

/**
 * True when the table as it is (not only as configured: it may predate a change of the key's type) has
 * the source's one key column as its rowid: declared `INTEGER` and the whole primary key.
 */
function keyIsRowid(db: SqliteDatabase, source: ResolvedSource): boolean {
  const keys = (db.prepare('SELECT name, type FROM pragma_table_info(?) WHERE pk > 0').all(source.table) as { name: string; type: string }[]) ?? []
  return keys.length === 1 && keys[0]?.name === source.key[0] && keys[0]?.type.toUpperCase() === 'INTEGER'
}
