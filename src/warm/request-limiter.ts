import PQueue from 'p-queue'

/** Runs tasks at most `concurrency` at a time, first come first served. */
export interface RequestLimiter {
  run<T>(task: () => Promise<T>): Promise<T>
}

/** The p-queue behind the warm stage's bounded concurrency. */
export function createRequestLimiter(concurrency: number): RequestLimiter {
  const queue = new PQueue({ concurrency })
  return { run: (task) => queue.add(task) }
}
