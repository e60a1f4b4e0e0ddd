import { forEachLine, readBytes, readJsonRecords } from '../../cache/line-reader.js'
import { RecordProcessor } from '../../engine/record-processor.js'
import { rowHash } from '../../util/row-hash.js'
import type { FilePosition } from '../chunk-committer.js'
import { RowBatcher } from '../row-batcher.js'
import { addWritten, commitChunk, emptyRun, type ModeContext, type SourceJob, type SourceRun, timed } from '../source-job.js'
import { tooManyRejects } from './parallel.js'

/**
 * Sequential mode: one source at a time, its whole file in memory, parsed and written on this thread in
 * transactions of `chunk` rows, each with its checkpoint. The simplest path, and the reference the
 * others are checked against.
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
    const batcher = new RowBatcher()
    const processor = new RecordProcessor(job.mapping, known, batcher.add, { skipKnown: !job.rewrite })
    run.counts = processor.counts
    run.rejects = processor.rejects
    const from = job.resumeFrom
    const commit = (at: FilePosition): void => {
      if (job.maxRejects !== undefined && processor.counts.rejected > job.maxRejects) throw tooManyRejects(job, run)
      const { rows, hashes } = batcher.take()
      addWritten(
        run,
        timed(ctx.busy, 'write', () => commitChunk(job, run, () => job.writer.upsert(rows, hashes), at)),
      )
      ctx.onProgress?.({ source: job.source.name, bytesDone: at.byteOffset, bytesTotal: job.file.bytes, records: at.records })
    }
    const file = job.file
    const writeAtStart = ctx.busy.write
    let started = performance.now()
    if (file.format === 'json') {
      const records = readJsonRecords(file.path, file.gzip, job.mapping.recordsPath)
      ctx.busy.read += performance.now() - started
      started = performance.now()
      records.forEach((record, i) => {
        processor.processRecord(record, i + 1)
        if (batcher.pending >= ctx.chunks.size) commit({ byteOffset: 0, records: i + 1, lines: i + 1 })
      })
      if (batcher.pending > 0) commit({ byteOffset: file.bytes, records: records.length, lines: records.length })
    } else {
      const bytes = readBytes(file.path, { start: 0, end: file.bytes }, file.gzip)
      ctx.busy.read += performance.now() - started
      started = performance.now()
      // On a resume, the committed part is only hashed, so that its rows count as seen.
      if (known !== undefined) forEachLine(bytes.subarray(0, from.byteOffset), (line) => known.markSeen(rowHash(line)))
      let chunkStarted = performance.now()
      let recordsAtChunk = 0
      const lines = forEachLine(bytes.subarray(from.byteOffset), (line, index, after) => {
        processor.processLine(line, from.lines + index + 1)
        if (batcher.pending < ctx.chunks.size) return
        commit({ byteOffset: from.byteOffset + after, records: from.records + processor.counts.read, lines: from.lines + index + 1 })
        ctx.chunks.record(processor.counts.read - recordsAtChunk, performance.now() - chunkStarted)
        chunkStarted = performance.now()
        recordsAtChunk = processor.counts.read
        ctx.memory.sample()
      })
      if (batcher.pending > 0) commit({ byteOffset: file.bytes, records: from.records + processor.counts.read, lines: from.lines + lines })
    }
    ctx.busy.transform += performance.now() - started - (ctx.busy.write - writeAtStart)
    if (job.maxRejects !== undefined && run.counts.rejected > job.maxRejects) throw tooManyRejects(job, run)
    run.complete = true
    run.deletion = known === undefined ? { kind: 'none' } : { kind: 'unseen', known }
  } catch (err) {
    run.error = err as Error
  }
  return run
}
