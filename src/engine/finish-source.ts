import type { SqliteSink } from '../sink/sqlite-sink.js'
import type { Logger } from '../util/logger.js'
import type { BusyTimes, Deletion, SourceJob, SourceRun } from './source-job.js'
import type { RecordCounts, SourceReport } from './sync-report.js'

/**
 * Closes a source's sync: derives inserted and updated from the row count, removes the rows that
 * vanished upstream (only after a complete read), keeps the rejects and records the source's state,
 * all in one transaction.
 */
export function finishSource(job: SourceJob, run: SourceRun, sink: SqliteSink, runId: number, busy: BusyTimes, logger: Logger): SourceReport {
  const started = performance.now()
  const deletedAt = new Date().toISOString()
  const records = sink.transaction((): RecordCounts => {
    const { inserted, updated } = run.written
    const deleted = run.complete && run.error === undefined ? removeVanished(job, run.deletion, deletedAt) : 0
    job.commits.finish(run.rejects.slice(run.rejectsCommitted), run.complete && run.error === undefined)
    if (run.complete && run.error === undefined) {
      sink.recordSourceSynced(job.source, { contentHash: job.contentHash, fingerprint: job.mapping.fingerprint, runId })
    }
    const read = run.counts.read
    return { read, inserted, updated, unchanged: read - run.counts.rejected - inserted - updated, deleted, rejected: run.counts.rejected }
  })
  busy.write += performance.now() - started
  const base = { name: job.source.name, table: job.source.table, file: job.file.path, records, resumedRecords: job.resumeFrom.records, ms: 0 }
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

function removeVanished(job: SourceJob, deletion: Deletion, deletedAt: string): number {
  if (deletion.kind === 'none') return 0
  return job.writer.removeRows(deletion.known.unseen(), deletedAt)
}
