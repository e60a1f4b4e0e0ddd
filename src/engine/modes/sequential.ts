import { setImmediate as yieldToSignals } from 'node:timers/promises'
import { nextLine, readBytes, readJsonRecords } from '../../cache/line-reader.js'
import { utf8BomLength } from '../../util/utf8-bom.js'
import { CommittedPart } from '../committed-part.js'
import { emptyRun, type ModeContext, type SourceJob, type SourceRun } from '../source-job.js'
import { stoppedError, stopRequested } from '../stop-request.js'
import { SingleThreadLoad } from './single-thread-load.js'

/**
 * Sequential mode: one source at a time, its whole file in memory, parsed and written on this thread in
 * transactions of `chunk` rows, each with its checkpoint. The simplest path, and the reference the
 * others are checked against. A source runs to its end on this thread without a pause, so a requested
 * stop (a signal is seen between event-loop turns) takes effect between sources.
 */
export async function runSequential(jobs: readonly SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  const runs: SourceRun[] = []
  for (const job of jobs) {
    await yieldToSignals()
    runs.push(stopRequested(ctx.signal) ? { ...emptyRun(), error: stoppedError(ctx.signal) } : await syncWholeFile(job, ctx))
  }
  return runs
}

async function syncWholeFile(job: SourceJob, ctx: ModeContext): Promise<SourceRun> {
  let load: SingleThreadLoad
  try {
    load = await SingleThreadLoad.create(job, ctx, {
      onCommit: (at) => ctx.onProgress?.({ source: job.source.name, bytesDone: at.byteOffset, bytesTotal: job.file.bytes, records: at.records }),
    })
  } catch (err) {
    return { ...emptyRun(), error: err as Error }
  }
  try {
    await readAndWrite(job, ctx, load)
    load.checkRejects()
    load.complete()
  } catch (err) {
    load.run.error = err as Error
  }
  return load.run
}

async function readAndWrite(job: SourceJob, ctx: ModeContext, load: SingleThreadLoad): Promise<void> {
  const { processor, known } = load
  const file = job.file
  const from = job.resumeFrom
  const writeAtStart = ctx.busy.write
  let started = performance.now()
  if (file.format === 'json') {
    const records = readJsonRecords(file.path, file.gzip, job.mapping.recordsPath)
    ctx.busy.read += performance.now() - started
    started = performance.now()
    for (const [i, record] of records.entries()) {
      processor.processRecord(record, i + 1)
      if (load.chunkFull) await load.commit({ byteOffset: 0, records: i + 1, lines: i + 1 })
    }
    await load.commitRest({ byteOffset: file.bytes, records: records.length, lines: records.length })
  } else {
    const bytes = readBytes(file.path, { start: 0, end: file.bytes }, file.gzip)
    ctx.busy.read += performance.now() - started
    started = performance.now()
    // The records start after the byte-order mark, if any; offsets stay those of the file.
    const first = utf8BomLength(bytes)
    // On a resume, the committed part is only checked, so that its rows count as seen.
    if (known !== undefined && from.byteOffset > 0) {
      const committed = new CommittedPart(job, load.run, known)
      for (let start = first; start < from.byteOffset; ) {
        const { line, after } = nextLine(bytes, start)
        if (committed.add(line)) await committed.check()
        start = after
      }
      await committed.check()
    }
    // A plain loop rather than forEachLine's callback: a commit is awaited where a chunk fills.
    let lines = 0
    for (let start = Math.max(first, from.byteOffset); start < bytes.length; ) {
      const { line, after } = nextLine(bytes, start)
      lines++
      processor.processLine(line, from.lines + lines)
      if (load.chunkFull) await load.commit({ byteOffset: after, records: load.records, lines: from.lines + lines })
      start = after
    }
    await load.commitRest({ byteOffset: file.bytes, records: load.records, lines: from.lines + lines })
  }
  ctx.busy.transform += performance.now() - started - (ctx.busy.write - writeAtStart)
}
