import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { CachesyncError } from '../../util/errors.js'
import type {
  ArchiveRecord,
  ArchiveRunRecord,
  ArchiveStore,
  ArchiveTarget,
  ArchiveVacuum,
  RestoreCounts,
  RowFilter,
  SelectedRows,
  StoredArchive,
  TableShape,
  VerifiedBatch,
} from '../archive-store.js'
import { archiveColumns, keyBounds } from '../archive-store.js'
import { DbLock } from './db-lock.js'
import { openDatabase, type SqliteDatabase } from './sqlite-driver.js'
import { translateSqliteError } from './sqlite-errors.js'
import { quoteIdent, SYNC_TABLES_SQL } from './sqlite-schema.js'

const ARCHIVE_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS sync_archives (
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL,
  dir TEXT NOT NULL,
  table_name TEXT NOT NULL,
  state TEXT NOT NULL,
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  first_key TEXT NOT NULL,
  last_key TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  restored_at TEXT,
  restored_run INTEGER
);
CREATE TABLE IF NOT EXISTS sync_archive_runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  outcome TEXT NOT NULL,
  rows INTEGER,
  files INTEGER,
  bytes INTEGER,
  phases TEXT,
  error TEXT,
  pid INTEGER,
  host TEXT,
  report TEXT
);
`

const STORED_ARCHIVE = `SELECT id, file, dir, table_name AS "table", state, rows, bytes, sha256, first_key AS firstKey, last_key AS lastKey,
  run_id AS runId, created_at AS createdAt FROM sync_archives`

/**
 * The archive's side of a SQLite database: holds the file's single-writer lock (a sync waits for no
 * archive: it is refused, as a second sync is), and commits with `synchronous = FULL` so that a row
 * deleted stays deleted after a power cut, as its archive file does.
 */
export class SqliteArchiveStore implements ArchiveStore {
  readonly target: string
  readonly #db: SqliteDatabase
  readonly #lock: DbLock

  private constructor(path: string, db: SqliteDatabase, lock: DbLock) {
    this.target = path
    this.#db = db
    this.#lock = lock
  }

  static open(path: string): SqliteArchiveStore {
    if (!existsSync(path)) throw new CachesyncError('ERR_CONFIG', `No database at ${path}: nothing to archive or restore into (run a sync first, or pass --db)`)
    const lock = DbLock.acquire(path)
    try {
      const db = openDatabase(path, { fileMustExist: true })
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      return new SqliteArchiveStore(path, db, lock)
    } catch (err) {
      lock.release()
      throw translateSqliteError(err, path)
    }
  }

  async prepare(): Promise<void> {
    this.#db.exec(SYNC_TABLES_SQL)
    this.#db.exec(ARCHIVE_TABLES_SQL)
  }

  async shape(table: string): Promise<TableShape | undefined> {
    const columns = this.#db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string; type: string; pk: number }[]
    if (columns.length === 0) return undefined
    const key = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name)
    return { columns: columns.map((c) => ({ name: c.name, type: c.type.toUpperCase() })), key }
  }

  /** The lock file taken at `open` keeps every other writer off the whole database. */
  async lockSources(): Promise<void> {}

  async startRun(startedAt: Date, kind: 'archive' | 'restore'): Promise<number> {
    const result = this.#db
      .prepare("INSERT INTO sync_archive_runs (kind, started_at, outcome, pid, host) VALUES (?, ?, 'running', ?, ?)")
      .run(kind, startedAt.toISOString(), process.pid, hostname())
    return Number(result.lastInsertRowid)
  }

  async finishRun(runId: number, run: ArchiveRunRecord): Promise<void> {
    this.#db
      .prepare('UPDATE sync_archive_runs SET ended_at = ?, outcome = ?, rows = ?, files = ?, bytes = ?, phases = ?, error = ?, report = ? WHERE id = ?')
      .run(
        new Date().toISOString(),
        run.outcome,
        run.rows,
        run.files,
        run.bytes,
        JSON.stringify(run.phases),
        run.error ?? null,
        JSON.stringify(run.report),
        runId,
      )
  }

  async pendingArchives(): Promise<StoredArchive[]> {
    if (!this.#hasArchiveTables()) return []
    return this.#db.prepare(`${STORED_ARCHIVE} WHERE state = 'pending' ORDER BY id`).all() as StoredArchive[]
  }

  async dropPending(id: number): Promise<void> {
    this.#db.prepare("DELETE FROM sync_archives WHERE id = ? AND state = 'pending'").run(id)
  }

  async addPending(record: ArchiveRecord): Promise<number> {
    const result = this.#db
      .prepare(
        `INSERT INTO sync_archives (file, dir, table_name, state, rows, bytes, sha256, first_key, last_key, run_id, created_at)
         VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.file,
        record.dir,
        record.table,
        record.rows,
        record.bytes,
        record.sha256,
        record.firstKey,
        record.lastKey,
        record.runId,
        new Date().toISOString(),
      )
    return Number(result.lastInsertRowid)
  }

  async selectBatch(target: ArchiveTarget, after: readonly unknown[] | undefined, limit: number): Promise<SelectedRows> {
    const { shape } = target
    const where = filterSql(target)
    const params: unknown[] = [...where.params]
    const keys = shape.key.map(quoteIdent)
    let batch = `SELECT ${keys.join(', ')}, ${jsonLineSql(shape)} AS line FROM ${quoteIdent(target.table)} WHERE ${where.sql}`
    if (after !== undefined) {
      batch += ` AND ${keyTuple(shape)} > ${placeholders(shape.key.length)}`
      params.push(...after)
    }
    batch += ` ORDER BY ${keys.join(', ')} LIMIT ?`
    params.push(limit)
    const order = keys.join(', ')
    const row = this.#db
      .prepare(
        `SELECT count(*), CAST(group_concat(line || char(10), '' ORDER BY ${order}) AS BLOB),
           group_concat(json_array(${keys.join(', ')}) || char(10), '' ORDER BY ${order}) FROM (${batch})`,
      )
      .raw()
      .get(...params) as [number, Buffer | null, string | null]
    const [rows, lines, keyText] = row
    if (rows === 0 || lines === null || keyText === null) return { rows: 0, lines: new Uint8Array(0), keys: '', first: [], last: [] }
    // A buffer of its own (not a slice of Node's pool): it is transferred to a worker.
    const own = new Uint8Array(lines.length)
    own.set(lines)
    return { rows, lines: own, keys: keyText, ...keyBounds(keyText) }
  }

  async commitBatch(target: ArchiveTarget, archiveId: number, range: VerifiedBatch): Promise<void> {
    const where = filterSql(target)
    const tuple = keyTuple(target.shape)
    const remove = this.#db.prepare(
      `DELETE FROM ${quoteIdent(target.table)} WHERE ${tuple} >= ${placeholders(target.shape.key.length)} AND ${tuple} <= ${placeholders(target.shape.key.length)} AND ${where.sql}`,
    )
    this.#db.transaction(() => {
      const deleted = remove.run(...range.first, ...range.last, ...where.params).changes
      if (deleted !== range.rows) {
        throw new CachesyncError(
          'ERR_INTERNAL',
          `Archive of ${target.table}: ${deleted} rows matched for deletion, ${range.rows} were archived; nothing deleted`,
        )
      }
      // The rows of a source's table changed: the live rows saved for its next sync no longer hold.
      if (target.source !== undefined) this.#forgetLiveRows(target.source, target.table)
      this.#db
        .prepare("UPDATE sync_archives SET state = 'archived', bytes = ?, sha256 = ? WHERE id = ? AND state = 'pending'")
        .run(range.bytes, range.sha256, archiveId)
    })()
  }

  async archives(): Promise<StoredArchive[]> {
    if (!this.#hasArchiveTables()) return []
    return this.#db.prepare(`${STORED_ARCHIVE} ORDER BY id`).all() as StoredArchive[]
  }

  async restoreRows(table: string, shape: TableShape, rows: Uint8Array, count: number): Promise<RestoreCounts> {
    const t = quoteIdent(table)
    const names = shape.columns.map((c) => quoteIdent(c.name))
    const soft = shape.columns.some((c) => c.name === '_deleted_at')
    const update = shape.columns.filter((c) => !shape.key.includes(c.name)).map((c) => `${quoteIdent(c.name)} = excluded.${quoteIdent(c.name)}`)
    const onConflict =
      soft && update.length > 0
        ? `DO UPDATE SET ${update.join(', ')} WHERE ${t}."_deleted_at" IS NOT NULL AND excluded."_deleted_at" IS NOT NULL AND excluded."_deleted_at" > ${t}."_deleted_at"`
        : 'DO NOTHING'
    // SQLite parses the JSON once, to JSONB that both statements walk (json_each would parse each
    // row's text again for every ->>: three times as long); ->> gives each value its SQL type back.
    const values = shape.columns.map((c, i) => (c.type === 'BLOB' ? `unhex(j.value ->> ${i})` : `j.value ->> ${i}`))
    const keyAt = shape.key.map((k) => shape.columns.findIndex((c) => c.name === k))
    const present = this.#db
      .prepare(
        `SELECT count(*) FROM jsonb_each(?) AS j JOIN ${t} ON ${shape.key.map((k, i) => `${t}.${quoteIdent(k)} = j.value ->> ${keyAt[i]}`).join(' AND ')}`,
      )
      .pluck()
    // WHERE true: without it SQLite reads `ON CONFLICT` as a join's ON.
    const upsert = this.#db.prepare(
      `INSERT INTO ${t} (${names.join(', ')}) SELECT ${values.join(', ')} FROM jsonb_each(?) AS j WHERE true ON CONFLICT (${shape.key.map(quoteIdent).join(', ')}) ${onConflict}`,
    )
    // Bound as a blob: CAST reads its bytes as the UTF-8 text they are, without a copy through a string.
    const parse = this.#db.prepare('SELECT jsonb(CAST(? AS TEXT))').pluck()
    return this.#db.transaction(() => {
      const parsed = parse.get(rows)
      const had = Number(present.get(parsed))
      const changed = upsert.run(parsed).changes
      const inserted = count - had
      if (changed > 0) {
        const sources = this.#db.prepare('SELECT source FROM sync_sources WHERE table_name = ?').pluck().all(table) as string[]
        for (const name of sources.length > 0 ? sources : ['']) this.#forgetLiveRows(name, table)
      }
      return { inserted, replaced: changed - inserted, kept: had - (changed - inserted) }
    })()
  }

  async markRestored(sha256: string, runId: number): Promise<void> {
    this.#db.prepare('UPDATE sync_archives SET restored_at = ?, restored_run = ? WHERE sha256 = ?').run(new Date().toISOString(), runId, sha256)
  }

  async vacuum(tables: readonly string[], mode: ArchiveVacuum): Promise<void> {
    if (mode === 'none') return
    if (mode === 'full') {
      // VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY: saved live rows go first.
      this.#db.exec('DELETE FROM sync_live_rows')
      this.#db.exec('VACUUM')
    }
    for (const table of tables) this.#db.exec(`ANALYZE ${quoteIdent(table)}`)
  }

  async close(): Promise<void> {
    try {
      if (this.#db.open) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK')
        this.#db.close()
      }
    } finally {
      this.#lock.release()
    }
  }

  #forgetLiveRows(source: string, table: string): void {
    this.#db.prepare('DELETE FROM sync_live_rows WHERE source = ? OR table_name = ?').run(source, table)
  }

  #hasArchiveTables(): boolean {
    return this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_archives'").get() !== undefined
  }
}

