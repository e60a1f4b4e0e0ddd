import type { RecordCounts } from '../engine/sync-report.js'

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
  /** The process that ran the sync, and the host it ran on. */
  readonly pid: number | undefined
  readonly host: string | undefined
  readonly sources: readonly RecordedSource[]
}

/**
 * A `sync_runs` row as a sink reads it: the columns by name, times as ISO 8601 text in UTC, numbers as
 * numbers and the report as JSON text. Both sinks' readers select into this shape.
 */
export interface RunRow {
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

/** The columns of {@link RunRow}, in the order of the table. */
export const RUN_COLUMNS: readonly (keyof RunRow)[] = [
  'id',
  'started_at',
  'ended_at',
  'outcome',
  'mode',
  'chunk',
  'workers',
  'records_read',
  'inserted',
  'updated',
  'unchanged',
  'deleted',
  'rejected',
  'db_init_ms',
  'read_ms',
  'transform_ms',
  'write_ms',
  'finalize_ms',
  'total_ms',
  'records_per_sec',
  'peak_rss_mb',
  'error',
  'pid',
  'host',
  'report',
]

/** A row of `sync_runs` as a recorded run, whichever sink it came from. */
export function toRecordedRun(row: RunRow): RecordedRun {
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
        ? [{ name: s.name, state: String(s.state ?? '?'), records: countsOf(s.records), error: typeof s.error === 'string' ? s.error : undefined }]
        : [],
    )
  } catch {
    return []
  }
}

/** The counts in their usual order: PostgreSQL's jsonb keeps an object's keys in an order of its own. */
function countsOf(records: RecordCounts): RecordCounts {
  return {
    read: records.read,
    inserted: records.inserted,
    updated: records.updated,
    unchanged: records.unchanged,
    deleted: records.deleted,
    rejected: records.rejected,
  }
}
