import { describe, expect, it } from 'vitest'
import { BatchSizer, DEFAULT_BATCH_SIZE } from '../../../src/archive/batch-sizer.js'

const options = { start: 1000, min: 250, max: 8000, targetMs: 1000 }

describe('BatchSizer: batches sized to the target time, within bounds', () => {
  it('a slow storage shrinks the batches, by at most half a step, down to the minimum', () => {
    const sizer = new BatchSizer(options)
    sizer.record(1000, 10_000)
    expect(sizer.size).toBe(500)
    sizer.record(500, 10_000)
    sizer.record(250, 10_000)
    expect(sizer.size).toBe(250)
    expect(sizer.sizes).toEqual([1000, 500, 250])
  })

  it('a fast one grows them, by at most double a step, up to the maximum', () => {
    const sizer = new BatchSizer(options)
    for (const rows of [1000, 2000, 4000, 8000]) sizer.record(rows, 1)
    expect(sizer.sizes).toEqual([1000, 2000, 4000, 8000])
  })

  it('moves to the size that takes the target time when that is within a factor of two', () => {
    const sizer = new BatchSizer(options)
    sizer.record(1000, 800)
    expect(sizer.size).toBe(1250)
  })

  it('a short last batch says nothing, and the start is clamped to the bounds', () => {
    const sizer = new BatchSizer(options)
    sizer.record(10, 10_000)
    expect(sizer.size).toBe(1000)
    expect(new BatchSizer({ ...options, start: 100 }).size).toBe(250)
    expect(new BatchSizer(DEFAULT_BATCH_SIZE).size).toBe(DEFAULT_BATCH_SIZE.start)
  })
})
