import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { type ByteRange, splitOnLines } from '../../cache/cache-files.js'
import { type IndexedLines, linesOf } from '../../cache/line-index-reader.js'
import { type ChunkRows, stagingReshapes } from '../../sink/sink.js'
import { CachesyncError } from '../../util/errors.js'
import { HashSetUnion } from '../../util/hash-set-union.js'
import { createTaskLimiter } from '../../util/task-limiter.js'
import type { TransformResult, TransformTask } from '../../workers/transform-task.js'
import { addDropped, commitChunk, committedRows, emptyRun, type ModeContext, type SourceJob, type SourceRun } from '../source-job.js'
import { stoppedError, stopRequested, throwIfStopped } from '../stop-request.js'

type TaskResult = Extract<TransformResult, { ok: true }>

/** Bytes per worker task: big enough to amortise a staging file, small enough to pipeline the merges. */
const TASK_BYTES = 16 * 1024 * 1024

/**
 * Bytes per task where the file's line index is used: a task then reads 16 bytes a line and the few
 * lines not live, so its fixed costs (a staging file, a merge, a message) dominate; fewer, larger tasks.
 */
const INDEXED_TASK_BYTES = 4 * TASK_BYTES

/** From this file size on, each worker reads the live rows of one rowid range, in parallel. */
const SPLIT_LOAD_BYTES = TASK_BYTES
/**
 * Bytes per task where columns are inferred and staged where rows cannot be reshaped (COPY text): a worker holds a
 * range's rows until its end (their types are known only then), so smaller ranges keep memory near the
 * mapped mode's. A SQLite staging file takes them as they come (`RowStager.reshape`).
 */
const OPEN_TASK_BYTES = 4 * 1024 * 1024

/**
 * Parallel mode: every source's file is cut into line-aligned ranges that the worker pool parses, maps
 * and hashes into staging files; this thread merges each staging file with one `INSERT … SELECT`,
 * in file order and with its checkpoint, while the workers go on with the next ranges.
 */
export async function runParallel(jobs: readonly SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  const pool = ctx.pool
  if (pool === undefined) throw new CachesyncError('ERR_INTERNAL', 'parallel mode needs a worker pool')
  // One snapshot of the live rows per source, taken before any merge of that source and shared with the
  // workers, who mark the records they meet as seen in it, in place. The snapshots are read on the
  // workers, largest table first (reading a million rows is the longest single step of a re-sync), a
  // large table in a rowid range per worker, each on a connection of its own, so this thread
  // is free to merge the sources already going; a source's tasks are queued as soon as its snapshot is.
  const order = [...jobs.keys()].sort((a, b) => (jobs[a] as SourceJob).file.bytes - (jobs[b] as SourceJob).file.bytes)
  const snapshots: Promise<HashSetUnion | undefined>[] = jobs.map(() => Promise.resolve(undefined))
  for (const i of [...order].reverse()) {
    const job = jobs[i] as SourceJob
    if (!job.hadLiveRows) continue
    const tasks = job.sourceSink.liveRowTasks(job.file.bytes >= SPLIT_LOAD_BYTES ? pool.threads : 1)
    if (tasks === undefined) {
      // A database the workers cannot open (a server): the coordinator reads the snapshot itself.
      const started = performance.now()
      snapshots[i] = quiet(
        job.sourceSink.loadLiveHashes({ shared: true }).then((set) => {
          ctx.busy.read += performance.now() - started
          return new HashSetUnion([set])
        }),
      )
      continue
    }
    const parts = tasks.map((task) =>
      pool.loadLiveRows(task).then(({ set, ms }) => {
        ctx.busy.read += ms
        return set
      }),
    )
    snapshots[i] = quiet(Promise.all(parts).then((sets) => new HashSetUnion(sets)))
  }
  const plans: TransformTask[][] = []
  const pending: Promise<TaskResult>[][] = []
  const marking: Promise<CommittedRange[]>[] = []
  // Tasks in flight: one running and one waiting per worker, or one in all under memory pressure. Once a
  // stop is requested, the tasks not started yet fail at once (those in flight are cancelled by the pool).
  const limiter = createTaskLimiter(() => (ctx.memory.overThreshold ? 1 : pool.threads * 2))
  const dispatch = <T>(start: () => Promise<T>): Promise<T> =>
    limiter.run(async () => {
      throwIfStopped(ctx.signal)
      return start()
    })
  const inFlightBefore = pool.threads * 2
  let backedOff = false
  const onMerged = (): void => {
    if (ctx.memory.sample() && !backedOff) {
      backedOff = true
      ctx.memory.backedOff(`parallel tasks in flight ${inFlightBefore} → 1`)
    }
  }
  try {
    for (const i of order) {
      const job = jobs[i] as SourceJob
      const snapshot = snapshots[i] as Promise<HashSetUnion | undefined>
      plans[i] = planTasks(job, pool.threads, ctx)
      // Queued at once (the limiter and piscina order them), so the workers never wait for a merge. A
      // failure is handled when its turn to merge comes; until then it must not count as unhandled.
      pending[i] = plans[i].map((task) => quiet(snapshot.then((known) => dispatch(() => pool.run({ ...task, known: known?.memory }, ctx.signal)))))
      // On a resume, the part an earlier run committed is only checked, so that its rows count as seen:
      // records a live row has are marked in the snapshot, the others staged for `mergeInOrder` to ask about.
      if (job.hadLiveRows && job.resumeFrom.byteOffset > 0) {
        const ranges = splitOnLines(job.file.path, { start: 0, end: job.resumeFrom.byteOffset }, pool.threads)
        marking[i] = quiet(
          snapshot.then((known) =>
            known === undefined
              ? []
              : Promise.all(
                  ranges.map((range, r) => {
                    const task = committedTask(job, range, r, known, ctx)
                    return dispatch(() => pool.run(task, ctx.signal)).then((result) => ({ task, result }))
                  }),
                ),
          ),
        )
      }
    }
  } catch (err) {
    // The pool must not be torn down under tasks still running: wait for what was dispatched.
    await Promise.allSettled([...pending.flat(), ...marking, ...snapshots])
    throw err
  }
  return Promise.all(
    jobs.map((job, i) =>
      mergeInOrder(
        job,
        plans[i] as TransformTask[],
        pending[i] as Promise<TaskResult>[],
        marking[i],
        snapshots[i] as Promise<HashSetUnion | undefined>,
        ctx,
        onMerged,
      ),
    ),
  )
}

