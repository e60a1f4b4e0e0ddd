import { type RecordBatch, streamJsonRecords, streamLines } from '../../cache/stream-records.js'
import type { LiveRowSet } from '../../util/hash-set-union.js'
import type { FilePosition } from '../chunk-committer.js'
import { CommittedPart } from '../committed-part.js'
import { HeapCollector } from '../heap-collector.js'
import type { RecordProcessor } from '../record-processor.js'
import { emptyRun, type ModeContext, type SourceJob, type SourceRun, timed } from '../source-job.js'
import { stoppedError, stopRequested, throwIfStopped } from '../stop-request.js'
import { SingleThreadLoad } from './single-thread-load.js'

/**
 * Streaming mode: chunks of `chunk` records are read, mapped and written one after another, each chunk
 * one transaction with its checkpoint; memory is set by the chunk, not by the file — but for the live
 * rows' hashes (about 34 bytes a row) that let unchanged records skip parsing and writing.
 */
export async function runStreaming(jobs: readonly SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  const runs: SourceRun[] = []
  for (const job of jobs) runs.push(stopRequested(ctx.signal) ? { ...emptyRun(), error: stoppedError(ctx.signal) } : await streamSource(job, ctx))
  return runs
}

async function streamSource(job: SourceJob, ctx: ModeContext): Promise<SourceRun> {
  let load: SingleThreadLoad
  try {
    load = await SingleThreadLoad.create(job, ctx, { lowMemory: true })
  } catch (err) {
    return { ...emptyRun(), error: err as Error }
  }
  // An NDJSON line stands alone, so its chunks commit as they go. A JSON document is valid only whole:
  // its chunks are savepoints in one transaction, so a file cut short leaves the table as it was.
  const wholeFile = job.file.format === 'json'
  try {
    if (wholeFile) await job.sourceSink.beginWholeFile()
    await streamAndWrite(job, ctx, load)
    if (wholeFile) await job.sourceSink.endWholeFile(true)
    load.complete()
  } catch (err) {
    if (wholeFile) {
      await job.sourceSink.endWholeFile(false).catch(() => {})
      load.run.written = { inserted: 0, updated: 0 }
    }
    load.run.error = err as Error
  }
  return load.run
}

async function streamAndWrite(job: SourceJob, ctx: ModeContext, load: SingleThreadLoad): Promise<void> {
  const { processor, known } = load
  const from = job.resumeFrom
  if (known !== undefined && from.byteOffset > 0) await timed(ctx.busy, 'read', () => markCommittedSeen(job, load.run, from, known, ctx.signal))
  const batches =
    job.file.format === 'json'
      ? streamJsonRecords(job.file, job.mapping.recordsPath, ctx.chunks.size)
      : streamLines(job.file, () => ctx.chunks.size, { start: from.byteOffset, firstLine: from.lines + 1 })
  let position = from
  const heap = new HeapCollector()
  let readStarted = performance.now()
  for await (const batch of batches) {
    // A stop drops the rows collected since the last commit: the checkpoint is before them.
    throwIfStopped(ctx.signal)
    ctx.busy.read += performance.now() - readStarted
    timed(ctx.busy, 'transform', () => processBatch(processor, batch))
    load.checkRejects()
    position = { byteOffset: batch.endOffset, records: load.records, lines: batch.firstLine - 1 + batch.items.length }
    // A transaction holds `chunk` rows, not `chunk` lines: on a re-sync most lines are unchanged, and a
    // commit for every few rows would cost more than the rows.
    if (load.chunkFull) {
      await load.commit(position)
      heap.afterChunk(load.records)
    }
    if (ctx.memory.sample()) backOff(ctx)
    ctx.onProgress?.({ source: job.source.name, bytesDone: batch.endOffset, bytesTotal: job.file.bytes, records: position.records })
    readStarted = performance.now()
  }
  await load.commitRest(position)
}

/** Memory is over the threshold: smaller chunks from the next batch on. */
function backOff(ctx: ModeContext): void {
  const before = ctx.chunks.size
  ctx.chunks.backOff()
  if (ctx.chunks.size < before) ctx.memory.backedOff(`streaming chunk ${before} → ${ctx.chunks.size}`)
}

function processBatch(processor: RecordProcessor, batch: RecordBatch): void {
  if (batch.kind === 'lines') batch.items.forEach((bytes, i) => processor.processLine(bytes, batch.firstLine + i))
  else batch.items.forEach((record, i) => processor.processRecord(record, batch.firstLine + i))
}

/**
 * On a resume the records an earlier run committed are not written again, but the rows they match must
 * count as seen, or they would look vanished (see `CommittedPart`).
 */
async function markCommittedSeen(job: SourceJob, run: SourceRun, upTo: FilePosition, known: LiveRowSet, signal: AbortSignal | undefined): Promise<void> {
  const committed = new CommittedPart(job, run, known)
  for await (const batch of streamLines(job.file, 10_000, { start: 0, end: upTo.byteOffset, firstLine: 1 })) {
    throwIfStopped(signal)
    for (const bytes of batch.items as Buffer[]) if (committed.add(bytes)) await committed.check()
  }
  await committed.check()
}
