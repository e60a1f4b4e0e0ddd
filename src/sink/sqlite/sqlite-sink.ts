import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { InferredColumn, ResolvedSource } from '../../config/resolve-config.js'
import { ConfigError } from '../../util/errors.js'
import type { HashSet64 } from '../../util/hash-set64.js'
import { type Logger, silentLogger } from '../../util/logger.js'
import { isProcessAlive } from '../../util/process-alive.js'
import { type Checkpoint, clipRaw, type RejectRecord, type RunRecord, runRecordValues, type Sink, type SourceLock, type SourceState } from '../sink.js'
import { liveRowsDir, removeDatabaseFiles } from './database-files.js'
import { DbLock } from './db-lock.js'
import { copyForDryRun } from './dry-run-copy.js'
import { readLiveRowFile, writeLiveRowFile } from './live-row-file.js'
import { openDatabase, type SqliteDatabase } from './sqlite-driver.js'
import { isSqliteFailure, translateSqliteError } from './sqlite-errors.js'
import { createTableSql, legacyHashIndexName, quoteIdent, SYNC_TABLES_SQL, sqlType } from './sqlite-schema.js'
import { recordColumns, registerWiden, storedSchema } from './sqlite-schema-record.js'
import { SqliteSourceSink, type SqliteSyncTables } from './sqlite-source-sink.js'
import { WalCheckpointer } from './wal-checkpointer.js'

/** Pages of WAL (4 KiB each) that trigger an automatic checkpoint; SQLite's default is 1000. */
const WAL_CHECKPOINT_PAGES = 10_000
/** The log's size from which its checkpoints move to a thread of their own (see `WalCheckpointer`). */
const CHECKPOINT_ASIDE_FROM_BYTES = 8 * 1024 * 1024

/** Page cache sizes: small where memory is the point (streaming), generous where speed is. */
const LOW_MEMORY_CACHE_KIB = 8 * 1024
const WHOLE_FILE_CACHE_KIB = 64 * 1024

/**
 * The SQLite sink: one database file, the synced tables and cachesync's own `sync_` tables. For a sync it
 * holds the file's single-writer lock and, in a dry run, works on a scratch copy that it throws away.
 */
export class SqliteSink implements Sink, SqliteSyncTables {
  readonly path: string
  readonly stagingFormat = 'sqlite'
  readonly #db: SqliteDatabase
  #onClose: (() => void) | undefined
  /** Where the files of saved live rows are: beside the database (the real one, in a dry run). */
  #liveDir: string
  /** False in a dry run: its copy of the database is thrown away, and so are the rows it would name. */
  #keepLiveRows = true
  #logger: Logger = silentLogger
  /** Checkpoints the log on a thread of its own during a bulk write; see `afterWrite`. */
  #checkpointer: WalCheckpointer | undefined
  #checkpointsAside = false

  private constructor(path: string, db: SqliteDatabase) {
    this.path = path
    this.#db = db
    this.#liveDir = liveRowsDir(path)
  }

  get target(): string {
    return this.path
  }

  /** Beside the database, so staging files are on its filesystem. */
  get stagingDir(): string {
    return `${this.path}.staging-${process.pid}`
  }

