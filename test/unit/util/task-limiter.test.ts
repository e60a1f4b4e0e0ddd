import { describe, expect, it } from 'vitest'
import { createTaskLimiter } from '../../../src/util/task-limiter.js'

/** A task that stays running until its `finish` is called. */
function pending(): { task: () => Promise<void>; finish: () => void } {
  let finish = (): void => {}
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  return { task: () => done, finish }
}

describe('createTaskLimiter', () => {
  it('runs tasks in the order given, no more at once than the limit, asked again as each one ends', async () => {
    let limit = 2
    const limiter = createTaskLimiter(() => limit)
    const started: number[] = []
    const tasks = [0, 1, 2, 3].map(() => pending())
    const runs = tasks.map((t, i) =>
      limiter.run(() => {
        started.push(i)
        return t.task()
      }),
    )
    expect(started).toEqual([0, 1])
    limit = 1
    tasks[0]?.finish()
    await runs[0]
    await new Promise((resolve) => setImmediate(resolve))
    // One still running (task 1) is already the new limit: nothing starts.
    expect(started).toEqual([0, 1])
    tasks[1]?.finish()
    await runs[1]
    await new Promise((resolve) => setImmediate(resolve))
    expect(started).toEqual([0, 1, 2])
    tasks[2]?.finish()
    tasks[3]?.finish()
    await Promise.all(runs)
    expect(started).toEqual([0, 1, 2, 3])
  })
})
