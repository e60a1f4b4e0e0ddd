import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWarm } from '../../src/warm/run-warm.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { itemsSource, startServer, type TestServer, warmConfig } from '../helpers/warm.js'

const dir = useTempDir()
let server: TestServer
let inFlight = 0
let maxInFlight = 0

beforeAll(async () => {
  // Answers each request after 150 ms, counting how many are open at once.
  server = await startServer((_req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    setTimeout(() => {
      inFlight--
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[{"id":1}]}')
    }, 150)
  })
})
afterAll(() => server.close())

describe('politeness', () => {
  it('keeps at most --concurrency requests in flight, over all sources', async () => {
    const sources = Array.from({ length: 6 }, (_, i) => itemsSource(`s${i}`, `${server.url}/s${i}`))
    maxInFlight = 0
    const report = await runWarm(warmConfig(dir(), { sources, warm: { concurrency: 2 } }))
    expect(report.sources.every((s) => s.outcome === 'fetched')).toBe(true)
    expect(maxInFlight).toBe(2)
  })

  // 100 ms apart at 10/s; the bound leaves room for connection set-up, unpaced requests come within a few ms.
  it('spaces the requests to one host by the requests-per-second cap', async () => {
    const sources = Array.from({ length: 4 }, (_, i) => itemsSource(`r${i}`, `${server.url}/r${i}`))
    const seen = server.requests.length
    await runWarm(warmConfig(dir(), { sources, warm: { concurrency: 4, requestsPerSecond: 10 } }))
    const starts = server.requests.slice(seen).map((r) => r.at)
    expect(starts).toHaveLength(4)
    for (let i = 1; i < starts.length; i++) expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(50)
  })
})
