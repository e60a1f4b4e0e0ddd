import type { MemoryRecord } from './memory-guard.js'

/** Records by what happened to them. */
export interface RecordCounts {
  read: number
  inserted: number
  updated: number
  unchanged: number
  deleted: number
  rejected: number
}

/** Milliseconds per phase; they add up to `total`. */
export interface PhaseTimes {
  dbInit: number
  read: number
  transform: number
  write: number
  /** ANALYZE or VACUUM after the run (`--vacuum`). */
  maintenance: number
  finalize: number
  total: number
}

export type SyncMode = 'parallel' | 'sequential' | 'streaming'

/** A source's outcome is a result, not an exception: a failed source does not stop the others. */
export type SourceReport = {
  name: string
  table: string
  file: string | undefined
  /** Records an earlier, killed run of this very file committed: not read again (0 on a fresh start). */
  resumedRecords: number
  records: RecordCounts
  ms: number
} & (
  | { state: 'synced' }
  | { state: 'unchanged' }
  /** Another host was syncing the source and `--pg-lock skip` was asked: `holder` says who. */
  | { state: 'skipped'; holder: string }
  | { state: 'failed'; error: string; code: string }
)

export interface SyncReport {
  ok: boolean
  mode: SyncMode
  reason: string
  chunk: number
  workers: number
  dryRun: boolean
  records: RecordCounts
  phases: PhaseTimes
  /**
   * Time each phase kept a thread busy, summed over threads. In parallel mode reading, transforming
   * and writing overlap, so these add up to more than the wall time that `phases` apportions.
   */
  busy: { read: number; transform: number; write: number }
  overlap: string | undefined
  recordsPerSec: number
  peakRssMb: number
  runId: number | undefined
  /** What `--vacuum` did after the run. */
  maintenance: 'none' | 'analyze' | 'vacuum'
  /** The backup `--backup-before` took. */
  backup: { path: string; ms: number } | undefined
  /** Every chunk size used, in order: one unless `--chunk auto` adapted it or memory pressure halved it. */
  chunkSizes: number[]
  memory: MemoryRecord
  sources: SourceReport[]
}

export function emptyCounts(): RecordCounts {
  return { read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 }
}

export function addCounts(into: RecordCounts, more: RecordCounts): void {
  into.read += more.read
  into.inserted += more.inserted
  into.updated += more.updated
  into.unchanged += more.unchanged
  into.deleted += more.deleted
  into.rejected += more.rejected
}
