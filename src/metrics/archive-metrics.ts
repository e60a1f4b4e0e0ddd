import { ARCHIVE_PHASES, type ArchiveReport } from '../archive/run-archive.js'
import type { MetricFamily } from './prometheus-text.js'

/** The metrics of an archive run (`archive --metrics-file`); a failed run writes only when and that it failed. */
export function archiveMetrics(report: ArchiveReport | undefined, endedAt: Date): MetricFamily[] {
  const families: MetricFamily[] = [
    gauge('cachesync_archive_last_run_timestamp_seconds', 'When the last archive run ended, in Unix seconds.', [{ value: endedAt.getTime() / 1000 }]),
    gauge('cachesync_archive_success', '1 when the last archive run succeeded, 0 otherwise.', [{ value: report === undefined ? 0 : 1 }]),
  ]
  if (report === undefined) return families
  return [
    ...families,
    gauge('cachesync_archive_duration_seconds', 'Wall time of the last archive run.', [{ value: seconds(report.totalMs) }]),
    gauge(
      'cachesync_archive_phase_duration_seconds',
      'Time spent in each phase of the last archive run; compress, write and verify run on worker threads beside the others.',
      ARCHIVE_PHASES.map((phase) => ({ labels: { phase }, value: seconds(report.phases[phase]) })),
    ),
    gauge(
      'cachesync_archive_rows',
      'Rows moved to archive files by the last archive run, by table.',
      report.tables.map((t) => ({ labels: { table: t.table }, value: t.rows })),
    ),
    gauge('cachesync_archive_files', 'Archive files written by the last archive run.', [{ value: report.files }]),
    gauge('cachesync_archive_bytes', 'Compressed bytes written by the last archive run.', [{ value: report.bytes }]),
    gauge('cachesync_archive_rows_per_second', 'Rows archived per second of wall time in the last archive run.', [{ value: report.rowsPerSec }]),
    gauge('cachesync_archive_peak_rss_bytes', 'Peak resident memory of the last archive run.', [{ value: report.peakRssMb * 1024 * 1024 }]),
    gauge('cachesync_archive_dry_run', '1 when the last archive run was a dry run (nothing written).', [{ value: report.dryRun ? 1 : 0 }]),
  ]
}

function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1e6
}

function gauge(name: string, help: string, samples: MetricFamily['samples']): MetricFamily {
  return { name, help, type: 'gauge', samples }
}
