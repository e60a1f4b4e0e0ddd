import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoApi } from '../../src/demo-api/demo-api.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { PAGED_RECORDS, startPagedApi } from '../helpers/paged-api.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { itemsSource, readNdjson, type TestServer, warmConfig } from '../helpers/warm.js'

const dir = useTempDir()
const RECORDS = PAGED_RECORDS
let server: TestServer

beforeAll(async () => {
  server = await startPagedApi()
})
afterAll(() => server.close())

async function warmOne(name: string, path: string, pagination: Record<string, unknown>) {
  const config = warmConfig(dir(), { sources: [itemsSource(name, `${server.url}${path}`, { pagination })] })
  const before = server.requests.length
  const report = await runWarm(config)
  return { report, source: report.sources[0], requested: server.requests.slice(before).map((r) => r.url), file: join(config.cacheDir, `${name}.ndjson`) }
}

describe('pagination styles', () => {
  it('offset/limit with custom keys stops on the short page', async () => {
    const { source, requested, file } = await warmOne('offset', '/offset', { style: 'offset', limitKey: 'take', skipKey: 'skip', limitMax: 10 })
    expect(source).toMatchObject({ outcome: 'fetched', records: 25, pages: 3 })
    expect(requested).toEqual(['/offset?take=10&skip=0', '/offset?take=10&skip=10', '/offset?take=10&skip=20'])
    expect(readNdjson(file)).toEqual(RECORDS)
  })

  it('page/per-page', async () => {
    const { source, requested, file } = await warmOne('page', '/page', { style: 'page', pageKey: 'p', perPageKey: 'size', perPage: 10 })
    expect(source).toMatchObject({ outcome: 'fetched', records: 25, pages: 3 })
    expect(requested).toEqual(['/page?p=1&size=10', '/page?p=2&size=10', '/page?p=3&size=10'])
    expect(readNdjson(file)).toEqual(RECORDS)
  })

  it('a cursor in the body', async () => {
    const { source, requested, file } = await warmOne('cursor', '/cursor', { style: 'cursor', cursorPath: 'meta.next', cursorKey: 'after' })
    expect(source).toMatchObject({ outcome: 'fetched', records: 25, pages: 4 })
    expect(requested).toEqual(['/cursor', '/cursor?after=7', '/cursor?after=14', '/cursor?after=21'])
    expect(readNdjson(file)).toEqual(RECORDS)
  })

  it('a next link in the body, relative to the page', async () => {
    const { source, requested, file } = await warmOne('next', '/next?from=0', { style: 'next-link', nextPath: 'links.next' })
    expect(source).toMatchObject({ outcome: 'fetched', records: 25, pages: 3 })
    expect(requested).toEqual(['/next?from=0', '/next?from=10', '/next?from=20'])
    expect(readNdjson(file)).toEqual(RECORDS)
  })

  it('Link: rel="next" headers', async () => {
    const { source, requested, file } = await warmOne('link', '/link?from=0', { style: 'link-header' })
    expect(source).toMatchObject({ outcome: 'fetched', records: 25, pages: 3 })
    expect(requested).toEqual(['/link?from=0', '/link?from=10', '/link?from=20'])
    expect(readNdjson(file)).toEqual(RECORDS)
  })

  it('stops on an empty page when every page is full', async () => {
    const { source, requested } = await warmOne('empty', '/empty-ends', { style: 'offset', limitMax: 10 })
    expect(source).toMatchObject({ outcome: 'fetched', records: 20, pages: 3 })
    expect(requested.at(-1)).toBe('/empty-ends?limit=10&offset=20')
  })

  it('an API that ignores the paging parameters and sends everything: one page, all the records', async () => {
    const { source, requested } = await warmOne('ignores', '/ignores-paging', { style: 'offset', limitMax: 10 })
    expect(source).toMatchObject({ outcome: 'fetched', records: 25, pages: 1 })
    expect(requested).toHaveLength(1)
  })

  it('an API that sends the same page again and again fails the source instead of looping', async () => {
    const { source, requested } = await warmOne('loops', '/first-page-forever', { style: 'offset', limitMax: 10 })
    expect(source).toMatchObject({ outcome: 'failed', code: 'ERR_SOURCE' })
    expect(source).toHaveProperty(
      'error',
      `pagination does not advance: ${server.url}/first-page-forever?limit=10&offset=10 returned the same records as the page before it`,
    )
    expect(requested).toHaveLength(2)
  })

  it('the demo API: RadioID dumps in one body each, BrandMeister devices by offset/limit, gzip decompressed', async () => {
    const api = await startDemoApi({ records: 3000, gzip: true })
    try {
      const config = warmConfig(dir(), {}, { baseUrl: api.url, cacheDir: join(dir(), 'demo') })
      const report = await runWarm(config)
      expect(report.sources.map((s) => [s.name, s.outcome, s.records, s.pages])).toEqual([
        ['rptrs', 'fetched', 115, 1],
        ['users', 'fetched', 2527, 1],
        ['devices', 'fetched', 358, 1],
      ])
      expect(api.requests.every((r) => /^cachesync\/\d+\.\d+\.\d+$/.test(r.headers['user-agent'] ?? ''))).toBe(true)
      expect(api.requests.every((r) => r.headers['accept-encoding'] === 'gzip, deflate, br')).toBe(true)
      expect(api.requests.map((r) => r.url).sort()).toEqual(['/static/rptrs.json', '/static/users.json', '/v2/device?limit=1000&offset=0'])
      expect(readNdjson(join(config.cacheDir, 'users.ndjson'))[0]).toHaveProperty('radio_id')
    } finally {
      await api.close()
    }
  })
})
