import { describe, expect, it } from 'vitest'
import { fullCollection, HeapCollector } from '../../../src/engine/heap-collector.js'

describe('HeapCollector', () => {
  it('collects once each time the records done pass the next mark, counted from the last collection', () => {
    const at: number[] = []
    let records = 0
    const heap = new HeapCollector(100, () => at.push(records))
    for (records of [40, 80, 120, 160, 200, 240, 330, 340, 450]) heap.afterChunk(records)
    expect(at).toEqual([120, 240, 340, 450])
  })

  it("V8's full collection is there to call, and frees what nothing holds", () => {
    const collect = fullCollection()
    let garbage: unknown[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i, text: `record ${i}` }))
    const before = process.memoryUsage().heapUsed
    garbage = undefined
    collect()
    expect(garbage).toBeUndefined()
    expect(process.memoryUsage().heapUsed).toBeLessThan(before)
  })
})
