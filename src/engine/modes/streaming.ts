import { type RecordBatch, streamJsonRecords, streamLines } from '../../cache/stream-records.js'
import type { RowValues } from '../record-mapper.js'
import { RecordProcessor } from '../record-processor.js'
import { addWritten, emptyRun, type ModeContext, type SourceJob, type SourceRun } from '../source-job.js'
import { tooManyRejects } from './parallel.js'

/**
 * Streaming mode: chunks of `chunk` records are read, mapped and written one after another, each chunk
 * one transaction; memory is set by the chunk, not by the file. With no whole-file view, every record
 * is parsed, SQLite's upsert skips the unchanged rows, and the hashes read go to a temporary table
 * (on disk) so that vanished rows can be found at the end.
 */
export async function runStreaming(jobs: readonly SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  const runs: SourceRun[] = []
  for (const [i, job] of jobs.entries()) runs.push(await streamSource(job, ctx, `seen_${i}`))
  return runs
}

async function streamSource(job: SourceJob, ctx: ModeContext, seenName: string): Promise<SourceRun> {
  const run = emptyRun()
  const db = ctx.sink.db
  const trackSeen = job.hadLiveRows
  if (trackSeen) db.exec(`DROP TABLE IF EXISTS temp.${seenName}; CREATE TEMP TABLE ${seenName} (hash TEXT PRIMARY KEY) WITHOUT ROWID`)
  const insertSeen = trackSeen ? db.prepare(`INSERT OR IGNORE INTO temp.${seenName} (hash) VALUES (?)`) : undefined
  let rows: RowValues[] = []
  let hashes: string[] = []
  const processor = new RecordProcessor(job.mapping, undefined, (values, hash) => {
    rows.push(values)
    hashes.push(hash)
  })
  try {
    const batches = job.file.format === 'json' ? streamJsonRecords(job.file, job.mapping.recordsPath, ctx.chunk) : streamLines(job.file, ctx.chunk)
    let readStarted = performance.now()
    for await (const batch of batches) {
      ctx.busy.read += performance.now() - readStarted
      const transformStarted = performance.now()
      const rejectedBefore = processor.counts.rejected
      processBatch(processor, batch)
      ctx.busy.transform += performance.now() - transformStarted
      if (job.maxRejects !== undefined && processor.counts.rejected > job.maxRejects) {
        run.counts = processor.counts
        run.rejects = processor.rejects
        throw tooManyRejects(job, run)
      }
      const writeStarted = performance.now()
      const chunkRows = rows
      const chunkHashes = hashes
      addWritten(
        run,
        ctx.sink.transaction(() => {
          if (insertSeen !== undefined) for (const hash of chunkHashes) insertSeen.run(hash)
          return job.writer.upsert(chunkRows, chunkHashes)
        }),
      )
      ctx.busy.write += performance.now() - writeStarted
      rows = []
      hashes = []
      if (processor.counts.rejected > rejectedBefore) ctx.logger.debug({ source: job.source.name, rejected: processor.counts.rejected }, 'records rejected')
      ctx.onProgress?.({ source: job.source.name, bytesDone: batch.bytes, bytesTotal: job.file.bytes, records: processor.counts.read })
      readStarted = performance.now()
    }
    run.complete = true
    run.deletion = trackSeen ? { kind: 'seen-table', table: `temp.${seenName}` } : { kind: 'none' }
  } catch (err) {
    run.error = err as Error
  }
  run.counts = processor.counts
  run.rejects = processor.rejects
  return run
}

function processBatch(processor: RecordProcessor, batch: RecordBatch): void {
  if (batch.kind === 'lines') batch.items.forEach((text, i) => processor.processLine(text, batch.firstLine + i))
  else batch.items.forEach((record, i) => processor.processRecord(record, batch.firstLine + i))
}
