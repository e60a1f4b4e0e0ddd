import type { ModeChoice } from './choose-mode.js'
import type { MaintenanceDone } from './maintenance.js'
import type { MemoryRecord } from './memory-guard.js'
import type { BusyTimes } from './source-job.js'
import { addCounts, emptyCounts, type PhaseTimes, type SourceReport, type SyncReport } from './sync-report.js'

/** When the run started, how long it took to open the database, and when the finalize phase began. */
export interface RunClock {
  started: number
  dbInit: number
  finalizeStarted: number
}

export interface ReportInput {
  choice: ModeChoice
  workers: number
  sources: SourceReport[]
  busy: BusyTimes
  dryRun: boolean
  runId: number
  maintenance: MaintenanceDone
  chunkSizes: number[]
  memory: MemoryRecord
  backup: { path: string; ms: number } | undefined
  clock: RunClock
}

/** The report of a sync: counts summed over the sources, and the phases timed up to now. */
export function buildReport(input: ReportInput): SyncReport {
  const { choice, workers, sources, busy, dryRun } = input
  const records = emptyCounts()
  for (const source of sources) addCounts(records, source.records)
  const phases: PhaseTimes = { dbInit: input.clock.dbInit, read: 0, transform: 0, write: 0, maintenance: input.maintenance.ms, finalize: 0, total: 0 }
  timePhases(phases, busy, input.clock)
  return {
    ok: sources.every((s) => s.state !== 'failed'),
    mode: choice.mode,
    reason: choice.reason,
    chunk: choice.chunk,
    workers,
    dryRun,
    records,
    phases,
    busy: { ...busy },
    overlap:
      choice.mode === 'parallel'
        ? `read, transform and write overlapped on ${workers} workers and the coordinator's thread; their wall time is shared out in proportion to busy time`
        : undefined,
    recordsPerSec: Math.round(records.read / Math.max(phases.total / 1000, 1e-3)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    runId: dryRun ? undefined : input.runId,
    maintenance: input.maintenance.action,
    backup: input.backup,
    chunkSizes: input.chunkSizes,
    memory: input.memory,
    sources,
  }
}

/**
 * Times finalize and total up to now, and shares the wall time between db init and maintenance among
 * read, transform and write by busy time.
 */
export function timePhases(phases: PhaseTimes, busy: BusyTimes, clock: RunClock): void {
  phases.finalize = performance.now() - clock.finalizeStarted
  phases.total = performance.now() - clock.started
  const middle = Math.max(0, phases.total - phases.dbInit - phases.maintenance - phases.finalize)
  const sum = busy.read + busy.transform + busy.write
  phases.read = sum === 0 ? 0 : (middle * busy.read) / sum
  phases.transform = sum === 0 ? 0 : (middle * busy.transform) / sum
  phases.write = sum === 0 ? middle : (middle * busy.write) / sum
}
