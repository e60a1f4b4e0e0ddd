import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { ResolvedColumn, ResolvedSource } from '../../config/resolve-config.js'
import type { RowValues } from '../../engine/record-mapper.js'
import { HashSet64 } from '../../util/hash-set64.js'
import type { ChunkColumns, ChunkExtras, ChunkRows, SourceEnd, SourceSink, WriteResult } from '../sink.js'
import { BinaryCopyHashes, tidOf } from './binary-copy-hashes.js'
import { copyText } from './copy-text.js'
import type { PgClient } from './pg-driver.js'
import { pgIdent, pgType } from './pg-schema.js'
import { pgChangeSchema, pgFieldType, pgWiden } from './pg-schema-record.js'
import type { HeldTransaction, PgSession } from './pg-session.js'

type Query = PgClient['query']

/** What a write counted, and the old hashes of the rows it left alone (see `WriteResult.kept`). */
type KeptCounts = Omit<WriteResult, 'ms'>

/** PostgreSQL's SQLSTATE for a duplicate key. */
const UNIQUE_VIOLATION = '23505'

/** The sink's own tables, written in a source's transactions. */
export interface PgSyncTables {
  writeExtras(query: Query, source: string, extras: ChunkExtras): Promise<void>
  writeEnd(query: Query, source: ResolvedSource, end: SourceEnd): Promise<void>
}

/** A staging table per target table and session, emptied at each commit: no catalog churn per chunk. */
function stageName(table: string): string {
  return pgIdent(`cachesync_stage_${table}`.slice(0, 63))
}

/**
 * One source's table in PostgreSQL. A chunk is COPYed into a temporary staging table, then merged with
 * one `INSERT … SELECT … ON CONFLICT (key) DO UPDATE … WHERE` a stored value differs (or the row was
 * soft-deleted), whose `RETURNING (xmax = 0)` tells inserts from updates; a row whose values are equal
 * is not touched, its `_hash` neither. Its rejects and checkpoint go in the same transaction.
 */
export class PgSourceSink implements SourceSink {
  readonly #session: PgSession
  readonly #tables: PgSyncTables
  readonly #source: ResolvedSource
  readonly #table: string
  readonly #rewrite: boolean
  readonly #keyIndexes: number[]
  readonly #schema: string
  /** The table's columns as they stand: the source's, then those this run added. */
  readonly #columns: ResolvedColumn[]
  readonly #stage: string
  #held: HeldTransaction | undefined
  /** COPY straight into the table: it was empty when this run first wrote it, and no key has collided since. */
  #direct: boolean | undefined
  readonly #displaced: Buffer[] = []
  #trackDisplaced = false
  /** Whether the table's planner statistics were looked at (`#analyzeIfStale`). */
  #statsChecked = false
  /** The live hashes are read from the table each time: one binary COPY (`loadLiveHashes`). */
  readonly keepsLiveRows = false

  constructor(session: PgSession, tables: PgSyncTables, schema: string, source: ResolvedSource, options: { rewrite: boolean }) {
    this.#session = session
    this.#tables = tables
    this.#source = source
    this.#table = `${pgIdent(schema)}.${pgIdent(source.table)}`
    this.#rewrite = options.rewrite
    this.#keyIndexes = source.key.map((k) => source.columns.findIndex((c) => c.name === k))
    this.#schema = schema
    this.#columns = [...source.columns]
    this.#stage = stageName(source.table)
  }

  get keyIndexes(): readonly number[] {
    return this.#keyIndexes
  }

  /** Workers cannot open a server database: the coordinator reads the snapshot (`loadLiveHashes`). */
  liveRowTasks(): undefined {
    return undefined
  }

  async hasLiveRows(): Promise<boolean> {
    const { rows } = await this.#session.query<{ live: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${this.#table} WHERE "_deleted_at" IS NULL) AS live`)
    return rows[0]?.live === true
  }
  trackDisplaced(): void {
    this.#trackDisplaced = true
  }

  displacedHashes(): readonly Buffer[] {
    return this.#displaced
  }

