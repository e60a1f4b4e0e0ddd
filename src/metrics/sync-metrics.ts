import type { ResolvedSink } from '../config/resolve-sink.js'
import type { PhaseTimes, RecordCounts, SyncReport } from '../engine/sync-report.js'
import { openSinkReader } from '../sink/open-sink.js'
import type { MetricFamily } from './prometheus-text.js'

const OUTCOMES: readonly (keyof RecordCounts)[] = ['read', 'inserted', 'updated', 'unchanged', 'deleted', 'rejected']
const PHASES: readonly [keyof PhaseTimes, string][] = [
  ['dbInit', 'db_init'],
  ['read', 'read'],
  ['transform', 'transform'],
  ['write', 'write'],
  ['maintenance', 'maintenance'],
  ['finalize', 'finalize'],
]

/**
 * The metrics of a finished sync run (`sync --metrics-file`): the run as a whole, then per source.
 * `databaseBytes` (see `readDatabaseBytes`), when given, lets a dashboard draw the database's growth.
 */
export function syncMetrics(report: SyncReport, endedAt: Date, databaseBytes?: number): MetricFamily[] {
  const failed = report.sources.filter((s) => s.state === 'failed')
  return [
    ...runFamilies(endedAt, report.ok, failed.length),
    gauge('cachesync_sync_duration_seconds', 'Wall time of the last sync run.', [{ value: seconds(report.phases.total) }]),
    gauge(
      'cachesync_sync_phase_duration_seconds',
      'Wall time of each phase of the last sync run; they add up to the duration.',
      PHASES.map(([key, phase]) => ({ labels: { phase }, value: seconds(report.phases[key]) })),
    ),
    gauge(
      'cachesync_sync_records',
      'Records of the last sync run by what happened to them.',
      OUTCOMES.map((outcome) => ({ labels: { outcome }, value: report.records[outcome] })),
    ),
    gauge('cachesync_sync_records_per_second', 'Records read per second of wall time in the last sync run.', [{ value: report.recordsPerSec }]),
    gauge('cachesync_sync_peak_rss_bytes', 'Peak resident memory of the last sync run.', [{ value: report.peakRssMb * 1024 * 1024 }]),
    ...(databaseBytes === undefined
      ? []
      : [
          gauge(
            'cachesync_sync_database_bytes',
            "Size of the database after the last sync run: the SQLite file and its WAL, or the PostgreSQL schema's tables with their indexes.",
            [{ value: databaseBytes }],
          ),
        ]),
    gauge('cachesync_sync_dry_run', '1 when the last sync run was a dry run (nothing written).', [{ value: report.dryRun ? 1 : 0 }]),
    gauge('cachesync_sync_cache_unchanged', 'Sources whose cache file was unchanged since their last sync (skipped: a cache hit) in the last sync run.', [
      { value: report.sources.filter((s) => s.state === 'unchanged').length },
    ]),
    gauge(
      'cachesync_sync_source_records',
      'Records of each source in the last sync run by what happened to them.',
      report.sources.flatMap((s) => OUTCOMES.map((outcome) => ({ labels: { source: s.name, outcome }, value: s.records[outcome] }))),
    ),
    gauge(
      'cachesync_sync_source_state',
      'State of each source in the last sync run: 1 for its state (synced, unchanged or failed), 0 for the others.',
      report.sources.flatMap((s) =>
        (['synced', 'unchanged', 'skipped', 'failed'] as const).map((state) => ({ labels: { source: s.name, state }, value: s.state === state ? 1 : 0 })),
      ),
    ),
  ]
}

/**
 * The size of the sink's database, read through the sink: a SQLite file and its WAL, or a PostgreSQL
 * schema's tables. Undefined when there is none or it cannot be read: the metrics go without it.
 */
export async function readDatabaseBytes(sink: ResolvedSink): Promise<number | undefined> {
  try {
    const reader = await openSinkReader(sink)
    try {
      return reader.missing === undefined ? (await reader.describe()).bytes : undefined
    } finally {
      await reader.close()
    }
  } catch {
    return undefined
  }
}

/** The metrics of a sync run that could not finish at all (locked, a full disk, a bad configuration). */
export function failedSyncMetrics(endedAt: Date): MetricFamily[] {
  return runFamilies(endedAt, false, undefined)
}

function runFamilies(endedAt: Date, ok: boolean, failedSources: number | undefined): MetricFamily[] {
  return [
    gauge('cachesync_sync_last_run_timestamp_seconds', 'When the last sync run ended, in Unix seconds.', [{ value: endedAt.getTime() / 1000 }]),
    gauge('cachesync_sync_success', '1 when the last sync run succeeded for every source, 0 otherwise.', [{ value: ok ? 1 : 0 }]),
    ...(failedSources === undefined ? [] : [gauge('cachesync_sync_failures', 'Sources that failed in the last sync run.', [{ value: failedSources }])]),
  ]
}

/** Milliseconds as seconds, to the microsecond. */
function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1e6
}

function gauge(name: string, help: string, samples: MetricFamily['samples']): MetricFamily {
  return { name, help, type: 'gauge', samples }
}
