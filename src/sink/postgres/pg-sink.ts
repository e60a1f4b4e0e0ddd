import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InferredColumn, ResolvedSource } from '../../config/resolve-config.js'
import type { ResolvedSink } from '../../config/resolve-sink.js'
import { ConfigError } from '../../util/errors.js'
import { type Logger, silentLogger } from '../../util/logger.js'
import {
  type Checkpoint,
  type ChunkExtras,
  clipRaw,
  type LockPolicy,
  type RejectRecord,
  type RunRecord,
  runRecordValues,
  type Sink,
  type SourceEnd,
  type SourceLock,
  type SourceState,
} from '../sink.js'
import { applicationName } from './pg-connect.js'
import { createPgPool, type PgClient, type PgPool } from './pg-driver.js'
import { connectError, connectionRole, isConnectionLoss, translatePgError } from './pg-errors.js'
import { checkSyncPrivileges } from './pg-privileges.js'
import { createTablePgSql, pgIdent, pgType, syncTablesPgSql } from './pg-schema.js'
import { pgRecordColumns, pgStoredSchema } from './pg-schema-record.js'
import { PgSession } from './pg-session.js'
import { PgSourceSink, type PgSyncTables } from './pg-source-sink.js'

type PgSinkConfig = Extract<ResolvedSink, { kind: 'postgres' }>
type Query = PgClient['query']

/** Connections: the lock session, and one per source merged side by side (parallel mode). */
const POOL_SIZE = 5

/**
 * The PostgreSQL sink: the sources' tables and cachesync's `sync_` tables in one schema, shared by
 * several sync hosts. Each source is synced by one host at a time, serialised by a session-level
 * advisory lock on a hash of schema and source that this run's lock session holds until it ends.
 */
export class PgSink implements Sink, PgSyncTables {
  readonly target: string
  readonly stagingDir: string
  readonly stagingFormat = 'copy'
  readonly #config: PgSinkConfig
  readonly #pool: PgPool
  readonly #session: PgSession
  readonly #lockClient: PgClient
  readonly #logger: Logger
  readonly #schema: string
  #tables: string[] = []
  /** The role the sink works as, named by privilege errors: the server's word once `ensureSchema` asked. */
  #role: string

  private constructor(config: PgSinkConfig, pool: PgPool, session: PgSession, lockClient: PgClient, logger: Logger) {
    this.#config = config
    this.target = config.display
    this.stagingDir = join(tmpdir(), `cachesync-staging-${process.pid}`)
    this.#pool = pool
    this.#session = session
    this.#lockClient = lockClient
    this.#logger = logger
    this.#schema = pgIdent(config.schema)
    this.#role = connectionRole(config.url)
  }

  static async open(config: PgSinkConfig, options: { dryRun: boolean; logger?: Logger }): Promise<PgSink> {
    const pool = createPgPool({ url: config.url, max: POOL_SIZE, applicationName: applicationName('') })
    try {
      const lockClient = await pool.connect()
      const session = await PgSession.open(pool, { dryRun: options.dryRun, lockSession: lockClient })
      return new PgSink(config, pool, session, lockClient, options.logger ?? silentLogger)
    } catch (err) {
      await pool.end().catch(() => {})
      throw connectError(err, config)
    }
  }

  tune(): void {}

