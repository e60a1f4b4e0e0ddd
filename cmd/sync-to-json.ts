import type { SyncReport } from '../src/engine/sync-report.js'

/** The `--json` contract of a sync: scripts and monitors read these names. */
export function syncToJson(report: SyncReport): object {
  return {
    ok: report.ok,
    mode: report.mode,
    reason: report.reason,
    chunk: report.chunk,
    workers: report.workers,
    dryRun: report.dryRun,
    records: report.records,
    phases: roundAll(report.phases),
    busy: roundAll(report.busy),
    overlap: report.overlap ?? null,
    recordsPerSec: report.recordsPerSec,
    peakRssMb: report.peakRssMb,
    runId: report.runId ?? null,
    maintenance: report.maintenance,
    chunkSizes: report.chunkSizes,
    memory: report.memory,
    backup: report.backup === undefined ? null : { path: report.backup.path, ms: Math.round(report.backup.ms) },
    sources: report.sources.map((s) => ({
      name: s.name,
      table: s.table,
      file: s.file ?? null,
      state: s.state,
      resumedRecords: s.resumedRecords,
      knownRecords: s.knownRecords,
      schema: s.schema ?? null,
      records: s.records,
      ...(s.state === 'failed' ? { error: s.error, code: s.code } : {}),
      ...(s.state === 'skipped' ? { holder: s.holder } : {}),
    })),
  }
}

function roundAll<T extends object>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.round((v as number) * 10) / 10])) as T
}
