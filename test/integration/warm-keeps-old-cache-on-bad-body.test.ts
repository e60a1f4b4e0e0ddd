import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { BREAKER_FILE } from '../../src/warm/breaker-file.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { FAST_RETRY, recordingSleep, snapshotDir, startServer, type TestServer, warmConfig } from '../helpers/warm.js'

const dir = useTempDir()
let api: DemoApi
let truncating: TestServer
let cacheDir: string
let good: Record<string, string>

beforeAll(async () => {
  api = await startDemoApi({ records: 3000 })
  // Ends its response cleanly, but the JSON in it stops half-way: no transport error, only the parser sees it.
  truncating = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"users":[{"radio_id":1,"callsign":"K1A"},{"radio_id":2,"call')
  })
  cacheDir = join(dir(), 'cache')
  const report = await runWarm(usersFrom(`${api.url}/static/users.json`))
  expect(report.sources[0]?.outcome).toBe('fetched')
  good = snapshotDir(cacheDir)
  expect(Object.keys(good)).toEqual(['users.meta.json', 'users.ndjson', 'users.ndjson.lines'])
})
afterAll(async () => {
  await api.close()
  await truncating.close()
})

function usersFrom(url: string, warm: Record<string, unknown> = {}) {
  return warmConfig(dir(), { sources: [{ name: 'users', url, recordsPath: 'users', key: 'radio_id' }], warm: { retry: FAST_RETRY, ...warm } }, { cacheDir })
}

/** Warms from a failing upstream; the cache directory must end exactly as it was (no temp file either). */
async function failsKeepingCache(url: string, code: string, warm: Record<string, unknown> = {}): Promise<string> {
  // Each case is a failure of its own: the circuit an earlier case opened for 127.0.0.1 (kept in the
  // cache directory between warms) would answer for it.
  rmSync(join(cacheDir, BREAKER_FILE), { force: true })
  const { sleep } = recordingSleep()
  const report = await runWarm(usersFrom(url, warm), { sleep })
  const source = report.sources[0]
  expect(report.ok).toBe(false)
  expect(source).toMatchObject({ outcome: 'failed', code, records: 0 })
  expect(snapshotDir(cacheDir)).toEqual(good)
  return source !== undefined && 'error' in source ? source.error : ''
}

describe('a failed fetch leaves the previous cache file and meta byte for byte', () => {
  it('a body cut short, on every attempt', async () => {
    const error = await failsKeepingCache(`${api.url}/static/users.json?fault=cut&after=50000`, 'ERR_NETWORK')
    expect(error).toMatch(/^network error fetching http:\/\/127\.0\.0\.1:\d+\/static\/users\.json\?fault=cut&after=50000: .+ \(gave up after 3 attempts\)$/)
  })

  it('a body that ends cleanly with its JSON cut half-way (not retried: the parser refuses it)', async () => {
    const before = truncating.requests.length
    const error = await failsKeepingCache(`${truncating.url}/users.json`, 'ERR_PARSE')
    expect(error).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/users\.json: the body is not valid JSON: it ends at byte 61 inside the records array, before its JSON is complete \(cut short\?\)$/,
    )
    expect(truncating.requests.length - before).toBe(1)
  })

  it('invalid JSON half-way through a large body', async () => {
    const error = await failsKeepingCache(`${api.url}/static/users.json?fault=invalid`, 'ERR_PARSE')
    expect(error).toContain('/static/users.json?fault=invalid: the body is not valid JSON')
  })

  it('a body without the records where they should be', async () => {
    const error = await failsKeepingCache(`${api.url}/static/rptrs.json`, 'ERR_PARSE')
    expect(error).toBe(`${api.url}/static/rptrs.json: the body holds no records: expected an array at "users", found an object`)
  })

  it('a server that never answers', async () => {
    const error = await failsKeepingCache(`${api.url}/static/users.json?fault=hang`, 'ERR_TIMEOUT', {
      headersTimeout: '200ms',
      retry: { attempts: 2, initialDelay: 1 },
    })
    expect(error).toBe(`no response headers from ${api.url}/static/users.json?fault=hang within 200 ms (gave up after 2 attempts)`)
  })

  it('a body that stalls', async () => {
    const error = await failsKeepingCache(`${api.url}/static/users.json?fault=stall&after=30000`, 'ERR_TIMEOUT', {
      bodyTimeout: '200ms',
      retry: { attempts: 1 },
    })
    expect(error).toBe(`the body from ${api.url}/static/users.json?fault=stall&after=30000 stalled for 200 ms`)
  })

  it('server errors and client errors', async () => {
    await failsKeepingCache(`${api.url}/static/users.json?fault=503`, 'ERR_HTTP_STATUS')
    await failsKeepingCache(`${api.url}/static/nothing-here.json`, 'ERR_HTTP_STATUS')
  })

  it('and the next good check confirms it: its validators were kept, so the answer is a 304', async () => {
    const report = await runWarm(usersFrom(`${api.url}/static/users.json`))
    expect(report.sources[0]?.outcome).toBe('not-modified')
    const after = snapshotDir(cacheDir)
    expect(after['users.ndjson']).toBe(good['users.ndjson'])
    expect(after['users.meta.json']).not.toBe(good['users.meta.json'])
  })
})