  async prepare(sources: readonly ResolvedSource[]): Promise<void> {
    await this.#session.transaction(async (query) => {
      await query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(this.#config.schema, '')])
      const found = await checkSyncPrivileges(query, this.#config, sources)
      this.#role = found.role
      for (const sql of syncTablesPgSql(this.#config.schema, { schema: found.schemaExists, relations: found.relations })) await query(sql)
    })
  }

  async ensureSchema(sources: readonly ResolvedSource[], runId?: number): Promise<void> {
    if (sources.length > 0) this.#tables = sources.map((s) => `${this.#schema}.${pgIdent(s.table)}`)
    // Two hosts creating the same tables at once would collide in the catalog: one at a time.
    await this.#session.transaction(async (query) => {
      await query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(this.#config.schema, '')])
      const found = await checkSyncPrivileges(query, this.#config, sources)
      this.#role = found.role
      for (const sql of syncTablesPgSql(this.#config.schema, { schema: found.schemaExists, relations: found.relations })) await query(sql)
      for (const source of sources) {
        await this.#ensureTable(query, source)
        await pgRecordColumns(query, this.#config.schema, source, runId)
      }
    })
  }

  async storedSchema(source: string): Promise<InferredColumn[] | undefined> {
    return this.#session.transaction((query) => pgStoredSchema(query, this.#config.schema, source))
  }

  async #ensureTable(query: Query, source: ResolvedSource): Promise<void> {
    const { rows } = await query<{ name: string; key: number | null }>(
      `SELECT a.attname AS name, array_position(i.indkey::int2[], a.attnum) AS key
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
       WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
      [this.#config.schema, source.table],
    )
    if (rows.length === 0) {
      await query(createTablePgSql(this.#config.schema, source))
      return
    }
    const keyNow = rows
      .filter((r) => r.key !== null)
      .sort((a, b) => (a.key ?? 0) - (b.key ?? 0))
      .map((r) => r.name)
    if (keyNow.join(',') !== source.key.join(',')) {
      throw new ConfigError(
        `Table ${this.#config.schema}.${source.table} has key (${keyNow.join(', ')}) but source ${source.name} is configured with key (${source.key.join(', ')}); ` +
          'drop or rename the table to let cachesync recreate it',
      )
    }
    const have = new Set(rows.map((r) => r.name))
    const table = `${this.#schema}.${pgIdent(source.table)}`
    for (const column of source.columns) {
      if (!have.has(column.name)) await query(`ALTER TABLE ${table} ADD COLUMN ${pgIdent(column.name)} ${pgType(column)}`)
    }
  }

  /** Runs whose lock session is gone: their process died (another host's live runs keep theirs). */
  async markInterruptedRuns(): Promise<number> {
    const { rowCount } = await this.#session.query(
      `UPDATE ${this.#schema}.sync_runs AS r SET outcome = 'interrupted' WHERE outcome = 'running'
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = r.backend_pid AND a.backend_start = r.backend_start)`,
    )
    return rowCount
  }

  async startRun(startedAt: Date): Promise<number> {
    const { rows: me } = await this.#lockClient.query<{ pid: number; started: string }>(
      'SELECT pg_backend_pid() AS pid, backend_start::text AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    )
    const { rows } = await this.#session.query<{ id: string }>(
      `INSERT INTO ${this.#schema}.sync_runs (started_at, outcome, pid, host, backend_pid, backend_start)
       VALUES ($1, 'running', $2, $3, $4, $5) RETURNING id`,
      [startedAt.toISOString(), process.pid, hostname(), me[0]?.pid ?? null, me[0]?.started ?? null],
    )
    return Number(rows[0]?.id)
  }

  async finishRun(runId: number, run: RunRecord): Promise<void> {
    await this.#session.query(
      `UPDATE ${this.#schema}.sync_runs SET ended_at = now(), outcome = $1, mode = $2, reason = $3, chunk = $4, workers = $5,
         records_read = $6, inserted = $7, updated = $8, unchanged = $9, deleted = $10, rejected = $11,
         db_init_ms = $12, read_ms = $13, transform_ms = $14, write_ms = $15, finalize_ms = $16, total_ms = $17,
         records_per_sec = $18, peak_rss_mb = $19, error = $20, report = $21::jsonb WHERE id = $22`,
      [...runRecordValues(run), runId],
    )
  }

  async failRun(runId: number, message: string, outcome: 'failed' | 'interrupted' = 'failed'): Promise<void> {
    try {
      await this.#session.query(`UPDATE ${this.#schema}.sync_runs SET outcome = $3, ended_at = now(), error = $1 WHERE id = $2`, [message, runId, outcome])
    } catch {
      // The database itself may be what failed; the error is reported either way.
    }
  }

  async lockSource(source: string, policy: LockPolicy): Promise<SourceLock> {
    const key = lockKey(this.#config.schema, source)
    const { rows } = await this.#lockClient.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])
    if (rows[0]?.ok === true) return { acquired: true }
    const holder = await this.#holderOf(key)
    if (policy === 'skip') return { acquired: false, holder }
    this.#logger.warn({ source, holder }, 'source is being synced by another host: waiting for it (--pg-lock wait)')
    await this.#lockClient.query('SELECT pg_advisory_lock($1::bigint)', [key])
    this.#logger.info({ source }, 'source lock taken')
    return { acquired: true }
  }

  /** Who holds an advisory lock, from pg_locks and the holder's application_name (host and pid). */
  async #holderOf(key: string): Promise<string> {
    const k = BigInt.asUintN(64, BigInt(key))
    const { rows } = await this.#lockClient.query<{ app: string; pid: number; addr: string | null }>(
      `SELECT a.application_name AS app, a.pid, host(a.client_addr) AS addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1 LIMIT 1`,
      [String(k >> 32n), String(k & 0xffffffffn)],
    )
    const row = rows[0]
    if (row === undefined) return 'another session (it has just let go)'
    return `${row.app || 'an unnamed client'} (backend pid ${row.pid}${row.addr === null ? '' : ` from ${row.addr}`})`
  }

