import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ResolvedConfig } from '../../src/config/resolve-config.js'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { snapshotDir, warmConfig } from '../helpers/warm.js'

const dir = useTempDir()
let api: DemoApi
let config: ResolvedConfig

beforeAll(async () => {
  api = await startDemoApi({ records: 2000 })
  config = warmConfig(dir(), {}, { baseUrl: api.url })
})
afterAll(() => api.close())

const meta = (name: string) => JSON.parse(readFileSync(join(config.cacheDir, `${name}.meta.json`), 'utf8'))
const outcomes = (report: { sources: readonly { name: string; outcome: string }[] }) => Object.fromEntries(report.sources.map((s) => [s.name, s.outcome]))

describe('conditional requests and --max-age', () => {
  it('a first warm fetches everything and keeps the validators of each single-body source', async () => {
    const report = await runWarm(config)
    expect(outcomes(report)).toEqual({ rptrs: 'fetched', users: 'fetched', devices: 'fetched' })
    expect(meta('users')).toMatchObject({ etag: '"users-1-2000-0"', records: 1685, source: `${api.url}/static/users.json` })
    expect(meta('users').lastModified).toMatch(/GMT$/)
    expect(meta('users').fetchedAt).toBe(meta('users').checkedAt)
    expect(meta('devices').etag).toBeUndefined()
  })

  it('a second warm sends If-None-Match / If-Modified-Since; a 304 leaves the file and refreshes only checkedAt', async () => {
    const before = snapshotDir(config.cacheDir)
    const usersMeta = meta('users')
    const seen = api.requests.length
    const clock = Math.max(Date.now(), Date.parse(usersMeta.checkedAt) + 1000)
    const report = await runWarm(config, { now: () => clock })
    expect(outcomes(report)).toEqual({ rptrs: 'not-modified', users: 'not-modified', devices: 'fetched' })
    expect(report.sources.find((s) => s.name === 'users')).toMatchObject({ records: 1685, bytes: usersMeta.bytes, pages: 0 })
    const users = api.requests.slice(seen).find((r) => r.url === '/static/users.json')
    expect(users?.headers['if-none-match']).toBe('"users-1-2000-0"')
    expect(users?.headers['if-modified-since']).toBe(usersMeta.lastModified)
    expect(users?.status).toBe(304)
    const after = snapshotDir(config.cacheDir)
    expect(after['users.ndjson']).toBe(before['users.ndjson'])
    expect(meta('users')).toEqual({ ...usersMeta, checkedAt: new Date(clock).toISOString() })
  })

  it('If-Modified-Since alone (a meta without ETag) also gets a 304', async () => {
    const path = join(config.cacheDir, 'rptrs.meta.json')
    const { etag: _etag, ...rest } = meta('rptrs')
    writeFileSync(path, JSON.stringify(rest))
    const seen = api.requests.length
    const report = await runWarm(config, { sources: ['rptrs'] })
    expect(outcomes(report)).toEqual({ rptrs: 'not-modified' })
    const request = api.requests.slice(seen)[0]
    expect(request?.headers['if-none-match']).toBeUndefined()
    expect(request?.status).toBe(304)
  })

  it('--max-age skips a source checked more recently, without a request; older ones are checked', async () => {
    const checked = Date.parse(meta('users').checkedAt)
    const seen = api.requests.length
    const fresh = await runWarm(config, { maxAgeMs: 60_000, now: () => checked + 59_000, sources: ['users'] })
    expect(fresh.sources[0]).toMatchObject({ outcome: 'fresh', records: 1685, pages: 0, retries: 0 })
    expect(api.requests.length).toBe(seen)
    const stale = await runWarm(config, { maxAgeMs: 60_000, now: () => checked + 61_000, sources: ['users'] })
    expect(stale.sources[0]?.outcome).toBe('not-modified')
    expect(api.requests.length).toBe(seen + 1)
  })

  it('a per-source maxAge in the configuration works the same; the flag overrides it', async () => {
    const withMaxAge = warmConfig(
      dir(),
      { extendBuiltin: false, sources: [{ name: 'users', url: `${api.url}/static/users.json`, recordsPath: 'users', key: 'radio_id', maxAge: '1h' }] },
      {},
    )
    const cacheDir = join(dir(), 'cache')
    expect(withMaxAge.cacheDir).toBe(cacheDir)
    // Ten minutes after the earlier tests' last check (they ran clocks up to a minute ahead).
    expect((await runWarm(withMaxAge, { now: () => Date.now() + 600_000 })).sources[0]?.outcome).toBe('fresh')
    expect((await runWarm(withMaxAge, { maxAgeMs: 0 })).sources[0]?.outcome).toBe('not-modified')
  })

  it('a cache file whose meta does not describe it (edited by hand) is fetched again, not trusted', async () => {
    writeFileSync(join(config.cacheDir, 'rptrs.ndjson'), '{"id":1}\n')
    const seen = api.requests.length
    const report = await runWarm(config, { maxAgeMs: 3_600_000, sources: ['rptrs'] })
    expect(report.sources[0]).toMatchObject({ outcome: 'fetched', records: 77 })
    expect(api.requests.slice(seen)[0]?.headers['if-none-match']).toBeUndefined()
  })
})
