import { type RecordBatch, streamJsonRecords, streamLines } from '../../cache/stream-records.js'
import { RecordProcessor } from '../record-processor.js'
import { RowBatcher } from '../row-batcher.js'
import { addWritten, emptyRun, type ModeContext, type SourceJob, type SourceRun, timed } from '../source-job.js'
import { tooManyRejects } from './parallel.js'

/**
 * Streaming mode: chunks of `chunk` records are read, mapped and written one after another, each chunk
 * one transaction; memory is set by the chunk, not by the file — but for the live rows' hashes (about
 * 18 bytes a row) that let unchanged records skip parsing and writing.
 */
export async function runStreaming(jobs: readonly SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  const runs: SourceRun[] = []
  for (const job of jobs) runs.push(await streamSource(job, ctx))
  return runs
}

async function streamSource(job: SourceJob, ctx: ModeContext): Promise<SourceRun> {
  const run = emptyRun()
  const known = job.hadLiveRows ? timed(ctx.busy, 'read', () => job.writer.loadLiveHashes()) : undefined
  // A transaction holds `chunk` rows, not `chunk` lines: on a re-sync most lines are unchanged, and a
  // commit for every few rows would cost more than the rows.
  const batcher = new RowBatcher(ctx.chunk, (rows, hashes) => {
    addWritten(
      run,
      timed(ctx.busy, 'write', () => ctx.sink.transaction(() => job.writer.upsert(rows, hashes))),
    )
  })
  const processor = new RecordProcessor(job.mapping, known, batcher.add, { skipKnown: !job.rewrite })
  // An NDJSON line stands alone, so its chunks commit as they go. A JSON document is valid only whole:
  // its chunks are savepoints in one transaction, so a file cut short leaves the table as it was.
  const wholeFile = job.file.format === 'json'
  if (wholeFile) ctx.sink.db.exec('BEGIN')
  try {
    const batches = job.file.format === 'json' ? streamJsonRecords(job.file, job.mapping.recordsPath, ctx.chunk) : streamLines(job.file, ctx.chunk)
    let readStarted = performance.now()
    for await (const batch of batches) {
      ctx.busy.read += performance.now() - readStarted
      timed(ctx.busy, 'transform', () => processBatch(processor, batch))
      if (job.maxRejects !== undefined && processor.counts.rejected > job.maxRejects) {
        run.counts = processor.counts
        run.rejects = processor.rejects
        throw tooManyRejects(job, run)
      }
      ctx.onProgress?.({ source: job.source.name, bytesDone: batch.bytes, bytesTotal: job.file.bytes, records: processor.counts.read })
      readStarted = performance.now()
    }
    batcher.flush()
    if (wholeFile) ctx.sink.db.exec('COMMIT')
    run.complete = true
    run.deletion = known === undefined ? { kind: 'none' } : { kind: 'unseen', known }
  } catch (err) {
    if (wholeFile && ctx.sink.db.inTransaction) {
      ctx.sink.db.exec('ROLLBACK')
      run.written = { inserted: 0, updated: 0 }
    }
    run.error = err as Error
  }
  run.counts = processor.counts
  run.rejects = processor.rejects
  return run
}

function processBatch(processor: RecordProcessor, batch: RecordBatch): void {
  if (batch.kind === 'lines') batch.items.forEach((bytes, i) => processor.processLine(bytes, batch.firstLine + i))
  else batch.items.forEach((record, i) => processor.processRecord(record, batch.firstLine + i))
}
