import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { type ByteRange, splitOnLines } from '../../cache/cache-files.js'
import { CachesyncError } from '../../util/errors.js'
import type { HashSet64 } from '../../util/hash-set64.js'
import type { TransformResult, TransformTask } from '../../workers/transform-task.js'
import { addWritten, emptyRun, type ModeContext, type SourceJob, type SourceRun, timed } from '../source-job.js'

type TaskResult = Extract<TransformResult, { ok: true }>

/** Bytes per worker task: big enough to amortise a staging file, small enough to pipeline the merges. */
const TASK_BYTES = 16 * 1024 * 1024

/**
 * Parallel mode: every source's file is cut into line-aligned ranges that the worker pool parses, maps
 * and hashes into staging files; the single writer merges each staging file with one `INSERT … SELECT`,
 * in file order, while the workers go on with the next ranges.
 */
export async function runParallel(jobs: readonly SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  const pool = ctx.pool
  if (pool === undefined) throw new CachesyncError('ERR_INTERNAL', 'parallel mode needs a worker pool')
  // One snapshot of the live hashes per source, taken before any merge and shared with the workers (a
  // worker reading the table itself could see rows that an earlier merge of this run already changed);
  // they mark the records they meet as seen in it, in place. Smallest file first: its tasks keep the
  // workers busy while the writer reads the next source's hashes.
  const order = [...jobs.keys()].sort((a, b) => (jobs[a] as SourceJob).file.bytes - (jobs[b] as SourceJob).file.bytes)
  const snapshots: (HashSet64 | undefined)[] = []
  const plans: TransformTask[][] = []
  const pending: Promise<TaskResult>[][] = []
  for (const i of order) {
    const job = jobs[i] as SourceJob
    snapshots[i] = job.hadLiveRows ? timed(ctx.busy, 'read', () => job.writer.loadLiveHashes({ shared: true })) : undefined
    plans[i] = planTasks(job, pool.threads, snapshots[i], ctx.stagingDir)
    // Dispatched at once (piscina queues them), so the workers never wait for the writer. A failure is
    // handled when its turn to merge comes; until then it must not count as unhandled.
    pending[i] = plans[i].map((task) => {
      const result = pool.run(task)
      result.catch(() => {})
      return result
    })
  }
  return Promise.all(jobs.map((job, i) => mergeInOrder(job, plans[i] as TransformTask[], pending[i] as Promise<TaskResult>[], snapshots[i], ctx)))
}

function planTasks(job: SourceJob, threads: number, known: HashSet64 | undefined, stagingDir: string): TransformTask[] {
  const ranges: ByteRange[] =
    job.file.format === 'json' || job.file.gzip
      ? [{ start: 0, end: job.file.bytes }]
      : splitOnLines(job.file.path, job.file.bytes, Math.max(threads, Math.ceil(job.file.bytes / TASK_BYTES)))
  return ranges.map((range, i) => ({
    source: job.source.name,
    mapping: job.mapping,
    keyIndexes: job.writer.keyIndexes,
    rewrite: job.rewrite,
    file: job.file.path,
    format: job.file.format,
    gzip: job.file.gzip,
    range,
    stagingPath: join(stagingDir, `${job.source.name}.${i}.sqlite`),
    known: known?.memory,
  }))
}

async function mergeInOrder(
  job: SourceJob,
  tasks: readonly TransformTask[],
  pending: readonly Promise<TaskResult>[],
  known: HashSet64 | undefined,
  ctx: ModeContext,
): Promise<SourceRun> {
  const run = emptyRun()
  let linesBefore = 0
  let bytesDone = 0
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as TransformTask
    let result: TaskResult
    try {
      result = await (pending[i] as Promise<TaskResult>)
    } catch (err) {
      run.error ??= err as Error
      continue
    }
    try {
      if (run.error !== undefined) continue
      ctx.busy.read += result.timings.read
      ctx.busy.transform += result.timings.transform
      ctx.busy.write += result.timings.write
      addProcessorCounts(run, result)
      for (const reject of result.rejects) run.rejects.push({ ...reject, line: reject.line + linesBefore })
      linesBefore += result.lines
      if (job.maxRejects !== undefined && run.counts.rejected > job.maxRejects) {
        run.error = tooManyRejects(job, run)
        continue
      }
      addWritten(
        run,
        timed(ctx.busy, 'write', () => job.writer.mergeStaging(task.stagingPath)),
      )
      bytesDone += task.range.end - task.range.start
      ctx.onProgress?.({ source: job.source.name, bytesDone, bytesTotal: job.file.bytes, records: run.counts.read })
    } finally {
      rmSync(task.stagingPath, { force: true })
    }
  }
  run.complete = run.error === undefined
  run.deletion = known === undefined ? { kind: 'none' } : { kind: 'unseen', known }
  return run
}

function addProcessorCounts(run: SourceRun, result: TaskResult): void {
  run.counts.read += result.counts.read
  run.counts.known += result.counts.known
  run.counts.mapped += result.counts.mapped
  run.counts.rejected += result.counts.rejected
}

export function tooManyRejects(job: SourceJob, run: SourceRun): CachesyncError {
  const first = run.rejects[0]
  return new CachesyncError(
    'ERR_TOO_MANY_REJECTS',
    `${job.file.path}: ${run.counts.rejected} rejected records, more than --max-rejects ${job.maxRejects}` +
      (first === undefined ? '' : ` (first at line ${first.line}: ${first.reason})`),
  )
}