  /**
   * Every live hash with its row's ctid, streamed by a binary COPY (see `BinaryCopyHashes`): under half
   * the time of one bytea aggregate of the hashes, which the server built whole and sent as hex.
   */
  async loadLiveHashes(options: { shared?: boolean } = {}): Promise<HashSet64> {
    const hashes = new BinaryCopyHashes()
    await this.#session.withClient((client) =>
      client.copyTo(`COPY (SELECT "_hash", ctid FROM ${this.#table} WHERE "_deleted_at" IS NULL) TO STDOUT (FORMAT binary)`, (piece) => hashes.push(piece)),
    )
    return HashSet64.fromPacked(hashes.packed(), options)
  }

  async writeChunk(rows: ChunkRows, extras: ChunkExtras): Promise<WriteResult> {
    const started = performance.now()
    const unit = async (query: Query, client: PgClient): Promise<KeptCounts> => {
      if (extras.schema !== undefined) await pgChangeSchema(query, this.#schema, this.#source, this.#columns, extras.schema, extras.runId)
      const counts = await this.#merge(query, client, rows)
      await this.#tables.writeExtras(query, this.#source.name, extras)
      return counts
    }
    const counts = this.#held === undefined ? await this.#session.transaction(unit) : await this.#held.run(unit)
    return { ...counts, ms: performance.now() - started }
  }

  async finish(end: SourceEnd): Promise<{ deleted: number; ms: number }> {
    const started = performance.now()
    const deleted = await this.#session.transaction(async (query) => {
      const removed = end.remove === undefined ? 0 : await this.#remove(query, end.remove)
      await this.#tables.writeEnd(query, this.#source, end)
      return removed
    })
    return { deleted, ms: performance.now() - started }
  }

  async beginWholeFile(): Promise<void> {
    this.#held = await this.#session.hold()
  }

  async endWholeFile(commit: boolean): Promise<void> {
    const held = this.#held
    this.#held = undefined
    await held?.end(commit)
  }

  async keptHashes(rows: ChunkRows): Promise<Buffer> {
    if (rows.kind === 'rows' && rows.rows.length === 0) return Buffer.alloc(0)
    const unit = async (query: Query, client: PgClient): Promise<Buffer> => {
      const shape = this.#shape(rows.columns)
      const stage = await this.#copyToStage(query, client, shape, this.#copyText(rows, shape).text)
      const { rows: found } = await query<{ kept: Buffer | null }>(
        `SELECT string_agg(t."_hash", ''::bytea) AS kept ${this.#stagedJoin(stage)} WHERE t."_hash" IS DISTINCT FROM s."_hash" AND NOT (${this.#changedSql(shape, (i) => shape.selected[i] as string)})`,
      )
      if (this.#held !== undefined) await query(`DELETE FROM ${stage}`)
      return found[0]?.kept ?? Buffer.alloc(0)
    }
    return this.#held === undefined ? this.#session.transaction(unit) : this.#held.run(unit)
  }

  async #merge(query: Query, client: PgClient, chunk: ChunkRows): Promise<KeptCounts> {
    if (chunk.kind === 'rows' && chunk.rows.length === 0) return { inserted: 0, updated: 0, kept: Buffer.alloc(0) }
    const shape = this.#shape(chunk.columns)
    const staged = [...shape.columns, '"_hash"']
    const { text, extraUpdates } = this.#copyText(chunk, shape)
    this.#direct ??= !this.#rewrite && (await this.#isEmpty(query))
    if (this.#direct && !shape.converting) {
      const copied = await this.#copyDirect(query, client, staged, text)
      if (copied !== undefined) return { inserted: copied, updated: extraUpdates, kept: Buffer.alloc(0) }
    }
    const stage = await this.#copyToStage(query, client, shape, text)
    const keys = this.#source.key.map(pgIdent)
    const fromStage = (i: number): string => shape.selected[i] as string
    let kept: Buffer = Buffer.alloc(0)
    let idle = false
    if (this.#trackDisplaced) {
      // One pass over the matched rows tells the rows the upsert rewrites, those it leaves alone, and
      // whether it has anything to do.
      const changed = this.#changedSql(shape, fromStage)
      const { rows } = await query<{ matched: string; changing: string; staged: string; displaced: Buffer | null; kept: Buffer | null }>(
        `SELECT count(*) AS matched, count(*) FILTER (WHERE ${changed}) AS changing, (SELECT count(*) FROM ${stage}) AS staged,
           string_agg(t."_hash", ''::bytea) FILTER (WHERE (${changed}) AND t."_hash" IS DISTINCT FROM s."_hash") AS displaced,
           string_agg(t."_hash", ''::bytea) FILTER (WHERE NOT (${changed}) AND t."_hash" IS DISTINCT FROM s."_hash") AS kept
         ${this.#stagedJoin(stage)}`,
      )
      const found = rows[0]
      const displaced = found?.displaced ?? Buffer.alloc(0)
      for (let at = 0; at < displaced.length; at += 8) this.#displaced.push(displaced.subarray(at, at + 8))
      kept = found?.kept ?? kept
      idle = found !== undefined && Number(found.changing) === 0 && Number(found.matched) === Number(found.staged)
    }
    let counts = { inserted: 0, updated: 0 }
    if (!idle) {
      const values = shape.valueIndexes.map((i) => shape.columns[i] as string)
      const set = [...values.map((c) => `${c} = EXCLUDED.${c}`), '"_hash" = EXCLUDED."_hash"', '"_deleted_at" = NULL']
      // Rows whose values are equal are left out before the upsert: DO UPDATE … WHERE false would still
      // lock each of them, a write to its page and to the WAL.
      const equal = `SELECT 1 FROM ${this.#table} AS t WHERE ${keys.map((k) => `t.${k} = s.${k}`).join(' AND ')} AND NOT (${this.#changedSql(shape, fromStage)})`
      const { rows } = await query<{ inserted: string; updated: string }>(
        `WITH w AS (INSERT INTO ${this.#table} AS t (${staged.join(', ')}) SELECT ${[...shape.selected, 's."_hash"'].join(', ')} FROM ${stage} AS s WHERE NOT EXISTS (${equal})
           ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${set.join(', ')} WHERE ${this.#changedSql(shape, (i) => `EXCLUDED.${shape.columns[i]}`)} RETURNING (xmax = 0) AS fresh)
         SELECT count(*) FILTER (WHERE fresh) AS inserted, count(*) FILTER (WHERE NOT fresh) AS updated FROM w`,
      )
      counts = { inserted: Number(rows[0]?.inserted ?? 0), updated: Number(rows[0]?.updated ?? 0) }
    }
    // Chunks of a JSON document share one transaction: the next must start from an empty stage too.
    if (this.#held !== undefined) await query(`DELETE FROM ${stage}`)
    return { inserted: counts.inserted, updated: counts.updated + extraUpdates, kept }
  }

  /** A chunk as COPY text, one row a key (see `#lastOfEachKey`). */
  #copyText(chunk: ChunkRows, shape: PgShape): { text: () => Iterable<string> | AsyncIterable<string | Buffer>; extraUpdates: number } {
    if (chunk.kind === 'rows') {
      const deduped = this.#lastOfEachKey(chunk.rows, chunk.hashes, shape)
      return { text: () => copyText(deduped.rows), extraUpdates: deduped.extraUpdates }
    }
    // A worker's COPY text goes to the server as it is; a SQLite staging file is read row by row.
    const path = chunk.path
    return { text: () => (path.endsWith('.copy') ? createReadStream(path) : stagingFileText(path)), extraUpdates: 0 }
  }

  /**
   * The chunk COPYed into its staging table. The planner must know both sides of the join on the key,
   * else it hashes the whole table for every chunk (see `#analyzeIfStale`): a staging table made just
   * now is analyzed once filled. Its statistics outlast the commit that empties it, and the planner
   * scales them to the pages it holds, so later chunks of any size are estimated right.
   */
  async #copyToStage(query: Query, client: PgClient, shape: PgShape, text: () => Iterable<string> | AsyncIterable<string | Buffer>): Promise<string> {
    await this.#analyzeIfStale(query)
    const staged = [...shape.columns, '"_hash"']
    const { stage, made } = await this.#stageFor(query, shape)
    await client.copyFrom(`COPY ${stage} (${staged.join(', ')}) FROM STDIN`, text())
    if (made) await analyzeSample(query, stage, this.#source.key.map(pgIdent))
    return stage
  }

  /**
   * Once a source, before its first staged merge: analyze the columns the merge joins and filters on
   * (the key, `_deleted_at`) when the table's statistics are missing (never analyzed: a first sync, or
   * one killed before the ANALYZE at its end) or describe a table less than half its size. Without them
   * the planner takes `_deleted_at IS NULL` to match one row in 200 and hashes the whole table to join a
   * chunk of 100, for every chunk: a resumed first sync took 4 to 5 times as long as an uninterrupted one.
   * Autovacuum comes too late, and never to the staging table. A table this role does not own is left
   * as it is (PostgreSQL warns and skips it).
   */
  async #analyzeIfStale(query: Query): Promise<void> {
    if (this.#statsChecked) return
    this.#statsChecked = true
    const { rows } = await query<{ stale: boolean }>(
      `SELECT c.reltuples < 0 OR coalesce(s.n_mod_since_analyze, 0) > c.reltuples AS stale
         FROM pg_class AS c LEFT JOIN pg_stat_user_tables AS s ON s.relid = c.oid WHERE c.oid = $1::regclass`,
      [this.#table],
    )
    if (rows[0]?.stale === true) await analyzeSample(query, this.#table, [...this.#source.key.map(pgIdent), '"_deleted_at"'])
  }

  /**
   * The staging table for a chunk's shape, emptied at each commit, and whether it was made just now. A
   * source with configured columns has one, shaped like its table; a source with inferred columns one
   * per shape of its chunks (their columns, and the types their values were staged as); each made once
   * per session.
   */
  async #stageFor(query: Query, shape: PgShape): Promise<{ stage: string; made: boolean }> {
    const stage = this.#source.open === undefined ? this.#stage : pgIdent(`cachesync_stage_${shapeId(shape)}`)
    const { rows } = await query<{ there: boolean }>('SELECT to_regclass($1) IS NOT NULL AS there', [`pg_temp.${stage}`])
    if (rows[0]?.there === true) return { stage, made: false }
    if (this.#source.open === undefined) {
      const staged = [...shape.columns, '"_hash"']
      await query(`CREATE TEMP TABLE ${stage} ON COMMIT DELETE ROWS AS SELECT ${staged.join(', ')} FROM ${this.#table} WITH NO DATA`)
    } else {
      const columns = [...shape.columns.map((c, i) => `${c} ${shape.stagedTypes[i]}`), '"_hash" bytea']
      await query(`CREATE TEMP TABLE ${stage} (${columns.join(', ')}) ON COMMIT DELETE ROWS`)
    }
    return { stage, made: true }
  }

  /** `FROM` the table (`t`) joined to the staged rows (`s`) on the key. */
  #stagedJoin(stage: string): string {
    return `FROM ${this.#table} AS t JOIN ${stage} AS s USING (${this.#source.key.map(pgIdent).join(', ')})`
  }

  /**
   * True for a row (`t`) a write of the mapped values must touch: soft-deleted (it comes back), or a
   * stored value other than the mapped one. `json` has no equality: its text is compared.
   */
  #changedSql(shape: PgShape, mapped: (at: number) => string): string {
    if (shape.valueIndexes.length === 0) return 't."_deleted_at" IS NOT NULL'
    const text = (expr: string, i: number): string => (shape.json[i] ? `(${expr})::text` : expr)
    const stored = shape.valueIndexes.map((i) => text(`t.${shape.columns[i]}`, i))
    const given = shape.valueIndexes.map((i) => text(mapped(i), i))
    return `t."_deleted_at" IS NOT NULL OR (${stored.join(', ')}) IS DISTINCT FROM (${given.join(', ')})`
  }

  /** How a chunk's values meet the table: their columns, the key among them, and how each is read from the stage. */
  #shape(chunk: ChunkColumns | undefined): PgShape {
    const names = chunk?.names ?? this.#source.columns.map((c) => c.name)
    const convert = chunk?.convert ?? []
    const columns = names.map(pgIdent)
    const types = names.map((name) => this.#columns.find((c) => c.name === name))
    return {
      names,
      columns,
      valueIndexes: names.flatMap((name, i) => (this.#source.key.includes(name) ? [] : [i])),
      keyIndexes: this.#source.key.map((k) => names.indexOf(k)),
      selected: columns.map((c, i) => {
        const w = convert[i]
        return w === undefined ? `s.${c}` : pgWiden(`s.${c}`, w.from, w.to)
      }),
      stagedTypes: names.map((_, i) => {
        const w = convert[i]
        const column = types[i]
        return w !== undefined ? pgFieldType(w.from) : column === undefined ? 'text' : pgType(column)
      }),
      json: types.map((c) => c?.type === 'json'),
      converting: convert.some((c) => c !== undefined),
    }
  }

  async #isEmpty(query: Query): Promise<boolean> {
    const { rows } = await query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${this.#table}) AS empty`)
    return rows[0]?.empty === true
  }

  /**
   * A table that held no row when this run began takes the rows as the server's own bulk load does, with
   * no staging table and no upsert: every row is an insert. A key met again (the same key in two ranges
   * of the file, or a row another writer added) breaks the primary key; the chunk is then undone to its
   * savepoint and merged the staged way, as is every later chunk of the source. Undefined then.
   */
  async #copyDirect(
    query: Query,
    client: PgClient,
    columns: readonly string[],
    text: () => Iterable<string> | AsyncIterable<string | Buffer>,
  ): Promise<number | undefined> {
    await query('SAVEPOINT cachesync_direct')
    try {
      const copied = await client.copyFrom(`COPY ${this.#table} (${columns.join(', ')}) FROM STDIN`, text())
      await query('RELEASE SAVEPOINT cachesync_direct')
      return copied
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err
      await query('ROLLBACK TO SAVEPOINT cachesync_direct')
      this.#direct = false
      return undefined
    }
  }

  /**
   * One statement cannot touch a row twice, so a key repeated in a chunk keeps its last row; each
   * earlier occurrence whose values differ from the next counts as the update a row-by-row upsert makes.
   */
  #lastOfEachKey(rows: readonly RowValues[], hashes: readonly Buffer[], shape: PgShape): { rows: unknown[][]; extraUpdates: number } {
    const keyAt = shape.keyIndexes
    const seen = new Map<string, number>()
    const out: (unknown[] | undefined)[] = []
    let extraUpdates = 0
    for (let i = 0; i < rows.length; i++) {
      const values = rows[i] as RowValues
      const hash = hashes[i] as Buffer
      const key = keyAt.length === 1 ? String(values[keyAt[0] as number]) : JSON.stringify(keyAt.map((at) => values[at]))
      const before = seen.get(key)
      if (before !== undefined) {
        const earlier = out[before] as unknown[]
        if (values.some((value, at) => value !== earlier[at])) extraUpdates++
        out[before] = undefined
      }
      seen.set(key, out.length)
      out.push([...values, hash])
    }
    return { rows: out.filter((row): row is unknown[] => row !== undefined), extraUpdates }
  }

  /**
   * Removes the vanished rows, each found by the ctid it had in the snapshot and only if that row still
   * has its hash: a TID lookup a row, where a match on the hash alone scans the whole table. A row
   * moved since (another writer updated it; this run's own updates, the displaced rows, have no hash
   * of the snapshot any more) is then found by its hash, with that scan, only for those left.
   */
  async #remove(query: Query, remove: NonNullable<SourceEnd['remove']>): Promise<number> {
    if (remove.rows.length === 0) return 0
    const byTid = remove.rows.flatMap((row) => {
      const tid = tidOf(row.rowid)
      return tid === undefined ? [] : [{ tid, hash: row.hash }]
    })
    let removed = 0
    const gone = new Set<string>()
    if (byTid.length > 0) {
      const where = `unnest($1::tid[], $2::bytea[]) AS gone(c, h) WHERE t.ctid = gone.c AND t."_hash" = gone.h AND t."_deleted_at" IS NULL`
      const params = [byTid.map((row) => row.tid), byTid.map((row) => row.hash)]
      const { rows } =
        this.#source.delete === 'soft'
          ? await query<{ h: Buffer }>(`UPDATE ${this.#table} AS t SET "_deleted_at" = $3 FROM ${where} RETURNING t."_hash" AS h`, [
              ...params,
              remove.deletedAt,
            ])
          : await query<{ h: Buffer }>(`DELETE FROM ${this.#table} AS t USING ${where} RETURNING t."_hash" AS h`, params)
      removed += rows.length
      for (const row of rows) gone.add(row.h.toString('hex'))
    }
    for (const hash of this.#displaced) gone.add(hash.toString('hex'))
    const hashes = remove.rows.map((row) => row.hash).filter((hash) => !gone.has(hash.toString('hex')))
    if (hashes.length === 0) return removed
    const byHash = `unnest($1::bytea[]) AS gone(h) WHERE t."_hash" = gone.h AND t."_deleted_at" IS NULL`
    const result =
      this.#source.delete === 'soft'
        ? await query(`UPDATE ${this.#table} AS t SET "_deleted_at" = $2 FROM ${byHash}`, [hashes, remove.deletedAt])
        : await query(`DELETE FROM ${this.#table} AS t USING ${byHash}`, [hashes])
    return removed + result.rowCount
  }
}

