import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { FAST_RETRY, readNdjson, recordingSleep, warmConfig } from '../helpers/warm.js'

const dir = useTempDir()
let api: DemoApi

beforeAll(async () => {
  api = await startDemoApi({ records: 600 })
})
afterAll(() => api.close())

/** A config of the one `users` dump at `query` (faults in the query string), with the given retry settings. */
function usersAt(query: string, retry: Record<string, unknown> = FAST_RETRY, extra: Record<string, unknown> = {}) {
  return warmConfig(
    dir(),
    { sources: [{ name: 'users', url: `${api.url}/static/users.json${query}`, recordsPath: 'users', key: 'radio_id' }], warm: { retry, ...extra } },
    { cacheDir: join(dir(), `cache-${Math.random().toString(36).slice(2)}`) },
  )
}

const requestsTo = (fault: string) => api.requests.filter((r) => r.url.includes(fault))

describe('retries', () => {
  it('retries 5xx with exponential backoff (delays seen through the injected sleep) and then succeeds', async () => {
    const { sleep, delays } = recordingSleep()
    const report = await runWarm(usersAt('?fault=500&times=3', { attempts: 5, initialDelay: 100, factor: 2, maxDelay: 250, jitter: 0 }), { sleep })
    expect(report.sources[0]).toMatchObject({ outcome: 'fetched', records: 505, retries: 3 })
    expect(delays).toEqual([100, 200, 250])
    expect(requestsTo('fault=500&times=3').map((r) => r.status)).toEqual([500, 500, 500, 200])
  })

  it('adds jitter from the random source, up to the configured fraction', async () => {
    const { sleep, delays } = recordingSleep()
    await runWarm(usersAt('?fault=503&times=2&j', { attempts: 3, initialDelay: 1000, factor: 2, jitter: 0.1 }), { sleep, random: () => 0.5 })
    expect(delays).toEqual([1050, 2100])
  })

  it('waits for real between attempts: the server sees the gaps grow', async () => {
    const report = await runWarm(usersAt('?fault=502&times=2', { attempts: 3, initialDelay: 30, factor: 2, jitter: 0 }))
    expect(report.sources[0]?.outcome).toBe('fetched')
    const at = requestsTo('fault=502&times=2').map((r) => r.at)
    expect(at).toHaveLength(3)
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(29)
    expect((at[2] as number) - (at[1] as number)).toBeGreaterThanOrEqual(59)
  })

  it('obeys Retry-After on 429 and 503 when it asks for longer than the backoff', async () => {
    const { sleep, delays } = recordingSleep()
    const report = await runWarm(usersAt('?fault=429&times=1&retryAfter=7'), { sleep })
    expect(report.sources[0]).toMatchObject({ outcome: 'fetched', retries: 1 })
    expect(delays).toEqual([7000])
    const again = recordingSleep()
    await runWarm(usersAt('?fault=503&times=1&retryAfter=2'), { sleep: again.sleep })
    expect(again.delays).toEqual([2000])
  })

  it('fails rather than wait a Retry-After longer than retry.maxRetryAfter', async () => {
    const { sleep, delays } = recordingSleep()
    const report = await runWarm(usersAt('?fault=429&retryAfter=3600', { ...FAST_RETRY, maxRetryAfter: '1m' }), { sleep })
    expect(report.sources[0]).toMatchObject({ outcome: 'failed', code: 'ERR_HTTP_STATUS' })
    expect(report.sources[0]).toHaveProperty('error', expect.stringContaining('the server asks to retry after 3600 s, longer than retry.maxRetryAfter (60 s)'))
    expect(delays).toEqual([])
  })

  it('does not retry a 4xx other than 429', async () => {
    const { sleep, delays } = recordingSleep()
    const report = await runWarm(usersAt('?fault=403'), { sleep })
    expect(report.sources[0]).toMatchObject({
      outcome: 'failed',
      retries: 0,
      code: 'ERR_HTTP_STATUS',
      error: `HTTP 403 from ${api.url}/static/users.json?fault=403`,
    })
    expect(delays).toEqual([])
    expect(requestsTo('fault=403')).toHaveLength(1)
  })

  it('gives up after the configured attempts and says so', async () => {
    const { sleep } = recordingSleep()
    const report = await runWarm(usersAt('?fault=500&k=giveup'), { sleep })
    expect(report.sources[0]).toMatchObject({
      outcome: 'failed',
      retries: 2,
      error: `HTTP 500 from ${api.url}/static/users.json?fault=500&k=giveup (gave up after 3 attempts)`,
    })
    expect(requestsTo('k=giveup')).toHaveLength(3)
  })

  it('retries a timeout (the server never answers) and a body cut short', async () => {
    const { sleep } = recordingSleep()
    const hang = await runWarm(usersAt('?fault=hang&times=1', FAST_RETRY, { headersTimeout: '300ms' }), { sleep })
    expect(hang.sources[0]).toMatchObject({ outcome: 'fetched', retries: 1, records: 505 })
    const config = usersAt('?fault=cut&after=20000&times=2')
    const cut = await runWarm(config, { sleep })
    expect(cut.sources[0]).toMatchObject({ outcome: 'fetched', retries: 2, records: 505 })
    // The half-written records of the cut attempts were rolled back, not kept.
    const ids = readNdjson(join(config.cacheDir, 'users.ndjson')).map((r) => (r as { radio_id: number }).radio_id)
    expect(ids).toHaveLength(505)
    expect(new Set(ids).size).toBe(505)
  })
})
