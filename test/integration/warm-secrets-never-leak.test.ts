import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { BREAKER_FILE } from '../../src/warm/breaker-file.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const dir = useTempDir()
let api: DemoApi

const TOKEN = 'tok-9f8e7d6c5b4a'
const KEY = 'key-0a1b2c3d4e5f'
const HEADER = 'hdr-5e6f7a8b9c0d'
const PASSWORD = 'pw-1c2d3e4f5a6b'
const SECRETS = [TOKEN, KEY, HEADER, PASSWORD, Buffer.from(`mirror:${PASSWORD}`).toString('base64')]

beforeAll(async () => {
  api = await startDemoApi({ records: 1500 })
})
afterAll(() => api.close())

/** Three sources with the three kinds of credentials; one retried once, one failing for good. */
function writeConfig(): string {
  const path = join(dir(), 'secrets.json')
  writeFileSync(
    path,
    JSON.stringify({
      warm: { retry: { attempts: 2, initialDelay: '5ms' } },
      sources: [
        { name: 'users', url: '/static/users.json', recordsPath: 'users', key: 'radio_id', auth: { type: 'bearer', env: 'CS_TEST_TOKEN' } },
        {
          name: 'rptrs',
          url: '/static/rptrs.json?fault=500&times=1',
          recordsPath: 'rptrs',
          key: 'id',
          auth: { type: 'query', name: 'api_key', env: 'CS_TEST_KEY' },
        },
        { name: 'devices', url: '/v2/device?fault=503', key: 'id', auth: { type: 'header', name: 'X-Api-Key', env: 'CS_TEST_HEADER' } },
      ].map((s) => ({ ...s, url: `http://upstream.invalid${s.url}` })),
    }),
  )
  return path
}

function filesUnder(path: string): string[] {
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(path, entry.name)) : [join(path, entry.name)]))
}

describe('credentials', () => {
  it('reach the server, and appear in no log line, message, report or cache file', async () => {
    const config = writeConfig()
    const cacheDir = join(dir(), 'cache')
    const env = { CS_TEST_TOKEN: TOKEN, CS_TEST_KEY: KEY, CS_TEST_HEADER: HEADER }
    // A mirror behind a password, given in --base-url: sent as Basic auth where no other Authorization is.
    const mirror = api.url.replace('http://', `http://mirror:${PASSWORD}@`)
    const base = ['warm', '--config', config, '--cache-dir', cacheDir, '--base-url', mirror, '--log-level', 'debug']
    const asJson = await runCli([...base, '--json'], env)
    const asTable = await runCli(base, env)
    expect(asJson.code).toBe(1)
    expect(asTable.code).toBe(1)

    // The server got every credential, where it was configured to go.
    expect(api.requests.find((r) => r.url.startsWith('/static/users.json'))?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(api.requests.find((r) => r.url.startsWith('/static/rptrs.json'))?.url).toContain(`api_key=${KEY}`)
    expect(api.requests.find((r) => r.url.startsWith('/v2/device'))?.headers['x-api-key']).toBe(HEADER)
    expect(api.requests.find((r) => r.url.startsWith('/static/rptrs.json'))?.headers.authorization).toBe(
      `Basic ${Buffer.from(`mirror:${PASSWORD}`).toString('base64')}`,
    )

    // The run did log, retry and fail, so there was every chance to leak.
    const report = JSON.parse(asJson.stdout)
    expect(report.sources.map((s: { name: string; outcome: string }) => [s.name, s.outcome])).toEqual([
      ['users', 'fetched'],
      ['rptrs', 'fetched'],
      ['devices', 'failed'],
    ])
    expect(report.sources[1].url).toBe(`${api.url.replace('http://', 'http://***@')}/static/rptrs.json?fault=500&times=1`)
    expect(asJson.stderr).toContain('"msg":"retrying"')
    expect(asJson.stderr).toContain('"msg":"source failed"')
    expect(asTable.stdout).toContain('✗ devices: HTTP 503')

    const texts = [asJson.stdout, asJson.stderr, asTable.stdout, asTable.stderr, ...filesUnder(cacheDir).map((file) => readFileSync(file, 'utf8'))]
    // The hosts' breaker file is there when a circuit opened during the failures (its text is checked
    // with the others below); the rest is the cache.
    expect(
      filesUnder(cacheDir)
        .map((f) => f.slice(cacheDir.length + 1))
        .filter((name) => name !== BREAKER_FILE)
        .sort(),
    ).toEqual(['.cachesync-warm.json', 'rptrs.meta.json', 'rptrs.ndjson', 'rptrs.ndjson.lines', 'users.meta.json', 'users.ndjson', 'users.ndjson.lines'])
    // The warm record keeps the failed source's error: scrubbed like every other message.
    expect(JSON.parse(readFileSync(join(cacheDir, '.cachesync-warm.json'), 'utf8')).devices).toMatchObject({ outcome: 'failed', code: 'ERR_HTTP_STATUS' })
    for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret)
    expect(JSON.parse(readFileSync(join(cacheDir, 'rptrs.meta.json'), 'utf8')).source).toBe(
      `${api.url.replace('http://', 'http://***@')}/static/rptrs.json?fault=500&times=1`,
    )
  })

  it('a missing secret fails its source with a message naming the variable, not the run', async () => {
    const config = resolveConfig({ env: {}, configFile: writeConfig(), flags: { cacheDir: join(dir(), 'c2'), baseUrl: api.url } })
    const report = await runWarm(config, { env: {}, sources: ['users'] })
    expect(report.sources[0]).toMatchObject({
      name: 'users',
      outcome: 'failed',
      code: 'ERR_CONFIG',
      error: 'Source users: environment variable CS_TEST_TOKEN (its auth) is not set',
    })
  })
})