function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

/** The bytes of the file a task takes, by what the task must hold and do (see the constants). */
function taskBytes(job: SourceJob, stagingFormat: ModeContext['stagingFormat']): number {
  if (job.mapping.open !== undefined && !stagingReshapes(stagingFormat)) return OPEN_TASK_BYTES
  return job.lineIndex === undefined ? TASK_BYTES : INDEXED_TASK_BYTES
}

/** The ranges of a source's file as tasks; the live-row snapshot is added when they are dispatched. */
function planTasks(job: SourceJob, threads: number, { stagingDir, stagingFormat }: Pick<ModeContext, 'stagingDir' | 'stagingFormat'>): TransformTask[] {
  const rest = { start: job.resumeFrom.byteOffset, end: job.file.bytes }
  const ranges: ByteRange[] =
    !job.resumable || rest.end <= rest.start
      ? [rest]
      : splitOnLines(job.file.path, rest, Math.max(threads, Math.ceil((rest.end - rest.start) / taskBytes(job, stagingFormat))))
  return ranges.map((range, i) =>
    taskFor(job, range, undefined, { stagingPath: join(stagingDir, `${job.source.name}.${i}.${stagingFormat}`), stagingFormat, committed: false }),
  )
}

/** A range an earlier run committed, and its task's result: its staged rows are checked, not merged. */
interface CommittedRange {
  task: TransformTask
  result: TaskResult
}

/** A task over a committed range: records a live row has are marked seen, the others staged to be checked. */
function committedTask(
  job: SourceJob,
  range: ByteRange,
  index: number,
  known: HashSetUnion,
  { stagingDir, stagingFormat }: Pick<ModeContext, 'stagingDir' | 'stagingFormat'>,
): TransformTask {
  return taskFor(job, range, known, { stagingPath: join(stagingDir, `${job.source.name}.committed.${index}.${stagingFormat}`), stagingFormat, committed: true })
}

function taskFor(
  job: SourceJob,
  range: ByteRange,
  known: HashSetUnion | undefined,
  { committed, ...how }: Pick<TransformTask, 'stagingPath' | 'stagingFormat'> & { committed: boolean },
): TransformTask {
  return {
    source: job.source.name,
    mapping: job.mapping,
    keyIndexes: job.sourceSink.keyIndexes,
    rewrite: job.rewrite && !committed,
    file: job.file.path,
    format: job.file.format,
    gzip: job.file.gzip,
    range,
    known: known?.memory,
    packWritten: job.sourceSink.keepsLiveRows && !committed,
    lines: indexedLines(job, range),
    ...how,
  }
}

