import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { CircuitBreakers } from '../../src/warm/circuit-breaker.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { recordingSleep, warmConfig } from '../helpers/warm.js'

const dir = useTempDir()
let api: DemoApi

beforeAll(async () => {
  api = await startDemoApi({ records: 300 })
})
afterAll(() => api.close())

describe('circuit breaker per host', () => {
  it('opens after consecutive failures: later sources on the host fail fast, without a request; a probe after the open time closes it', async () => {
    // Three sources on one host, one request at a time, no retries: the first two failures open the circuit.
    const sources = ['a', 'b', 'c'].map((name) => ({ name, url: `${api.url}/static/users.json?src=${name}`, recordsPath: 'users', key: 'radio_id' }))
    const config = warmConfig(dir(), { sources, warm: { concurrency: 1, retry: { attempts: 1 }, breaker: { failures: 2, openFor: '60s' } } })
    const clock = { now: 1_000_000 }
    const breakers = new CircuitBreakers(config.warm.breaker, () => clock.now)
    const host = new URL(api.url).host
    api.setFault('/static/users.json', { status: 500 })

    const first = await runWarm(config, { breakers, now: () => clock.now })
    // Which source reaches the host first is up to the scheduler; two go and fail, the third finds the circuit open.
    const codes = first.sources.map((s) => (s.outcome === 'failed' ? s.code : s.outcome))
    expect([...codes].sort()).toEqual(['ERR_CIRCUIT_OPEN', 'ERR_HTTP_STATUS', 'ERR_HTTP_STATUS'])
    const skipped = first.sources[codes.indexOf('ERR_CIRCUIT_OPEN')]
    expect(skipped).toHaveProperty('error', `circuit open for ${host} after 2 consecutive failures: not trying it for another 60 s`)
    expect(api.requests.filter((r) => r.url.includes(`src=${skipped?.name}`))).toHaveLength(0)

    // Still open 59 s later, even though the host has recovered: nothing is sent.
    api.setFault('/static/users.json', undefined)
    clock.now += 59_000
    const seen = api.requests.length
    const second = await runWarm(config, { breakers, now: () => clock.now })
    expect(second.sources.every((s) => s.outcome === 'failed' && s.code === 'ERR_CIRCUIT_OPEN')).toBe(true)
    expect(api.requests.length).toBe(seen)

    // After the open time, one probe goes; its success closes the circuit and the other sources follow.
    clock.now += 1000
    expect(breakers.stateOf(host)).toBe('half-open')
    const third = await runWarm(config, { breakers, now: () => clock.now })
    expect(third.sources.map((s) => s.outcome)).toEqual(['fetched', 'fetched', 'fetched'])
    expect(breakers.stateOf(host)).toBe('closed')
  })

  it('a failed probe opens the circuit again', async () => {
    const config = warmConfig(dir(), {
      sources: [{ name: 'p', url: `${api.url}/v2/device?probe=1`, key: 'id' }],
      warm: { retry: { attempts: 1 }, breaker: { failures: 1, openFor: 1000 } },
    })
    const clock = { now: 0 }
    const breakers = new CircuitBreakers(config.warm.breaker, () => clock.now)
    const host = new URL(api.url).host
    api.setFault('/v2/device', { status: 503 })
    try {
      await runWarm(config, { breakers, now: () => clock.now })
      expect(breakers.stateOf(host)).toBe('open')
      clock.now += 1000
      const probe = await runWarm(config, { breakers, now: () => clock.now })
      expect(probe.sources[0]).toMatchObject({ outcome: 'failed', code: 'ERR_HTTP_STATUS' })
      expect(breakers.stateOf(host)).toBe('open')
    } finally {
      api.setFault('/v2/device', undefined)
    }
  })

  it('within one run, retries stop once its own failures open the circuit', async () => {
    const { sleep } = recordingSleep()
    const sources = [{ name: 'x', url: `${api.url}/static/rptrs.json?fault=500&src=x`, recordsPath: 'rptrs', key: 'id' }]
    const config = warmConfig(dir(), { sources, warm: { retry: { attempts: 5, initialDelay: 1 }, breaker: { failures: 3 } } })
    const report = await runWarm(config, { sleep })
    const host = new URL(api.url).host
    expect(report.sources[0]).toMatchObject({
      outcome: 'failed',
      retries: 2,
      code: 'ERR_HTTP_STATUS',
      error: `HTTP 500 from ${api.url}/static/rptrs.json?fault=500&src=x (gave up after 3 attempts; the circuit for ${host} is now open)`,
    })
    expect(api.requests.filter((r) => r.url.includes('src=x'))).toHaveLength(3)
  })
})
