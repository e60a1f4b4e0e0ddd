import { existsSync } from 'node:fs'
import type { InferredColumn } from '../../config/resolve-config.js'
import { databaseBytes } from '../../util/database-bytes.js'
import { CachesyncError } from '../../util/errors.js'
import { type RecordedRun, type RunRow, toRecordedRun } from '../recorded-run.js'
import type { DatabaseDescription, SinkReader, SyncHolder, TableRows } from '../sink-reader.js'
import { DbLock } from './db-lock.js'
import { openDatabase, type SqliteDatabase } from './sqlite-driver.js'
import { quoteIdent } from './sqlite-schema.js'
import { storedSchema } from './sqlite-schema-record.js'

/**
 * Reads a SQLite database for `status`, `history` and `monitor`: opened read-only, or not at all when
 * the file does not exist (it is never created here). A sync writing meanwhile is not disturbed: WAL
 * lets a reader see the last commit.
 */
export class SqliteReader implements SinkReader {
  readonly target: string
  readonly missing: string | undefined
  readonly #db: SqliteDatabase | undefined

  private constructor(path: string, db: SqliteDatabase | undefined) {
    this.target = path
    this.#db = db
    this.missing = db === undefined ? `no database at ${path} yet` : undefined
  }

  static open(path: string): SqliteReader {
    if (!existsSync(path)) return new SqliteReader(path, undefined)
    try {
      return new SqliteReader(path, openDatabase(path, { readonly: true, fileMustExist: true }))
    } catch (err) {
      throw cannotRead(path, err)
    }
  }

  async readRuns(options: { limit?: number; finishedOnly?: boolean } = {}): Promise<RecordedRun[]> {
    return this.#read((db) => {
      if (!hasTable(db, 'sync_runs')) return []
      const where = options.finishedOnly ? "WHERE outcome <> 'running'" : ''
      const rows = db.prepare(`SELECT * FROM sync_runs ${where} ORDER BY id DESC LIMIT ?`).all(options.limit ?? -1) as RunRow[]
      return rows.map(toRecordedRun)
    }, [])
  }

  async lastSuccessfulRun(): Promise<RecordedRun | undefined> {
    return this.#read((db) => {
      if (!hasTable(db, 'sync_runs')) return undefined
      const row = db.prepare("SELECT * FROM sync_runs WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1").get() as RunRow | undefined
      return row === undefined ? undefined : toRecordedRun(row)
    }, undefined)
  }

  async storedSchema(source: string): Promise<InferredColumn[] | undefined> {
    return this.#read((db) => storedSchema(db, source), undefined)
  }

  async syncedAt(): Promise<ReadonlyMap<string, string>> {
    return this.#read((db) => {
      if (!hasTable(db, 'sync_sources')) return new Map()
      const rows = db.prepare('SELECT source, synced_at AS syncedAt FROM sync_sources WHERE synced_at IS NOT NULL').all() as {
        source: string
        syncedAt: string
      }[]
      return new Map(rows.map((r) => [r.source, r.syncedAt]))
    }, new Map())
  }

  async tableRows(table: string): Promise<TableRows | undefined> {
    return this.#read((db) => {
      if (!hasTable(db, table)) return undefined
      const row = db.prepare(`SELECT count(*) AS total, count("_deleted_at") AS deleted FROM ${quoteIdent(table)}`).get() as { total: number; deleted: number }
      return { live: row.total - row.deleted, deleted: row.deleted }
    }, undefined)
  }

  async describe(): Promise<DatabaseDescription> {
    return this.#read(
      (db) => {
        const pragma = (name: string): number => Number(db.pragma(name, { simple: true }))
        return {
          bytes: databaseBytes(this.target),
          pages: { count: pragma('page_count'), size: pragma('page_size'), free: pragma('freelist_count') },
        }
      },
      { bytes: 0, pages: { count: 0, size: 0, free: 0 } },
    )
  }

  async runningSyncs(): Promise<SyncHolder[]> {
    const holder = DbLock.inspect(this.target)
    return holder === undefined ? [] : [holder]
  }

  async close(): Promise<void> {
    this.#db?.close()
  }

  /** `read` on the open database, or `absent` when there is no file; SQLite's errors name the file. */
  #read<T>(read: (db: SqliteDatabase) => T, absent: T): T {
    if (this.#db === undefined) return absent
    try {
      return read(this.#db)
    } catch (err) {
      throw cannotRead(this.target, err)
    }
  }
}

function hasTable(db: SqliteDatabase, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined
}

function cannotRead(path: string, err: unknown): CachesyncError {
  return new CachesyncError('ERR_IO', `Cannot read database ${path}: ${(err as Error).message}`, { cause: err })
}
