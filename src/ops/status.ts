import { statSync } from 'node:fs'
import { join } from 'node:path'
import { locateCacheFile } from '../cache/cache-files.js'
import { readIncrementalState } from '../cache/delta-files.js'
import type { ResolvedConfig, ResolvedSource } from '../config/resolve-config.js'
import type { ResolvedSink } from '../config/resolve-sink.js'
import type { RecordCounts } from '../engine/sync-report.js'
import { openSinkReader } from '../sink/open-sink.js'
import type { RecordedRun } from '../sink/recorded-run.js'
import type { SinkReader, SyncHolder } from '../sink/sink-reader.js'
import { inspectLock } from '../util/pid-lock.js'
import { openBreakers, readBreakerFile } from '../warm/breaker-file.js'
import { WARM_LOCK_FILE } from '../warm/run-warm.js'
import { readWarmRecord, type WarmRecordEntry } from '../warm/warm-record.js'

/** A lock's holder; `alive: false` is a holder that died, whose lock the next run takes over. */
export type LockState = SyncHolder | undefined

export interface DatabaseStatus {
  readonly kind: ResolvedSink['kind']
  /** The database as it may be printed: the SQLite file, or the PostgreSQL URL with its password masked. */
  readonly target: string
  /** The SQLite file; undefined on PostgreSQL. */
  readonly path: string | undefined
  /** The PostgreSQL schema; undefined on SQLite. */
  readonly schema: string | undefined
  /** SQLite: the file exists. PostgreSQL: the schema holds cachesync's tables. */
  readonly exists: boolean
  /** SQLite: the file and its WAL together. PostgreSQL: the schema's tables with their indexes and TOAST. */
  readonly bytes: number
  /** SQLite's page figures; undefined on PostgreSQL. */
  readonly pages: number | undefined
  readonly pageSize: number | undefined
  readonly freePages: number | undefined
  readonly lastRun: RecordedRun | undefined
  /**
   * A sync holding the database, or one that died holding it (`alive: false`): SQLite's lock file, or
   * on PostgreSQL a run still `running`, alive while its session is (one that lives, when several do).
   */
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
  /** An incremental source's cursor and deltas; undefined for others, or before its first full fetch. */
  readonly incremental: IncrementalStatus | undefined
}

export interface IncrementalStatus {
  /** The value the next incremental fetch sends. */
  readonly cursor: string | number | null
  /** Deltas in the cache since the last full fetch, and their records: what a sync applies after the full file. */
  readonly deltas: number
  readonly deltaRecords: number
  /** When the last full fetch ended, and when the next is due (`fullEvery`). */
  readonly lastFullAt: string
  readonly nextFullAt: string | undefined
  /** Records of the last full fetch without a cursor value: only full fetches see them change. */
  readonly nullCursorRecords: number
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
  /** Hosts whose circuit breaker is open (saved in the cache directory): warms do not ask them until then. */
  readonly openBreakers: readonly { readonly host: string; readonly openUntil: string }[]
  readonly sources: readonly SourceStatus[]
  readonly at: string
}

/**
 * Everything `cachesync status` shows, read without writing: the sink's database (or its absence), the
 * cache files, their meta files and the warm record, the warm's lock file.
 */
export async function readStatus(config: ResolvedConfig, options: { now?: () => number } = {}): Promise<Status> {
  const now = (options.now ?? Date.now)()
  const warmRecord = await readWarmRecord(config.cacheDir)
  const reader = await openSinkReader(config.sink)
  try {
    const runs = await reader.readRuns({ limit: 50 })
    const synced = await reader.syncedAt()
    const sources: SourceStatus[] = []
    for (const source of config.sources) {
      sources.push({
        name: source.name,
        table: source.table,
        rows: await reader.tableRows(source.table),
        lastSync: lastSyncOf(source.name, runs),
        syncedAt: synced.get(source.name),
        cache: await cacheStatus(config, source, now),
        lastWarm: warmRecord[source.name],
        incremental: await incrementalStatus(config.cacheDir, source),
      })
    }
    return {
      db: await databaseStatus(config.sink, reader, runs.find((r) => r.outcome !== 'running') ?? runs[0]),
      cacheDir: config.cacheDir,
      warmLock: inspectLock(join(config.cacheDir, WARM_LOCK_FILE)),
      openBreakers: openBreakers(await readBreakerFile(config.cacheDir), now),
      sources,
      at: new Date(now).toISOString(),
    }
  } finally {
    await reader.close()
  }
}

async function databaseStatus(sink: ResolvedSink, reader: SinkReader, lastRun: RecordedRun | undefined): Promise<DatabaseStatus> {
  const { bytes, pages } = await reader.describe()
  const holders = await reader.runningSyncs()
  return {
    kind: sink.kind,
    target: reader.target,
    path: sink.kind === 'sqlite' ? sink.path : undefined,
    schema: sink.kind === 'postgres' ? sink.schema : undefined,
    exists: reader.missing === undefined,
    bytes,
    pages: pages?.count,
    pageSize: pages?.size,
    freePages: pages?.free,
    lastRun,
    syncLock: holders.find((h) => h.alive) ?? holders[0],
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

async function incrementalStatus(cacheDir: string, source: ResolvedSource): Promise<IncrementalStatus | undefined> {
  const state = await readIncrementalState(cacheDir, source.name)
  if (state === undefined) return undefined
  const every = source.http?.incremental?.fullEveryMs
  return {
    cursor: state.cursor,
    deltas: state.deltas.length,
    deltaRecords: state.deltas.reduce((sum, d) => sum + d.records, 0),
    lastFullAt: state.fullAt,
    nextFullAt: every === undefined ? undefined : new Date(Date.parse(state.fullAt) + every).toISOString(),
    nullCursorRecords: state.nullCursorRecords,
  }
}

function lastSyncOf(name: string, runs: readonly RecordedRun[]): SourceStatus['lastSync'] {
  for (const run of runs) {
    const source = run.sources.find((s) => s.name === name)
    if (source !== undefined) return { runId: run.id, at: run.startedAt, state: source.state, records: source.records, error: source.error }
  }
  return undefined
}
