import type { LiveRowSet } from '../util/hash-set-union.js'
import type { HashSet64 } from '../util/hash-set64.js'
import type { Logger } from '../util/logger.js'
import { liveSetAfter, vanishedRows } from './live-rows-after.js'
import type { PlannedJob } from './plan-jobs.js'
import type { BusyTimes, SourceJob, SourceRun } from './source-job.js'
import type { RecordCounts, SchemaReport, SourceReport } from './sync-report.js'

/**
 * Closes every planned source in planning order: `runs[i]` is the run of the i-th job that ran; a source
 * that could not be planned keeps the report it was planned with.
 */
export async function finishSources(
  planned: readonly PlannedJob[],
  runs: readonly SourceRun[],
  runId: number,
  busy: BusyTimes,
  logger: Logger,
): Promise<SourceReport[]> {
  const reports: SourceReport[] = []
  let at = 0
  for (const plan of planned) {
    if ('job' in plan) reports.push(await finishSource(plan.job, runs[at++] as SourceRun, runId, busy, logger))
    else reports.push(plan.report)
  }
  return reports
}

/**
 * Closes a source's sync: derives inserted and updated from the row count, removes the rows that
 * vanished upstream (only after a complete read), keeps the rejects and records the source's state,
 * all in one transaction.
 */
export async function finishSource(job: SourceJob, run: SourceRun, runId: number, busy: BusyTimes, logger: Logger): Promise<SourceReport> {
  const whole = run.complete && run.error === undefined
  // A row left alone because a record holds its values under other bytes did not vanish.
  if (run.deletion.kind === 'unseen') markSeen(run.deletion.known, run.kept)
  const written = job.sourceSink.keepsLiveRows ? run.writtenRows : undefined
  const remove = whole && run.deletion.kind === 'unseen' ? { ...vanishedRows(run.deletion.known, written), deletedAt: new Date().toISOString() } : undefined
  const synced = whole ? { contentHash: job.syncedHash, fingerprint: job.mapping.fingerprint } : undefined
  // After `remove` took the unseen rows: bringing the snapshot up to date forgets which they were. Deltas
  // were applied without a snapshot: the rows written alone are not the table's live rows.
  const live = whole && !job.upsertOnly && run.writtenRows !== undefined ? nextLiveSet(run, run.writtenRows) : undefined
  const done = await job.sourceSink.finish(job.commits.finish(run.rejects.slice(run.rejectsCommitted), runId, synced, remove, live))
  busy.write += done.ms
  const { inserted, updated } = run.written
  const read = run.counts.read
  const records: RecordCounts = {
    read,
    inserted,
    updated,
    unchanged: read - run.counts.rejected - inserted - updated,
    deleted: done.deleted,
    rejected: run.counts.rejected,
  }
  const base = {
    name: job.source.name,
    table: job.source.table,
    file: job.cacheFile,
    records,
    resumedRecords: job.resumeFrom.records,
    knownRecords: run.counts.known,
    ms: 0,
    ...(job.source.open === undefined ? {} : { schema: schemaReport(run) }),
  }
  if (run.error === undefined && run.counts.read > 0 && run.counts.rejected === run.counts.read) {
    const first = run.rejects[0]
    const error = `${job.file.path}: no valid record in ${run.counts.read} (line ${first?.line}: ${first?.reason})`
    logger.error({ source: job.source.name, error }, 'source failed')
    return { ...base, state: 'failed', error, code: 'ERR_PARSE' }
  }
  if (run.error !== undefined) {
    const code = (run.error as { code?: unknown }).code
    logger.error({ source: job.source.name, error: run.error.message }, 'source failed')
    return { ...base, state: 'failed', error: run.error.message, code: typeof code === 'string' ? code : 'ERR_INTERNAL' }
  }
  logger.info({ source: job.source.name, ...records }, 'source synced')
  return { ...base, state: 'synced' }
}

/**
 * The table's live rows after this run. A rowid was written twice only where a key came twice: within
 * one worker's range the worker already kept the last row; across chunks or ranges, on a table that had
 * no live row, it shows as a row mapped but not inserted (updated, or left alone: its values equal).
 */
function nextLiveSet(run: SourceRun, written: readonly Buffer[]): HashSet64 {
  const known = run.deletion.kind === 'unseen' ? run.deletion.known : undefined
  return liveSetAfter(known, written, { repeatedRowids: known !== undefined || run.counts.mapped > run.written.inserted })
}

/** Marks the packed 8-byte hashes seen. */
function markSeen(known: LiveRowSet, packed: readonly Buffer[]): void {
  for (const part of packed) for (let at = 0; at + 8 <= part.length; at += 8) known.markSeen(part, at)
}

function schemaReport(run: SourceRun): SchemaReport {
  return {
    added: run.schemaChanges.flatMap((change) => change.add.map((c) => ({ column: c.name, field: c.path.join('.'), type: c.type }))),
    widened: run.schemaChanges.flatMap((change) => change.widen.map((w) => ({ column: w.name, from: w.from, to: w.to }))),
    dropped: Object.fromEntries(run.dropped),
  }
}
