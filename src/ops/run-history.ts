import { existsSync } from 'node:fs'
import type { RecordCounts } from '../engine/sync-report.js'
import { openDatabase, type SqliteDatabase } from '../sink/sqlite/sqlite-driver.js'

/** How a recorded run ended; `running` while it goes on, `interrupted` when its process died. */
export type RunOutcome = 'ok' | 'partial' | 'failed' | 'interrupted' | 'running'

/** One source of a recorded run, as the run's report kept it. */
export interface RecordedSource {
  readonly name: string
  readonly state: string
  readonly records: RecordCounts
  readonly error: string | undefined
}

/** One row of `sync_runs`, typed. Times in milliseconds; `undefined` where a run did not get that far. */
export interface RecordedRun {
  readonly id: number
  readonly startedAt: string
  readonly endedAt: string | undefined
  readonly outcome: RunOutcome
  readonly mode: string | undefined
  readonly chunk: number | undefined
  readonly workers: number | undefined
  readonly records: RecordCounts
  readonly phases: { dbInit: number; read: number; transform: number; write: number; finalize: number; total: number } | undefined
  readonly recordsPerSec: number | undefined
  readonly peakRssMb: number | undefined
  readonly error: string | undefined
  readonly pid: number | undefined
  readonly host: string | undefined
  readonly sources: readonly RecordedSource[]
}

/** True for a run that ended without its sync succeeding. */
export function isFailedRun(run: RecordedRun): boolean {
  return run.outcome === 'failed' || run.outcome === 'partial' || run.outcome === 'interrupted'
}

/**
 * Opens a database read-only to look at it, or returns undefined when there is no file yet. The caller
 * closes it. A file that is not a SQLite database throws SQLite's error.
 */
export function openForReading(dbPath: string): SqliteDatabase | undefined {
  if (!existsSync(dbPath)) return undefined
  return openDatabase(dbPath, { readonly: true, fileMustExist: true })
}

/** True when the database has cachesync's run table (a database cachesync never synced has not). */
export function hasRunTable(db: SqliteDatabase): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_runs'").get() !== undefined
}

/** The newest `limit` runs, newest first; none when the database has no run table. */
export function readRuns(db: SqliteDatabase, options: { limit?: number; finishedOnly?: boolean } = {}): RecordedRun[] {
  if (!hasRunTable(db)) return []
  const where = options.finishedOnly ? "WHERE outcome <> 'running'" : ''
  const rows = db.prepare(`SELECT * FROM sync_runs ${where} ORDER BY id DESC LIMIT ?`).all(options.limit ?? -1) as RunRow[]
  return rows.map(toRun)
}

/** The newest run that ended with outcome `ok`, if any. */
export function lastSuccessfulRun(db: SqliteDatabase): RecordedRun | undefined {
  if (!hasRunTable(db)) return undefined
  const row = db.prepare("SELECT * FROM sync_runs WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1").get() as RunRow | undefined
  return row === undefined ? undefined : toRun(row)
}

interface RunRow {
  id: number
  started_at: string
  ended_at: string | null
  outcome: string
  mode: string | null
  chunk: number | null
  workers: number | null
  records_read: number | null
  inserted: number | null
  updated: number | null
  unchanged: number | null
  deleted: number | null
  rejected: number | null
  db_init_ms: number | null
  read_ms: number | null
  transform_ms: number | null
  write_ms: number | null
  finalize_ms: number | null
  total_ms: number | null
  records_per_sec: number | null
  peak_rss_mb: number | null
  error: string | null
  pid: number | null
  host: string | null
  report: string | null
}

function toRun(row: RunRow): RecordedRun {
  return {
    id: row.id,
    startedAt: row.started_at,
    endedAt: row.ended_at ?? undefined,
    outcome: row.outcome as RunOutcome,
    mode: row.mode ?? undefined,
    chunk: row.chunk ?? undefined,
    workers: row.workers ?? undefined,
    records: {
      read: row.records_read ?? 0,
      inserted: row.inserted ?? 0,
      updated: row.updated ?? 0,
      unchanged: row.unchanged ?? 0,
      deleted: row.deleted ?? 0,
      rejected: row.rejected ?? 0,
    },
    phases:
      row.total_ms === null
        ? undefined
        : {
            dbInit: row.db_init_ms ?? 0,
            read: row.read_ms ?? 0,
            transform: row.transform_ms ?? 0,
            write: row.write_ms ?? 0,
            finalize: row.finalize_ms ?? 0,
            total: row.total_ms,
          },
    recordsPerSec: row.records_per_sec ?? undefined,
    peakRssMb: row.peak_rss_mb ?? undefined,
    error: row.error ?? undefined,
    pid: row.pid ?? undefined,
    host: row.host ?? undefined,
    sources: sourcesOf(row.report),
  }
}

/** The per-source part of a run's stored report; an unreadable report gives none rather than failing the reader. */
function sourcesOf(report: string | null): RecordedSource[] {
  if (report === null) return []
  try {
    const parsed = JSON.parse(report) as { sources?: unknown }
    if (!Array.isArray(parsed.sources)) return []
    return parsed.sources.flatMap((s: Partial<RecordedSource> & { records?: RecordCounts }) =>
      typeof s?.name === 'string' && s.records !== undefined
        ? [{ name: s.name, state: String(s.state ?? '?'), records: s.records, error: typeof s.error === 'string' ? s.error : undefined }]
        : [],
    )
  } catch {
    return []
  }
}