/**
 * The range's entries of the cache file's line index, copied: a view would post the whole index to the
 * worker. Undefined without an index, or for a range that does not fall on its lines.
 */
function indexedLines(job: SourceJob, range: ByteRange): IndexedLines | undefined {
  if (job.lineIndex === undefined) return undefined
  const lines = linesOf(job.lineIndex, range)
  return lines === undefined ? undefined : { start: lines.start, entries: new Uint8Array(lines.entries) }
}

async function mergeInOrder(
  job: SourceJob,
  tasks: readonly TransformTask[],
  pending: readonly Promise<TaskResult>[],
  marking: Promise<CommittedRange[]> | undefined,
  snapshot: Promise<HashSetUnion | undefined>,
  ctx: ModeContext,
  onMerged: () => void,
): Promise<SourceRun> {
  const run = emptyRun()
  run.writtenRows = job.sourceSink.keepsLiveRows ? [] : undefined
  const from = job.resumeFrom
  let linesBefore = from.lines
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as TransformTask
    let result: TaskResult
    try {
      result = await (pending[i] as Promise<TaskResult>)
    } catch (err) {
      // A stop cancels the tasks (piscina's AbortError): the run ends as stopped, not failed.
      run.error ??= stopRequested(ctx.signal) ? stoppedError(ctx.signal) : (err as Error)
      continue
    }
    try {
      // A stop leaves the staging files not merged yet: the checkpoint is after the last merged one.
      if (run.error === undefined && stopRequested(ctx.signal)) run.error = stoppedError(ctx.signal)
      if (run.error !== undefined) continue
      ctx.busy.read += result.timings.read
      ctx.busy.transform += result.timings.transform
      ctx.busy.write += result.timings.write
      addProcessorCounts(run, result)
      addWrittenRows(run, result)
      for (const reject of result.rejects) run.rejects.push({ ...reject, line: reject.line + linesBefore })
      linesBefore += result.lines
      if (job.maxRejects !== undefined && run.counts.rejected > job.maxRejects) {
        run.error = tooManyRejects(job, run)
        continue
      }
      const at = { byteOffset: task.range.end, records: from.records + run.counts.read, lines: linesBefore }
      // A range without a row still commits its checkpoint (and rejects): the resume point moves on.
      const rows: ChunkRows = result.staged ? { kind: 'staging', path: task.stagingPath } : { kind: 'rows', rows: [], hashes: [] }
      addDropped(run, result.dropped)
      await commitChunk(job, run, rows, at, ctx.busy, result.open)
      ctx.onProgress?.({ source: job.source.name, bytesDone: task.range.end, bytesTotal: job.file.bytes, records: at.records })
      onMerged()
    } catch (err) {
      // A merge that fails (a full disk) fails the source, and the run once it sees a database failure;
      // but only after the loop has awaited every task, so that no worker is torn down mid-task.
      run.error ??= err as Error
    } finally {
      rmSync(task.stagingPath, { force: true })
    }
  }
  let known: HashSetUnion | undefined
  try {
    const committed = (await marking) ?? []
    known = await snapshot
    for (const { task, result } of committed) {
      try {
        if (run.error === undefined && result.staged) {
          const kept = await job.sourceSink.keptHashes(committedRows(job, { kind: 'staging', path: task.stagingPath }, result.open))
          if (kept.length > 0) run.kept.push(kept)
        }
      } finally {
        rmSync(task.stagingPath, { force: true })
      }
    }
  } catch (err) {
    run.error ??= stopRequested(ctx.signal) ? stoppedError(ctx.signal) : (err as Error)
  }
  run.complete = run.error === undefined
  run.deletion = known === undefined ? { kind: 'none' } : { kind: 'unseen', known }
  return run
}

/** A task's staged rows join the run's (a result posted back holds a plain Uint8Array, not a Buffer). */
function addWrittenRows(run: SourceRun, result: TaskResult): void {
  if (run.writtenRows === undefined) return
  const written = result.written
  if (written === undefined) run.writtenRows = undefined
  else run.writtenRows.push(Buffer.from(written.buffer, written.byteOffset, written.byteLength))
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
