import type { MemoryRecord } from './memory-guard.js'

/**
 * Records by what happened to them.
 *
 * @example
 * const { inserted, updated, deleted } = report.records
 */
export interface RecordCounts {
  read: number
  inserted: number
  updated: number
  unchanged: number
  deleted: number
  rejected: number
}

/**
 * Milliseconds per phase; they add up to `total`.
 *
 * @example
 * console.log(`write ${Math.round(report.phases.write)} of ${Math.round(report.phases.total)} ms`)
 */
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

/**
 * How a sync ran: all sources at once on worker threads, one whole file after another, or in chunks.
 *
 * @example
 * if (report.mode === 'streaming') console.log('chunks of', report.chunk)
 */
export type SyncMode = 'parallel' | 'sequential' | 'streaming'

/**
 * What a sync did to the inferred columns of a source (`'*': auto`, or no `columns`).
 *
 * @example
 * for (const c of source.schema?.added ?? []) console.log('new column', c.column, c.type)
 */
export interface SchemaReport {
  /** Columns added for fields met for the first time. */
  added: { column: string; field: string; type: string }[]
  /** Columns whose type widened to hold a value (their stored values converted). */
  widened: { column: string; from: string; to: string }[]
  /** Values dropped under `schema: discard`, by field. */
  dropped: Record<string, number>
}

/**
 * One source of a sync. Its outcome is a result, not an exception: a failed source does not stop the others.
 *
 * @example
 * for (const s of report.sources) if (s.state === 'failed') console.error(s.name, s.code, s.error)
 */
export type SourceReport = {
  name: string
  table: string
  file: string | undefined
  /** Records an earlier, killed run of this very file committed: not read again (0 on a fresh start). */
  resumedRecords: number
  /** Records whose bytes a live row already had: counted `unchanged` without being parsed. */
  knownRecords: number
  records: RecordCounts
  ms: number
  /** Only for a source whose columns are inferred. */
  schema?: SchemaReport
} & (
  | { state: 'synced' }
  | { state: 'unchanged' }
  /** Another host was syncing the source and `--pg-lock skip` was asked: `holder` says who. */
  | { state: 'skipped'; holder: string }
  | { state: 'failed'; error: string; code: string }
)

/**
 * What {@link runSync} did: the mode, counts, phase times and memory of the run, and a report per source.
 *
 * @example
 * const report = await runSync(config)
 * if (!report.ok) console.error(report.sources.filter((s) => s.state === 'failed'))
 */
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
