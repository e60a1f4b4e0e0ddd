import { hostname } from 'node:os'
import type { ResolvedSource } from '../config/resolve-config.js'
import { CachesyncError, ConfigError } from '../util/errors.js'
import { SourceWriter, type SourceWriterOptions } from './source-writer.js'
import { openDatabase, type SqliteDatabase } from './sqlite-driver.js'
import { createTableSql, legacyHashIndexName, quoteIdent, SYNC_TABLES_SQL, sqlType } from './sqlite-schema.js'

/** What the last complete sync of a source recorded. */
export interface SourceState {
  contentHash: string | null
  fingerprint: string | null
  syncedAt: string | null
}

/**
 * How far an unfinished sync of a source got: everything before `byteOffset` of the cache file whose
 * content hash this is was committed, with the very transaction that saved this checkpoint.
 */
export interface Checkpoint {
  contentHash: string
  fingerprint: string
  byteOffset: number
  /** Records (non-blank lines) before `byteOffset`. */
  records: number
  /** Lines before `byteOffset`, so that rejects after a resume keep their line numbers. */
  lines: number
}

export interface RejectRecord {
  line: number
  reason: string
  raw: string
}

/** One row of `sync_runs`, as the engine reports it at the end. */
export interface RunRecord {
  outcome: 'ok' | 'partial' | 'failed'
  mode: string
  reason: string
  chunk: number
  workers: number
  records: { read: number; inserted: number; updated: number; unchanged: number; deleted: number; rejected: number }
  phases: { dbInit: number; read: number; transform: number; write: number; finalize: number; total: number }
  recordsPerSec: number
  peakRssMb: number
  error: string | undefined
  report: unknown
}

const MAX_RAW_REJECT = 10_000

/** Pages of WAL (4 KiB each) that trigger an automatic checkpoint; SQLite's default is 1000. */
const WAL_CHECKPOINT_PAGES = 10_000

/** The SQLite sink: one database file, the synced tables and cachesync's own `sync_` tables. */

export class SqliteSink {
  readonly path: string
  readonly #db: SqliteDatabase

  private constructor(path: string, db: SqliteDatabase) {
    this.path = path
    this.#db = db
  }

