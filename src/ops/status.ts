import { statSync } from 'node:fs'
import { join } from 'node:path'
import { locateCacheFile } from '../cache/cache-files.js'
import type { ResolvedConfig, ResolvedSource } from '../config/resolve-config.js'
import type { RecordCounts } from '../engine/sync-report.js'
import type { SqliteDatabase } from '../sink/sqlite/sqlite-driver.js'
import { quoteIdent } from '../sink/sqlite/sqlite-schema.js'
import { databaseBytes } from '../util/database-bytes.js'
import { CachesyncError } from '../util/errors.js'
import { inspectLock, type LockHolder } from '../util/pid-lock.js'
import { WARM_LOCK_FILE } from '../warm/run-warm.js'
import { readWarmRecord, type WarmRecordEntry } from '../warm/warm-record.js'
import { openForReading, type RecordedRun, readRuns } from './run-history.js'

/** A lock file's holder; `alive: false` is a stale lock that the next run takes over. */
export type LockState = (LockHolder & { readonly alive: boolean }) | undefined

export interface DatabaseStatus {
  readonly path: string
  readonly exists: boolean
  /** The file and its WAL together. */
  readonly bytes: number
  readonly pages: number
  readonly pageSize: number
  readonly freePages: number
  readonly lastRun: RecordedRun | undefined
  /** The holder of the single-writer lock: a sync running (or one killed, when not alive). */
  readonly syncLock: LockState
}

export interface SourceStatus {
  readonly name: string
  readonly table: string
  /** Undefined when the table does not exist yet. */
  readonly rows: { readonly live: number; readonly deleted: number } | undefined
  /** The source in the newest run that reported it. */
  readonly lastSync:
    | { readonly runId: number; readonly at: string; readonly state: string; readonly records: RecordCounts; readonly error: string | undefined }
    | undefined
  /** When the source's cache was last synced successfully (its content hash recorded). */
  readonly syncedAt: string | undefined
  readonly cache: CacheStatus
  readonly lastWarm: WarmRecordEntry | undefined
}

export interface CacheStatus {
  readonly file: string | undefined
  readonly bytes: number | undefined
  readonly records: number | undefined
  /** When its content was last known current: checked, fetched, or the file's mtime. */
  readonly currentAt: string | undefined
  readonly ageMs: number | undefined
  readonly maxAgeMs: number | undefined
  /** Younger than its max age; undefined without a max age or a file. */
  readonly fresh: boolean | undefined
  /** Why there is no file, when there is none. */
  readonly missing: string | undefined
}

export interface Status {
  readonly db: DatabaseStatus
  readonly cacheDir: string
  /** The holder of the cache directory's warm lock: a warm running. */
  readonly warmLock: LockState
  readonly sources: readonly SourceStatus[]
  readonly at: string
}

/**
 * Everything `cachesync status` shows, read without writing: the database opened read-only (or absent),
 * the cache files, their meta files and the warm record, the lock files.
 */
export async function readStatus(config: ResolvedConfig, options: { now?: () => number } = {}): Promise<Status> {
  const now = (options.now ?? Date.now)()
  const warmRecord = await readWarmRecord(config.cacheDir)
  let db: SqliteDatabase | undefined
  try {
    db = openForReading(config.db)
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot read database ${config.db}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const runs = db === undefined ? [] : readRuns(db, { limit: 50 })
    const synced = db === undefined ? new Map<string, string>() : syncedAtBySource(db)
    const tables = db === undefined ? new Set<string>() : tableNames(db)
    const sources: SourceStatus[] = []
    for (const source of config.sources) {
      sources.push({
        name: source.name,
        table: source.table,
        rows: db !== undefined && tables.has(source.table) ? countRows(db, source.table) : undefined,
        lastSync: lastSyncOf(source.name, runs),
        syncedAt: synced.get(source.name),
        cache: await cacheStatus(config, source, now),
        lastWarm: warmRecord[source.name],
      })
    }
    return {
      db: databaseStatus(config.db, db, runs.find((r) => r.outcome !== 'running') ?? runs[0]),
      cacheDir: config.cacheDir,
      warmLock: inspectLock(join(config.cacheDir, WARM_LOCK_FILE)),
      sources,
      at: new Date(now).toISOString(),
    }
  } catch (err) {
    if (err instanceof CachesyncError) throw err
    throw new CachesyncError('ERR_IO', `Cannot read database ${config.db}: ${(err as Error).message}`, { cause: err })
  } finally {
    db?.close()
  }
}

function databaseStatus(path: string, db: SqliteDatabase | undefined, lastRun: RecordedRun | undefined): DatabaseStatus {
  const syncLock = inspectLock(`${path}.lock`)
  if (db === undefined) return { path, exists: false, bytes: 0, pages: 0, pageSize: 0, freePages: 0, lastRun: undefined, syncLock }
  const pragma = (name: string): number => Number(db.pragma(name, { simple: true }))
  return {
    path,
    exists: true,
    bytes: databaseBytes(path),
    pages: pragma('page_count'),
    pageSize: pragma('page_size'),
    freePages: pragma('freelist_count'),
    lastRun,
    syncLock,
  }
}

async function cacheStatus(config: ResolvedConfig, source: ResolvedSource, now: number): Promise<CacheStatus> {
  const maxAgeMs = source.http?.maxAgeMs ?? config.warm.maxAgeMs
  let file: Awaited<ReturnType<typeof locateCacheFile>>
  try {
    file = await locateCacheFile(config.cacheDir, source)
  } catch (err) {
    const missing = (err as Error).message
    return { file: undefined, bytes: undefined, records: undefined, currentAt: undefined, ageMs: undefined, maxAgeMs, fresh: undefined, missing }
  }
  // The meta file counts only when it describes this very file (same size), as warm judges it.
  const meta = file.meta?.bytes === file.bytes ? file.meta : undefined
  const stamp = Date.parse(meta?.checkedAt ?? meta?.fetchedAt ?? '')
  const currentAt = Number.isNaN(stamp) ? statSync(file.path).mtimeMs : stamp
  const ageMs = Math.max(0, now - currentAt)
  return {
    file: file.path,
    bytes: file.bytes,
    records: meta?.records,
    currentAt: new Date(currentAt).toISOString(),
    ageMs,
    maxAgeMs,
    fresh: maxAgeMs === undefined ? undefined : ageMs < maxAgeMs,
    missing: undefined,
  }
}

function lastSyncOf(name: string, runs: readonly RecordedRun[]): SourceStatus['lastSync'] {
  for (const run of runs) {
    const source = run.sources.find((s) => s.name === name)
    if (source !== undefined) return { runId: run.id, at: run.startedAt, state: source.state, records: source.records, error: source.error }
  }
  return undefined
}

function countRows(db: SqliteDatabase, table: string): { live: number; deleted: number } {
  const row = db.prepare(`SELECT count(*) AS total, count("_deleted_at") AS deleted FROM ${quoteIdent(table)}`).get() as { total: number; deleted: number }
  return { live: row.total - row.deleted, deleted: row.deleted }
}

function syncedAtBySource(db: SqliteDatabase): Map<string, string> {
  if (!tableNames(db).has('sync_sources')) return new Map()
  const rows = db.prepare('SELECT source, synced_at AS syncedAt FROM sync_sources').all() as { source: string; syncedAt: string | null }[]
  return new Map(rows.flatMap((r) => (r.syncedAt === null ? [] : [[r.source, r.syncedAt] as [string, string]])))
}

function tableNames(db: SqliteDatabase): Set<string> {
  return new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[])
}