  /**
   * Opens `dbPath` for a sync: takes its lock (ERR_LOCKED if another sync holds it), removes the scratch
   * of killed runs and, for a dry run, opens a scratch copy instead.
   */
  static async openForSync(dbPath: string, options: { dryRun: boolean; logger?: Logger }): Promise<SqliteSink> {
    mkdirSync(dirname(dbPath), { recursive: true })
    const lock = DbLock.acquire(dbPath)
    let target = dbPath
    try {
      removeScratchOfDeadRuns(dbPath, options.logger ?? silentLogger)
      if (options.dryRun) target = await copyForDryRun(dbPath)
      const sink = SqliteSink.open(target)
      sink.#liveDir = liveRowsDir(dbPath)
      sink.#keepLiveRows = !options.dryRun
      sink.#logger = options.logger ?? silentLogger
      sink.#onClose = () => {
        rmSync(sink.stagingDir, { recursive: true, force: true })
        if (target !== dbPath) removeDatabaseFiles(target)
        lock.release()
      }
      return sink
    } catch (err) {
      if (target !== dbPath) removeDatabaseFiles(target)
      lock.release()
      throw translateSqliteError(err, dbPath)
    }
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
      registerWiden(db)
      return new SqliteSink(path, db)
    } catch (err) {
      db.close()
      throw translateSqliteError(err, path)
    }
  }

  /**
   * SQLite's page cache, in KiB. It is most of a streaming sync's memory, and a larger one buys little
   * speed.
   */
  setCacheSize(kib: number): void {
    this.#db.pragma(`cache_size = -${Math.max(1024, Math.round(kib))}`)
  }

  tune(options: { lowMemory: boolean; writes: boolean }): void {
    this.setCacheSize(options.lowMemory ? LOW_MEMORY_CACHE_KIB : WHOLE_FILE_CACHE_KIB)
    this.#checkpointsAside = options.writes && !options.lowMemory
  }

  /**
   * A thread costs its start (tens of ms of CPU, on a machine whose cores the workers use): it is started
   * once the log holds a bulk write's worth, so a sync that writes little never pays for it.
   */
  afterWrite(): void {
    if (!this.#checkpointsAside || this.#checkpointer !== undefined) return
    let logBytes = 0
    try {
      logBytes = statSync(`${this.path}-wal`).size
    } catch {
      return
    }
    if (logBytes >= CHECKPOINT_ASIDE_FROM_BYTES) this.#checkpointer = WalCheckpointer.start(this.#db, this.path, WAL_CHECKPOINT_PAGES, this.#logger)
  }

  /** Stops the background checkpoints (see `WalCheckpointer`) before work that wants the database alone. */
  async #stopCheckpointer(): Promise<void> {
    const checkpointer = this.#checkpointer
    this.#checkpointer = undefined
    await checkpointer?.stop()
  }

  /** One process writes a SQLite file at a time (the lock file): every source is this run's. */
  async lockSource(): Promise<SourceLock> {
    return { acquired: true }
  }

  async maintain(action: 'analyze' | 'vacuum'): Promise<void> {
    await this.#stopCheckpointer()
    // VACUUM rewrites the whole file (and so drops the free pages of deleted rows); ANALYZE only reads.
    // VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY: saved rowids go first.
    if (action === 'vacuum') {
      this.forgetLiveRows()
      this.pruneLiveRows()
      this.#db.exec('VACUUM')
    }
    this.#db.exec('ANALYZE')
  }

  async failRun(runId: number, message: string, outcome: 'failed' | 'interrupted' = 'failed'): Promise<void> {
    try {
      this.#db.prepare('UPDATE sync_runs SET outcome = ?, ended_at = ?, error = ? WHERE id = ?').run(outcome, new Date().toISOString(), message, runId)
    } catch {
      // The database itself may be what failed (disk full); the error is reported either way.
    }
  }

  get db(): SqliteDatabase {
    return this.#db
  }

  /** Creates the sync tables; a SQLite file that opened can hold any source. */
  async prepare(_sources: readonly ResolvedSource[]): Promise<void> {
    this.#db.exec(SYNC_TABLES_SQL)
  }

  /** Creates every source's table, adding columns a newer configuration names. */
  async ensureSchema(sources: readonly ResolvedSource[], runId?: number): Promise<void> {
    this.#db.exec(SYNC_TABLES_SQL)
    for (const source of sources) {
      this.#db.transaction(() => {
        this.#ensureTable(source)
        recordColumns(this.#db, source, runId)
      })()
    }
  }

  async storedSchema(source: string): Promise<InferredColumn[] | undefined> {
    return storedSchema(this.#db, source)
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

  async sourceState(source: string): Promise<SourceState | undefined> {
    const row = this.#db.prepare('SELECT content_hash AS contentHash, fingerprint, synced_at AS syncedAt FROM sync_sources WHERE source = ?').get(source) as
      | SourceState
      | undefined
    return row
  }

  recordSourceSynced(source: ResolvedSource, state: { contentHash: string; fingerprint: string; runId: number | undefined }): void {
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
      insert.run(runId ?? 0, source, reject.line, reject.reason, clipRaw(reject.raw))
    }
  }

  async checkpoint(source: string): Promise<Checkpoint | undefined> {
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

  /**
   * The live rows of a source's table as its last complete sync left them, kept in a file beside the
   * database (`live-row-file.ts`) so that a re-sync need not read the table; the row in
   * `sync_live_rows` that names the file is what makes it valid. Every write of the table deletes that
   * row in its own transaction (`forgetLiveRows`); a source whose table changed name has none.
   */
  savedLiveRows(source: string, table: string): HashSet64 | undefined {
    const file = this.#db.prepare('SELECT file FROM sync_live_rows WHERE source = ? AND table_name = ?').pluck().get(source, table)
    return typeof file === 'string' ? readLiveRowFile(join(this.#liveDir, file)) : undefined
  }

  /**
   * Writes a set to a new file, before the transaction that names it (`recordLiveRows`); returns the
   * file's name, or undefined where nothing is kept (a dry run, a big-endian machine).
   */
  writeLiveRows(set: HashSet64): string | undefined {
    if (!this.#keepLiveRows) return undefined
    const file = `${randomBytes(8).toString('hex')}.live`
    try {
      mkdirSync(this.#liveDir, { recursive: true })
      return writeLiveRowFile(join(this.#liveDir, file), set) ? file : undefined
    } catch {
      // A full disk or a read-only directory: the sync goes on without them (the next one reads the table).
      rmSync(join(this.#liveDir, file), { force: true })
      return undefined
    }
  }

  recordLiveRows(source: string, table: string, file: string, rows: number): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO sync_live_rows (source, table_name, file, rows, saved_at) VALUES (?, ?, ?, ?, ?)')
      .run(source, table, file, rows, new Date().toISOString())
  }

  /**
   * Forgets the saved live rows of a source and any saved for its table, or every source's: a table's
   * rows change, or their rowids may.
   */
  forgetLiveRows(of?: { source: string; table: string }): void {
    if (of === undefined) this.#db.exec('DELETE FROM sync_live_rows')
    else this.#db.prepare('DELETE FROM sync_live_rows WHERE source = ? OR table_name = ?').run(of.source, of.table)
  }

  /** Removes the files of live rows that no row of `sync_live_rows` names any more (outside a transaction). */
  pruneLiveRows(): void {
    if (!this.#keepLiveRows) return
    const named = new Set(this.#db.prepare('SELECT file FROM sync_live_rows').pluck().all())
    let files: string[]
    try {
      files = readdirSync(this.#liveDir)
    } catch {
      return
    }
    for (const file of files) if (!named.has(file)) rmSync(join(this.#liveDir, file), { force: true })
  }

  clearCheckpoint(source: string): void {
    this.#db.prepare('DELETE FROM sync_checkpoints WHERE source = ?').run(source)
  }

  /** Runs left `running` by a process that died (this one holds the lock, so no other is running). */
  async markInterruptedRuns(): Promise<number> {
    return this.#db.prepare("UPDATE sync_runs SET outcome = 'interrupted' WHERE outcome = 'running'").run().changes
  }

  async startRun(startedAt: Date): Promise<number> {
    const result = this.#db
      .prepare("INSERT INTO sync_runs (started_at, outcome, pid, host) VALUES (?, 'running', ?, ?)")
      .run(startedAt.toISOString(), process.pid, hostname())
    return Number(result.lastInsertRowid)
  }

  async finishRun(runId: number, run: RunRecord): Promise<void> {
    this.#db
      .prepare(
        `UPDATE sync_runs SET ended_at = ?, outcome = ?, mode = ?, reason = ?, chunk = ?, workers = ?,
           records_read = ?, inserted = ?, updated = ?, unchanged = ?, deleted = ?, rejected = ?,
           db_init_ms = ?, read_ms = ?, transform_ms = ?, write_ms = ?, finalize_ms = ?, total_ms = ?,
           records_per_sec = ?, peak_rss_mb = ?, error = ?, report = ? WHERE id = ?`,
      )
      .run(new Date().toISOString(), ...runRecordValues(run), runId)
  }

  createSourceSink(source: ResolvedSource): SqliteSourceSink {
    return new SqliteSourceSink(this.#db, this.path, this, source)
  }

  isDatabaseFailure(err: unknown): boolean {
    return isSqliteFailure(err)
  }

  translateError(err: unknown): Error {
    return translateSqliteError(err, this.target)
  }

  async close(): Promise<void> {
    try {
      await this.#stopCheckpointer()
      if (this.#db.open) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK')
        this.#db.close()
      }
    } finally {
      this.#onClose?.()
      this.#onClose = undefined
    }
  }
}

/**
 * A killed run leaves its scratch beside the database: the staging directory of parallel mode and the
 * copy of a dry run (`<db>.staging-<pid>`, `<db>.dry-run-<pid>*`). Holding the lock, this run removes
 * those whose process is gone, so that they do not pile up on a box that gets OOM-killed.
 */
function removeScratchOfDeadRuns(db: string, logger: Logger): void {
  const prefix = `${basename(db)}.`
  let names: string[]
  try {
    names = readdirSync(dirname(db))
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const match = /^(?:staging|dry-run)-(\d+)(?:-(?:wal|shm|journal)|\.live)?$/.exec(name.slice(prefix.length))
    if (match === null || isProcessAlive(Number(match[1]))) continue
    rmSync(join(dirname(db), name), { recursive: true, force: true })
    logger.info({ removed: name }, 'removed the scratch of a run that was killed')
  }
}