/** Values per json_array call: SQLite allows 127 arguments by default (SQLITE_MAX_FUNCTION_ARG). */
const VALUES_PER_CALL = 100

/**
 * A row as a JSON array of its values in archive order (`archiveColumns`), written by SQLite: blobs as
 * hex; a REAL with 17 significant digits, which reads back as the same double. A wide table takes
 * several json_array calls, their brackets joined.
 */
function jsonLineSql(shape: TableShape): string {
  const values = archiveColumns(shape).map((c) => (c.type === 'BLOB' ? `hex(${quoteIdent(c.name)})` : quoteIdent(c.name)))
  const calls: string[] = []
  for (let at = 0; at < values.length; at += VALUES_PER_CALL) calls.push(`json_array(${values.slice(at, at + VALUES_PER_CALL).join(', ')})`)
  return calls.reduce((all, call) => `substr(${all}, 1, length(${all}) - 1) || ',' || substr(${call}, 2)`)
}

function placeholders(n: number): string {
  return `(${Array.from({ length: n }, () => '?').join(', ')})`
}

function keyTuple(shape: TableShape): string {
  return `(${shape.key.map(quoteIdent).join(', ')})`
}

/**
 * The WHERE clause of a filter. SQLite keeps times as ISO 8601 text, which sorts as time does; a
 * numeric column (`--older-than`) is read as Unix seconds.
 */
function filterSql(target: ArchiveTarget): { sql: string; params: unknown[] } {
  const filter: RowFilter = target.filter
  const iso = filter.cutoff.toISOString()
  if (filter.kind === 'deleted-before') return { sql: '"_deleted_at" IS NOT NULL AND "_deleted_at" < ?', params: [iso] }
  if (filter.kind === 'rejects-of-runs-before') return { sql: 'run_id IN (SELECT id FROM sync_runs WHERE ended_at < ?)', params: [iso] }
  const type = target.shape.columns.find((c) => c.name === filter.column)?.type ?? 'TEXT'
  const numeric = /INT|REAL|FLOA|DOUB|NUM/.test(type)
  return { sql: `${quoteIdent(filter.column)} < ?`, params: [numeric ? filter.cutoff.getTime() / 1000 : iso] }
}
