import PQueue from 'p-queue'

/** Runs tasks at most so many at a time, first come first served. */
export interface TaskLimiter {
  run<T>(task: () => Promise<T>): Promise<T>
}

/**
 * A p-queue (its one importer) as a {@link TaskLimiter}. Given a function, the limit is asked again as
 * each task ends, so that it can change during a run; a lower limit lets the tasks running finish.
 */
export function createTaskLimiter(concurrency: number | (() => number)): TaskLimiter {
  const limit = typeof concurrency === 'number' ? () => concurrency : concurrency
  const queue = new PQueue({ concurrency: Math.max(1, limit()) })
  if (typeof concurrency === 'function') {
    // Both events come before p-queue starts the next task.
    const update = (): void => {
      queue.concurrency = Math.max(1, limit())
    }
    queue.on('completed', update)
    queue.on('error', update)
  }
  return { run: (task) => queue.add(task) }
}
