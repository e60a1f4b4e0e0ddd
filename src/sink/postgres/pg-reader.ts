import type { InferredColumn } from '../../config/resolve-config.js'
import type { ResolvedSink } from '../../config/resolve-sink.js'
import { CachesyncError } from '../../util/errors.js'
import { type RecordedRun, RUN_COLUMNS, type RunRow, toRecordedRun } from '../recorded-run.js'
import type { DatabaseDescription, SinkReader, SyncHolder, TableRows } from '../sink-reader.js'
import { openPgSession } from './pg-connect.js'
import type { PgClient, PgPool } from './pg-driver.js'
import { pgIdent } from './pg-schema.js'
import { pgStoredSchema } from './pg-schema-record.js'

type PgSinkConfig = Extract<ResolvedSink, { kind: 'postgres' }>

/** `sync_runs` columns that are bigint: the driver gives those as strings, so they are read as float8. */
const BIGINT_COLUMNS = new Set(['id', 'records_read', 'inserted', 'updated', 'unchanged', 'deleted', 'rejected'])

/** A timestamptz as the SQLite sink stores times: ISO 8601 in UTC, to the millisecond. */
function isoUtc(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
}

/** The columns of `sync_runs` in the shape of `RunRow`. */
const RUN_SELECT = RUN_COLUMNS.map((column) => {
  if (column === 'started_at' || column === 'ended_at') return `${isoUtc(column)} AS ${column}`
  if (column === 'report') return 'report::text AS report'
  return BIGINT_COLUMNS.has(column) ? `${column}::float8 AS ${column}` : column
}).join(', ')

/**
 * Reads a PostgreSQL sink for `status`, `history` and `monitor`, on one connection whose transactions
 * are read-only: a schema without cachesync's tables reads as no database yet, and is not created.
 */
export class PgReader implements SinkReader {
  readonly target: string
  readonly missing: string | undefined
  readonly #pool: PgPool
  readonly #client: PgClient
  readonly #schemaName: string
  /** The schema's name quoted, to put before a table's. */
  readonly #schema: string

  private constructor(config: PgSinkConfig, pool: PgPool, client: PgClient, exists: boolean) {
    this.target = config.display
    this.missing = exists ? undefined : `no cachesync tables in schema ${config.schema} of ${config.display} yet`
    this.#pool = pool
    this.#client = client
    this.#schemaName = config.schema
    this.#schema = pgIdent(config.schema)
  }

  static async open(config: PgSinkConfig): Promise<PgReader> {
    const { pool, client } = await openPgSession(config, 'reader')
    try {
      await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY')
      const { rows } = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [`${pgIdent(config.schema)}.sync_runs`])
      return new PgReader(config, pool, client, rows[0]?.ok === true)
    } catch (err) {
      client.release(true)
      await pool.end().catch(() => {})
      throw cannotRead(config.display, err)
    }
  }

  async readRuns(options: { limit?: number; finishedOnly?: boolean } = {}): Promise<RecordedRun[]> {
    if (this.missing !== undefined) return []
    const where = options.finishedOnly ? "WHERE outcome <> 'running'" : ''
    const rows = await this.#query<RunRow>(`SELECT ${RUN_SELECT} FROM ${this.#schema}.sync_runs ${where} ORDER BY id DESC LIMIT $1`, [options.limit ?? null])
    return rows.map(toRecordedRun)
  }

  async lastSuccessfulRun(): Promise<RecordedRun | undefined> {
    if (this.missing !== undefined) return undefined
    const rows = await this.#query<RunRow>(`SELECT ${RUN_SELECT} FROM ${this.#schema}.sync_runs WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1`)
    return rows[0] === undefined ? undefined : toRecordedRun(rows[0])
  }

  async storedSchema(source: string): Promise<InferredColumn[] | undefined> {
    if (this.missing !== undefined) return undefined
    const query = async (sql: string, params?: readonly unknown[]) => ({ rows: await this.#query(sql, params), rowCount: 0 })
    return pgStoredSchema(query as PgClient['query'], this.#schemaName, source)
  }

  async syncedAt(): Promise<ReadonlyMap<string, string>> {
    if (this.missing !== undefined || !(await this.#exists('sync_sources'))) return new Map()
    const rows = await this.#query<{ source: string; syncedAt: string }>(
      `SELECT source, ${isoUtc('synced_at')} AS "syncedAt" FROM ${this.#schema}.sync_sources WHERE synced_at IS NOT NULL`,
    )
    return new Map(rows.map((r) => [r.source, r.syncedAt]))
  }

  async tableRows(table: string): Promise<TableRows | undefined> {
    if (this.missing !== undefined || !(await this.#exists(table))) return undefined
    const rows = await this.#query<{ total: number; deleted: number }>(
      `SELECT count(*)::float8 AS total, count("_deleted_at")::float8 AS deleted FROM ${this.#schema}.${pgIdent(table)}`,
    )
    const row = rows[0] ?? { total: 0, deleted: 0 }
    return { live: row.total - row.deleted, deleted: row.deleted }
  }

  async describe(): Promise<DatabaseDescription> {
    if (this.missing !== undefined) return { bytes: 0, pages: undefined }
    const rows = await this.#query<{ bytes: number }>(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8 AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'm', 'p')`,
      [this.#schemaName],
    )
    return { bytes: rows[0]?.bytes ?? 0, pages: undefined }
  }

  async runningSyncs(): Promise<SyncHolder[]> {
    if (this.missing !== undefined) return []
    // As markInterruptedRuns judges them: a run lives while the session that took its source locks does.
    return this.#query<SyncHolder>(
      `SELECT coalesce(r.pid, 0) AS pid, coalesce(r.host, '') AS host, ${isoUtc('r.started_at')} AS "startedAt",
         EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = r.backend_pid AND a.backend_start = r.backend_start) AS alive
       FROM ${this.#schema}.sync_runs r WHERE r.outcome = 'running' ORDER BY r.id DESC`,
    )
  }

  async close(): Promise<void> {
    this.#client.release()
    await this.#pool.end()
  }

  async #exists(table: string): Promise<boolean> {
    const rows = await this.#query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [`${this.#schema}.${pgIdent(table)}`])
    return rows[0]?.ok === true
  }

  async #query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.#client.query<R>(sql, params)).rows
    } catch (err) {
      throw cannotRead(this.target, err)
    }
  }
}

function cannotRead(target: string, err: unknown): CachesyncError {
  return new CachesyncError('ERR_IO', `Cannot read PostgreSQL at ${target}: ${(err as Error).message}`, { cause: err })
}
