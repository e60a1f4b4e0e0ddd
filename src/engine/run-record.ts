import type { RunRecord } from '../sink/sink.js'
import type { SyncReport } from './sync-report.js'

/** The row of `sync_runs` that records a finished sync: its outcome, figures, and the report's details. */
export function runRecord(report: SyncReport): RunRecord {
  return {
    outcome: report.ok ? 'ok' : report.sources.some((s) => s.state !== 'failed') ? 'partial' : 'failed',
    mode: report.mode,
    reason: report.reason,
    chunk: report.chunk,
    workers: report.workers,
    records: report.records,
    phases: report.phases,
    recordsPerSec: report.recordsPerSec,
    peakRssMb: report.peakRssMb,
    error: report.sources.flatMap((s) => (s.state === 'failed' ? [`${s.name}: ${s.error}`] : [])).join('\n') || undefined,
    report: {
      sources: report.sources,
      busy: report.busy,
      maintenance: report.maintenance,
      backup: report.backup,
      chunkSizes: report.chunkSizes,
      memory: report.memory,
    },
  }
}
