import { forEachLine, readBytes, readJsonRecords } from '../../cache/line-reader.js'
import { RecordProcessor } from '../../engine/record-processor.js'
import { RowBatcher } from '../row-batcher.js'
import { addWritten, emptyRun, type ModeContext, type SourceJob, type SourceRun, timed } from '../source-job.js'
import { tooManyRejects } from './parallel.js'

/**
 * Sequential mode: one source at a time, its whole file in memory, parsed and written on this thread in
 * transactions of `chunk` rows. The simplest path, and the reference the others are checked against.
 */
export async function runSequential(jobs: readonly SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  const runs: SourceRun[] = []
  for (const job of jobs) runs.push(syncWholeFile(job, ctx))
  return runs
}

function syncWholeFile(job: SourceJob, ctx: ModeContext): SourceRun {
  const run = emptyRun()
  try {
    const known = job.hadLiveRows ? timed(ctx.busy, 'read', () => job.writer.loadLiveHashes()) : undefined
    const batcher = new RowBatcher(ctx.chunk, (rows, hashes) => {
      if (job.maxRejects !== undefined && processor.counts.rejected > job.maxRejects)
        throw tooManyRejects(job, { ...run, counts: processor.counts, rejects: processor.rejects })
      const started = performance.now()
      addWritten(
        run,
        ctx.sink.transaction(() => job.writer.upsert(rows, hashes)),
      )
      ctx.busy.write += performance.now() - started
      ctx.onProgress?.({ source: job.source.name, bytesDone: 0, bytesTotal: job.file.bytes, records: processor.counts.read })
    })
    const processor = new RecordProcessor(job.mapping, known, batcher.add, { skipKnown: !job.rewrite })
    const file = job.file
    const writeAtStart = ctx.busy.write
    let started = performance.now()
    if (file.format === 'json') {
      const records = readJsonRecords(file.path, file.gzip, job.mapping.recordsPath)
      ctx.busy.read += performance.now() - started
      started = performance.now()
      records.forEach((record, i) => processor.processRecord(record, i + 1))
    } else {
      const bytes = readBytes(file.path, { start: 0, end: file.bytes }, file.gzip)
      ctx.busy.read += performance.now() - started
      started = performance.now()
      forEachLine(bytes, (text, index) => processor.processLine(text, index + 1))
    }
    batcher.flush()
    ctx.busy.transform += performance.now() - started - (ctx.busy.write - writeAtStart)
    run.counts = processor.counts
    run.rejects = processor.rejects
    if (job.maxRejects !== undefined && run.counts.rejected > job.maxRejects) throw tooManyRejects(job, run)
    run.complete = true
    run.deletion = known === undefined ? { kind: 'none' } : { kind: 'unseen', known }
  } catch (err) {
    run.error = err as Error
  }
  return run
}
