import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type ResolvedConfig, resolveConfig } from '../../../src/config/resolve-config.js'
import { DEFAULT_WARM } from '../../../src/config/resolve-warm.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const dir = useTempDir()

function resolveWith(file: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, flags: Record<string, unknown> = {}): ResolvedConfig {
  const path = join(dir(), `c-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, JSON.stringify(file))
  return resolveConfig({ env, configFile: path, flags: { cacheDir: join(dir(), 'cache'), ...flags }, cwd: dir() })
}

function issuesOf(file: Record<string, unknown>): string {
  try {
    resolveWith(file)
  } catch (err) {
    expect((err as { code: string }).code).toBe('ERR_CONFIG')
    return (err as Error).message
  }
  throw new Error('the configuration was accepted')
}

const source = (extra: Record<string, unknown>) => ({ sources: [{ name: 'stations', key: 'id', url: 'https://api.example/stations', ...extra }] })

describe('HTTP sources in the configuration', () => {
  it('gives the built-in DMR sources the real endpoints, devices paginated by offset/limit', () => {
    const config = resolveConfig({ env: {} })
    expect(config.sources.map((s) => s.http?.url)).toEqual([
      'https://radioid.net/static/rptrs.json',
      'https://radioid.net/static/users.json',
      'https://api.brandmeister.network/v2/device',
    ])
    expect(config.sources[2]?.http?.pagination).toEqual({ style: 'offset', limitKey: 'limit', skipKey: 'offset', limitMax: 1000 })
    expect(config.warm).toEqual(DEFAULT_WARM)
  })

  it('--base-url (env CACHESYNC_BASE_URL) replaces scheme, host and port, keeping path and query; a flag wins over the env', () => {
    const fromEnv = resolveConfig({ env: { CACHESYNC_BASE_URL: 'http://127.0.0.1:8080' } })
    expect(fromEnv.sources.map((s) => s.http?.url)).toEqual([
      'http://127.0.0.1:8080/static/rptrs.json',
      'http://127.0.0.1:8080/static/users.json',
      'http://127.0.0.1:8080/v2/device',
    ])
    const fromFlag = resolveConfig({ env: { CACHESYNC_BASE_URL: 'http://127.0.0.1:8080' }, flags: { baseUrl: 'https://mirror.example/dmr/' } })
    expect(fromFlag.sources[0]?.http?.url).toBe('https://mirror.example/dmr/static/rptrs.json')
    expect(resolveWith(source({ url: 'https://api.example/v1/s?region=eu' }), {}, { baseUrl: 'http://localhost:1' }).sources[0]?.http?.url).toBe(
      'http://localhost:1/v1/s?region=eu',
    )
  })

  it('reads every pagination style, auth, headers and durations', () => {
    const config = resolveWith({
      ...source({
        pagination: { style: 'cursor', cursorPath: 'meta.next' },
        auth: { type: 'header', name: 'X-Api-Key', env: 'STATIONS_KEY' },
        headers: { Accept: 'application/json' },
        maxAge: '1h30m',
      }),
      warm: { concurrency: 2, retry: { initialDelay: '250ms', maxDelay: 2000 }, breaker: { openFor: '2m' }, requestsPerSecond: 0.5 },
    })
    expect(config.sources[0]?.http).toEqual({
      url: 'https://api.example/stations',
      pagination: { style: 'cursor', cursorPath: 'meta.next' },
      auth: { type: 'header', name: 'X-Api-Key', env: 'STATIONS_KEY' },
      headers: { Accept: 'application/json' },
      maxAgeMs: 5_400_000,
    })
    expect(config.warm).toMatchObject({
      concurrency: 2,
      requestsPerSecond: 0.5,
      retry: { ...DEFAULT_WARM.retry, initialDelayMs: 250, maxDelayMs: 2000 },
      breaker: { failures: 5, openForMs: 120_000 },
    })
  })

  it('merges warm settings file < env < flags, key by key', () => {
    const config = resolveWith(
      { warm: { concurrency: 8, maxAge: '1h' } },
      { CACHESYNC_CONCURRENCY: '3', CACHESYNC_MAX_AGE: '10m' },
      { warm: { concurrency: 1 } },
    )
    expect(config.warm.concurrency).toBe(1)
    expect(config.warm.maxAgeMs).toBe(600_000)
  })

  it('refuses a cache file outside the cache directory, naming the source and the file', () => {
    expect(issuesOf(source({ file: '../outside.ndjson' }))).toContain('sources[0] (stations).file: ../outside.ndjson is outside the cache directory')
    expect(issuesOf(source({ file: '/etc/passwd.ndjson' }))).toContain('sources[0] (stations).file: /etc/passwd.ndjson is outside the cache directory')
    expect(issuesOf(source({ file: 'sub/../../x.ndjson' }))).toContain('is outside the cache directory')
    expect(resolveWith(source({ file: 'sub/stations.ndjson' })).sources[0]?.file).toBe('sub/stations.ndjson')
  })

  it('refuses a source with a url whose file is not NDJSON', () => {
    expect(issuesOf(source({ file: 'stations.json' }))).toContain('sources[0] (stations).file: cachesync warm writes NDJSON')
  })

  it('names the key path and what was expected', () => {
    expect(issuesOf(source({ url: 'ftp://x/y' }))).toContain('sources[0].url: must be an absolute http:// or https:// URL')
    expect(issuesOf(source({ pagination: { style: 'scroll' } }))).toContain(
      'sources[0].pagination.style: style must be one of offset, page, cursor, next-link, link-header',
    )
    expect(issuesOf(source({ pagination: { style: 'cursor' } }))).toContain('sources[0].pagination.cursorPath:')
    expect(issuesOf(source({ pagination: { style: 'offset', limitMax: 0 } }))).toContain('sources[0].pagination.limitMax: must be a positive integer')
    expect(issuesOf(source({ auth: { type: 'bearer', env: 'A', value: 'b' } }))).toContain('sources[0].auth: give exactly one of env and value')
    expect(issuesOf(source({ auth: { type: 'query', env: 'A' } }))).toContain('sources[0].auth.name: type query needs name')
    expect(issuesOf(source({ headers: { Authorization: 'Bearer x' } }))).toContain(
      'sources[0].headers.Authorization: Authorization carries a secret: set it with auth',
    )
    expect(issuesOf(source({ maxAge: 'soon' }))).toContain('sources[0].maxAge: must be a duration such as 500ms, 90s, 30m or 1h')
    expect(issuesOf({ warm: { retry: { jitter: 2 } } })).toContain('warm.retry.jitter: must be between 0 and 1')
    expect(issuesOf({ warm: { concurrency: 0 } })).toContain('warm.concurrency: must be a positive integer')
    expect(issuesOf({ baseUrl: 'localhost:8080' })).toContain('baseUrl: must be an absolute http:// or https:// URL')
  })
})
