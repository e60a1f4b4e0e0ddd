import { deserializeError } from '../util/errors.js'
import { HashSet64 } from '../util/hash-set64.js'
import type { PackResult, PackTask } from './archive-task.js'
import type { LiveRowsResult, LiveRowsTask, TransformResult, TransformTask } from './transform-task.js'
import { workerFilename } from './worker-file.js'

/** A pool of worker threads running `transform-worker`; the only module that knows piscina. */
export interface WorkerPool {
  readonly threads: number
  /**
   * Runs a task; a worker's failure comes back rebuilt as a CachesyncError with its `code`. `signal`
   * cancels it: dropped if queued, its worker terminated if running (its staging file is scratch).
   */
  run(task: TransformTask, signal?: AbortSignal): Promise<Extract<TransformResult, { ok: true }>>
  /** Reads a table's live rows (or a rowid range of them) into a set in shared memory, on a worker (see `readLiveRowSet`). */
  loadLiveRows(task: LiveRowsTask): Promise<{ set: HashSet64; ms: number }>
  destroy(): Promise<void>
}

/** Starts the pool; piscina is loaded only here, so the modes without workers never pay for it. */
export async function createWorkerPool(options: { threads: number }): Promise<WorkerPool> {
  const threads = Math.max(1, options.threads)
  const { Piscina } = await import('piscina')
  const piscina = new Piscina<TransformTask | LiveRowsTask, TransformResult | LiveRowsResult>({
    filename: workerFilename(),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
  })
  return {
    threads,
    async run(task, signal) {
      const result = (await piscina.run(task, signal === undefined ? {} : { signal })) as TransformResult
      if (!result.ok) throw deserializeError(result.error)
      return result
    },
    async loadLiveRows(task) {
      const result = (await piscina.run(task, { name: 'loadLiveRows' })) as LiveRowsResult
      if (!result.ok) throw deserializeError(result.error)
      return { set: new HashSet64(result.known), ms: result.ms }
    },
    async destroy() {
      await piscina.destroy()
    },
  }
}

/** Threads compressing, writing and verifying archive batches while the coordinator queries the next. */
export interface ArchivePool {
  readonly threads: number
  /** Packs one batch; a worker's failure comes back rebuilt as a CachesyncError with its `code`. */
  pack(task: PackTask): Promise<Extract<PackResult, { ok: true }>>
  destroy(): Promise<void>
}

/** Starts the archive pool on `archive-worker`, the same built file for the CLI and the tests. */
export async function createArchivePool(options: { threads: number }): Promise<ArchivePool> {
  const threads = Math.max(1, options.threads)
  const { Piscina } = await import('piscina')
  const piscina = new Piscina<PackTask, PackResult>({
    filename: workerFilename('archive-worker'),
    minThreads: threads,
    maxThreads: threads,
  })
  return {
    threads,
    async pack(task) {
      const result = await piscina.run(task, { transferList: [task.lines.buffer as ArrayBuffer] })
      if (!result.ok) throw deserializeError(result.error)
      return result
    },
    async destroy() {
      await piscina.destroy()
    },
  }
}