  /** Opens (creating if needed) the database in WAL mode with pragmas for bulk loading. */
  static open(path: string): SqliteSink {
    const db = openDatabase(path)
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.pragma('temp_store = FILE')
      db.pragma('foreign_keys = OFF')
      // Checkpoint every 40 MB of WAL rather than every 4 MB: each checkpoint syncs the file twice, and
      // scattered updates (a re-sync) dirty a page per row. The WAL left at the end is checkpointed
      // when the database closes.
      db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
      return new SqliteSink(path, db)
    } catch (err) {
      db.close()
      throw translateSqliteError(err, path)
    }
  }

  /**
   * SQLite's page cache, in KiB. It is most of a streaming sync's memory: 64 MB of cache adds about
   * 90 MB of peak RSS at a million rows for a few percent of speed.
   */
  setCacheSize(kib: number): void {
    this.#db.pragma(`cache_size = -${Math.max(1024, Math.round(kib))}`)
  }

  get db(): SqliteDatabase {
    return this.#db
  }

  /** Creates the sync tables and every source's table, adding columns a newer configuration names. */
  ensureSchema(sources: readonly ResolvedSource[]): void {
    this.#db.exec(SYNC_TABLES_SQL)
    for (const source of sources) this.#ensureTable(source)
  }

  #ensureTable(source: ResolvedSource): void {
    const existing = this.#db.prepare(`PRAGMA table_info(${quoteIdent(source.table)})`).all() as { name: string; pk: number }[]
    if (existing.length === 0) {
      this.#db.exec(createTableSql(source))
      return
    }
    const keyNow = existing.filter((c) => c.pk > 0).map((c) => c.name)
    if (keyNow.join(',') !== source.key.join(',')) {
      throw new ConfigError(
        `Table ${source.table} has key (${keyNow.join(', ')}) but source ${source.name} is configured with key (${source.key.join(', ')}); ` +
          'drop or rename the table to let cachesync recreate it',
      )
    }
    const have = new Set(existing.map((c) => c.name))
    for (const column of source.columns) {
      if (!have.has(column.name)) {
        this.#db.exec(`ALTER TABLE ${quoteIdent(source.table)} ADD COLUMN ${quoteIdent(column.name)} ${sqlType(column)}`)
      }
    }
    if (!have.has('_deleted_at')) this.#db.exec(`ALTER TABLE ${quoteIdent(source.table)} ADD COLUMN "_deleted_at" TEXT`)
    this.#db.exec(`DROP INDEX IF EXISTS ${quoteIdent(legacyHashIndexName(source.table))}`)
  }

  sourceState(source: string): SourceState | undefined {
    const row = this.#db.prepare('SELECT content_hash AS contentHash, fingerprint, synced_at AS syncedAt FROM sync_sources WHERE source = ?').get(source) as
      | SourceState
      | undefined
    return row
  }

  recordSourceSynced(source: ResolvedSource, state: { contentHash: string | null; fingerprint: string; runId: number | undefined }): void {
    this.#db
      .prepare(
        `INSERT INTO sync_sources (source, table_name, content_hash, fingerprint, synced_at, run_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET table_name = excluded.table_name, content_hash = excluded.content_hash,
           fingerprint = excluded.fingerprint, synced_at = excluded.synced_at, run_id = excluded.run_id`,
      )
      .run(source.name, source.table, state.contentHash, state.fingerprint, new Date().toISOString(), state.runId ?? null)
  }

  /** Forgets a source's rejects: they describe a cache file that is being synced afresh. */
  clearRejects(source: string): void {
    this.#db.prepare('DELETE FROM sync_rejects WHERE source = ?').run(source)
  }

  addRejects(runId: number | undefined, source: string, rejects: readonly RejectRecord[]): void {
    if (rejects.length === 0) return
    const insert = this.#db.prepare('INSERT INTO sync_rejects (run_id, source, line, reason, raw) VALUES (?, ?, ?, ?, ?)')
    for (const reject of rejects) {
      insert.run(runId ?? 0, source, reject.line, reject.reason, reject.raw.length > MAX_RAW_REJECT ? `${reject.raw.slice(0, MAX_RAW_REJECT)}…` : reject.raw)
    }
  }

  checkpoint(source: string): Checkpoint | undefined {
    return this.#db
      .prepare(
        `SELECT content_hash AS contentHash, fingerprint, byte_offset AS byteOffset, records_done AS records, lines_done AS lines
         FROM sync_checkpoints WHERE source = ?`,
      )
      .get(source) as Checkpoint | undefined
  }

  saveCheckpoint(source: string, checkpoint: Checkpoint, runId: number | undefined): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO sync_checkpoints (source, content_hash, fingerprint, byte_offset, records_done, lines_done, run_id, saved_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        source,
        checkpoint.contentHash,
        checkpoint.fingerprint,
        checkpoint.byteOffset,
        checkpoint.records,
        checkpoint.lines,
        runId ?? null,
        new Date().toISOString(),
      )
  }

  clearCheckpoint(source: string): void {
    this.#db.prepare('DELETE FROM sync_checkpoints WHERE source = ?').run(source)
  }

  /** Runs left `running` by a process that died (this one holds the lock, so no other is running). */
  markInterruptedRuns(): number {
    return this.#db.prepare("UPDATE sync_runs SET outcome = 'interrupted' WHERE outcome = 'running'").run().changes
  }

  startRun(startedAt: Date): number {
    const result = this.#db
      .prepare("INSERT INTO sync_runs (started_at, outcome, pid, host) VALUES (?, 'running', ?, ?)")
      .run(startedAt.toISOString(), process.pid, hostname())
    return Number(result.lastInsertRowid)
  }

  finishRun(runId: number, run: RunRecord): void {
    this.#db
      .prepare(
        `UPDATE sync_runs SET ended_at = ?, outcome = ?, mode = ?, reason = ?, chunk = ?, workers = ?,
           records_read = ?, inserted = ?, updated = ?, unchanged = ?, deleted = ?, rejected = ?,
           db_init_ms = ?, read_ms = ?, transform_ms = ?, write_ms = ?, finalize_ms = ?, total_ms = ?,
           records_per_sec = ?, peak_rss_mb = ?, error = ?, report = ? WHERE id = ?`,
      )
      .run(
        new Date().toISOString(),
        run.outcome,
        run.mode,
        run.reason,
        run.chunk,
        run.workers,
        run.records.read,
        run.records.inserted,
        run.records.updated,
        run.records.unchanged,
        run.records.deleted,
        run.records.rejected,
        run.phases.dbInit,
        run.phases.read,
        run.phases.transform,
        run.phases.write,
        run.phases.finalize,
        run.phases.total,
        run.recordsPerSec,
        run.peakRssMb,
        run.error ?? null,
        JSON.stringify(run.report),
        runId,
      )
  }

  createSourceWriter(source: ResolvedSource, options?: SourceWriterOptions): SourceWriter {
    return new SourceWriter(this.#db, source, options)
  }

  /** Runs fn in a transaction; nested calls become savepoints. */
  transaction<R>(fn: () => R): R {
    return this.#db.transaction(fn)()
  }

  close(): void {
    if (!this.#db.open) return
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK')
    this.#db.close()
  }
}

/** Maps SQLite's own error codes to cachesync's, so that a full disk reads as one. */
export function translateSqliteError(err: unknown, path: string): Error {
  const code = (err as { code?: unknown }).code
  if (code === 'SQLITE_FULL') return new CachesyncError('ERR_DISK_FULL', `Disk full while writing ${path}`, { cause: err })
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY_DIRECTORY') {
    return new CachesyncError('ERR_READONLY', `Cannot write database ${path}: ${(err as Error).message}`, { cause: err })
  }
  return err instanceof Error ? err : new Error(String(err))
}

/**
 * True for a full disk, a read-only file or an I/O error, raw from SQLite or translated: the
 * database's failure, not a source's.
 */
export function isDatabaseFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string') return false
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code === 'ERR_DISK_FULL' || code === 'ERR_READONLY'
}