/**
 * The statistics target of `analyzeSample`: a sample of 300 times this many rows, a tenth of the
 * default's 30,000 (`default_statistics_target` 100).
 */
const SAMPLE_STATISTICS_TARGET = 10

/**
 * ANALYZE of a few columns on a small sample: enough for the planner to tell an index lookup a row from
 * a scan of the table, at a fraction of the cost (on a million rows, 25 ms where the whole table's
 * ANALYZE took 400 to 1,500 ms). A column list leaves autovacuum's count of changes as it was, so it
 * still analyzes the whole table in its time, with the full sample. A table autovacuum is at (a fresh
 * table is vacuumed and analyzed soon after its first sync) is skipped rather than waited for, which
 * took a second, then cancelled autovacuum's work.
 */
async function analyzeSample(query: Query, table: string, columns: readonly string[]): Promise<void> {
  await query(
    `SET LOCAL default_statistics_target = ${SAMPLE_STATISTICS_TARGET}; ANALYZE (SKIP_LOCKED) ${table} (${columns.join(', ')}); RESET default_statistics_target`,
  )
}

/** What tells the staging tables of a source with inferred columns apart: their columns and staged types. */
function shapeId(shape: PgShape): string {
  return createHash('sha256')
    .update(JSON.stringify([shape.names, shape.stagedTypes]))
    .digest('hex')
    .slice(0, 12)
}

/** A chunk's values as they meet the table (see `PgSourceSink.#shape`). */
interface PgShape {
  readonly names: readonly string[]
  /** The names quoted. */
  readonly columns: readonly string[]
  readonly keyIndexes: readonly number[]
  readonly valueIndexes: readonly number[]
  /** Each value as read from the stage (`s`), converted where its column is wider now. */
  readonly selected: readonly string[]
  /** The type each value is staged as. */
  readonly stagedTypes: readonly string[]
  /** Whether each column is `json`, compared as text. */
  readonly json: readonly boolean[]
  readonly converting: boolean
}

/** A SQLite staging file's rows as COPY text; the SQLite driver is loaded only when a sync meets one. */
async function* stagingFileText(path: string): AsyncGenerator<string> {
  const { StagingFile } = await import('../sqlite/staging-file.js')
  yield* copyText(StagingFile.rowsOf(path))
}