  async sourceState(source: string): Promise<SourceState | undefined> {
    const { rows } = await this.#session.query<SourceState>(
      `SELECT content_hash AS "contentHash", fingerprint, synced_at::text AS "syncedAt" FROM ${this.#schema}.sync_sources WHERE source = $1`,
      [source],
    )
    return rows[0]
  }

  async checkpoint(source: string): Promise<Checkpoint | undefined> {
    const { rows } = await this.#session.query<{ contentHash: string; fingerprint: string; byteOffset: string; records: string; lines: string }>(
      `SELECT content_hash AS "contentHash", fingerprint, byte_offset AS "byteOffset", records_done AS records, lines_done AS lines
       FROM ${this.#schema}.sync_checkpoints WHERE source = $1`,
      [source],
    )
    const row = rows[0]
    if (row === undefined) return undefined
    return {
      contentHash: row.contentHash,
      fingerprint: row.fingerprint,
      byteOffset: Number(row.byteOffset),
      records: Number(row.records),
      lines: Number(row.lines),
    }
  }

  createSourceSink(source: ResolvedSource, options: { rewrite: boolean }): PgSourceSink {
    return new PgSourceSink(this.#session, this, this.#config.schema, source, options)
  }

  async writeExtras(query: Query, source: string, extras: ChunkExtras): Promise<void> {
    if (extras.clearRejects) await query(`DELETE FROM ${this.#schema}.sync_rejects WHERE source = $1`, [source])
    await this.#addRejects(query, extras.runId, source, extras.rejects)
    const at = extras.checkpoint
    if (at === undefined) return
    await query(
      `INSERT INTO ${this.#schema}.sync_checkpoints (source, content_hash, fingerprint, byte_offset, records_done, lines_done, run_id, saved_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (source) DO UPDATE SET content_hash = EXCLUDED.content_hash, fingerprint = EXCLUDED.fingerprint, byte_offset = EXCLUDED.byte_offset,
         records_done = EXCLUDED.records_done, lines_done = EXCLUDED.lines_done, run_id = EXCLUDED.run_id, saved_at = EXCLUDED.saved_at`,
      [source, at.contentHash, at.fingerprint, at.byteOffset, at.records, at.lines, extras.runId ?? null],
    )
  }

  async writeEnd(query: Query, source: ResolvedSource, end: SourceEnd): Promise<void> {
    if (end.clearRejects) await query(`DELETE FROM ${this.#schema}.sync_rejects WHERE source = $1`, [source.name])
    await this.#addRejects(query, end.runId, source.name, end.rejects)
    if (end.synced === undefined) return
    await query(`DELETE FROM ${this.#schema}.sync_checkpoints WHERE source = $1`, [source.name])
    await query(
      `INSERT INTO ${this.#schema}.sync_sources (source, table_name, content_hash, fingerprint, synced_at, run_id) VALUES ($1, $2, $3, $4, now(), $5)
       ON CONFLICT (source) DO UPDATE SET table_name = EXCLUDED.table_name, content_hash = EXCLUDED.content_hash,
         fingerprint = EXCLUDED.fingerprint, synced_at = EXCLUDED.synced_at, run_id = EXCLUDED.run_id`,
      [source.name, source.table, end.synced.contentHash, end.synced.fingerprint, end.runId],
    )
  }

  async #addRejects(query: Query, runId: number | undefined, source: string, rejects: readonly RejectRecord[]): Promise<void> {
    if (rejects.length === 0) return
    // PostgreSQL text cannot hold NUL: such a byte in a rejected line is shown as U+FFFD.
    const clean = (text: string): string => text.replaceAll('\u0000', '\ufffd')
    await query(
      `INSERT INTO ${this.#schema}.sync_rejects (run_id, source, line, reason, raw)
       SELECT $1, $2, r.line, r.reason, r.raw FROM unnest($3::bigint[], $4::text[], $5::text[]) AS r(line, reason, raw)`,
      [runId ?? 0, source, rejects.map((r) => r.line), rejects.map((r) => clean(r.reason)), rejects.map((r) => clean(clipRaw(r.raw)))],
    )
  }

  async maintain(action: 'analyze' | 'vacuum'): Promise<void> {
    for (const table of this.#tables) await this.#pool.query(`${action === 'vacuum' ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${table}`)
  }

  isDatabaseFailure(err: unknown): boolean {
    return isPgFailure(err)
  }

  /** A lost connection (the server stopped, or ended the session) reads as `ERR_DB_UNAVAILABLE`. */
  translateError(err: unknown): Error {
    return translatePgError(err, { display: this.#config.display, schema: this.#config.schema, role: this.#role })
  }

  async close(): Promise<void> {
    try {
      await this.#session.close()
      // Ending the lock session lets go of every source lock this run took.
      this.#lockClient.release(true)
      await this.#pool.end()
    } finally {
      rmSync(this.stagingDir, { recursive: true, force: true })
    }
  }
}

/** The advisory lock key of a source: 64 bits of sha256 over schema and source, as a signed bigint string. */
export function lockKey(schema: string, source: string): string {
  const digest = createHash('sha256').update(`cachesync\u0000${schema}\u0000${source}`).digest()
  return digest.readBigInt64BE(0).toString()
}

/**
 * PostgreSQL's SQLSTATE classes that are the server's failure, not a source's: 53 insufficient
 * resources (disk full), 57 operator intervention (shutdown), 08 connection exception; and a
 * connection the client lost.
 */
function isPgFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string') return false
  return /^53/.test(code) || isConnectionLoss(err) || code === 'ERR_DISK_FULL' || code === 'ERR_READONLY'
}
