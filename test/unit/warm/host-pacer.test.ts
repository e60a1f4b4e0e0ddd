import { describe, expect, it } from 'vitest'
import { HostPacer } from '../../../src/warm/host-pacer.js'

describe('HostPacer', () => {
  it('spaces the requests to one host by 1/rate, start to start, and leaves other hosts alone', async () => {
    const clock = { now: 0 }
    const waits: number[] = []
    const pacer = new HostPacer(
      4,
      () => clock.now,
      async (ms) => {
        waits.push(ms)
      },
    )
    await Promise.all([pacer.wait('a'), pacer.wait('a'), pacer.wait('a'), pacer.wait('b')])
    expect(waits).toEqual([250, 500])
    clock.now = 2000
    await pacer.wait('a')
    expect(waits).toEqual([250, 500])
  })

  it('does nothing without a rate', async () => {
    const pacer = new HostPacer(
      undefined,
      () => 0,
      async () => {
        throw new Error('should not sleep')
      },
    )
    await pacer.wait('a')
    await pacer.wait('a')
  })
})
