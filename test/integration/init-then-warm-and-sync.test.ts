import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { dmrDataset } from '../../src/generate/dmr-generator.js'
import { query, scalar } from '../helpers/database.js'
import { PAGED_RECORDS, startPagedApi } from '../helpers/paged-api.js'
import { type CliResult, runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { startServer, type TestServer } from '../helpers/warm.js'

const dir = useTempDir()
let paged: TestServer
let demo: DemoApi
let other: TestServer

/** Ten stations under `result.items`, no unique id, a nested location, four a page by `?page=N` alone. */
const STATIONS = Array.from({ length: 10 }, (_, i) => ({
  id: Math.floor(i / 3),
  code: `ST-${i + 1}`,
  name: `Station ${i + 1}`,
  location: { lat: 50 + i / 10, lng: 4 + i / 10 },
}))

beforeAll(async () => {
  paged = await startPagedApi()
  demo = await startDemoApi({ records: 3000 })
  other = await startServer((_req, res, url) => {
    const send = (type: string, body: string): void => {
      res.writeHead(200, { 'content-type': type }).end(body)
    }
    switch (url.pathname) {
      case '/stations': {
        const page = Number(url.searchParams.get('page') ?? 1)
        return send('application/json', JSON.stringify({ result: { items: STATIONS.slice((page - 1) * 4, page * 4) }, total: STATIONS.length }))
      }
      case '/html':
        return send('text/html', '<!doctype html>\n<html><body>Sign in</body></html>')
      case '/status':
        return send('application/json', JSON.stringify({ status: 'ok', version: 3 }))
      default:
        res.writeHead(404).end()
    }
  })
})
afterAll(async () => {
  await paged.close()
  await demo.close()
  await other.close()
})

const QUIET = ['--log-level', 'warn', '--no-progress']

function primaryKey(db: string, table: string): string[] {
  return query<{ name: string; pk: number }>(db, `PRAGMA table_info(${table})`)
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name)
}

const STYLES = [
  ['offset', '/offset?take=10&skip=0', { style: 'offset', limitKey: 'take', skipKey: 'skip', limitMax: 10 }, /^pagination +offset \(take\/skip\): /m],
  ['page', '/page?p=1&size=10', { style: 'page', pageKey: 'p', perPageKey: 'size', perPage: 10 }, /^pagination +page \(p\/size\): /m],
  [
    'cursor',
    '/cursor',
    { style: 'cursor', cursorPath: 'meta.next', cursorKey: 'after' },
    /^pagination +cursor: meta\.next holds a cursor; sent back as \?after= /m,
  ],
  ['next', '/next', { style: 'next-link', nextPath: 'links.next' }, /^pagination +next-link: links\.next holds the URL /m],
  ['link', '/link', { style: 'link-header' }, /^pagination +link-header: /m],
] as const
const DEMO_PATHS = { device: '/v2/device', users: '/static/users.json', rptrs: '/static/rptrs.json' } as const

/**
 * Every API of the file goes through `init` into one configuration, then one `warm` and one `sync` of it,
 * each the real CLI: the tests below read what each step printed and what the database holds.
 */
describe('init writes a source that warm and sync load whole, with no hand-editing', () => {
  const inits = new Map<string, CliResult>()
  let warm: CliResult
  let sync: CliResult
  let sources: Record<string, unknown>[]
  let db: string

  beforeAll(async () => {
    const config = join(dir(), 'apis.yaml')
    const cache = join(dir(), 'cache')
    db = join(dir(), 'apis.db')
    const urls: [string, string][] = [
      ...STYLES.map(([name, path]): [string, string] => [name, `${paged.url}${path}`]),
      ...Object.entries(DEMO_PATHS).map(([name, path]): [string, string] => [name, `${demo.url}${path}`]),
      ['stations', `${other.url}/stations`],
    ]
    for (const [name, url] of urls) inits.set(name, await runCli(['init', '--url', url, '--config', config]))
    warm = await runCli(['warm', '--config', config, '--cache-dir', cache, ...QUIET])
    sync = await runCli(['sync', '--config', config, '--cache-dir', cache, '--db', db, ...QUIET])
    sources = (parse(readFileSync(config, 'utf8')) as { sources: Record<string, unknown>[] }).sources
  })

  it('every init, the warm and the sync exit 0; each init after the first adds its source', () => {
    for (const [name, init] of inits) {
      expect(init.code, `${name}: ${init.stderr}`).toBe(0)
      expect(init.stdout).toMatch(new RegExp(`^written +\\S+apis\\.yaml: ${name === 'offset' ? 'created with' : 'added'} source ${name}$`, 'm'))
    }
    expect(warm.code, warm.stdout + warm.stderr).toBe(0)
    expect(sync.code, sync.stdout + sync.stderr).toBe(0)
    expect(sources.map((s) => s.name)).toEqual([...inits.keys()])
  })

  it.each(STYLES)('%s pagination: detected, written, and every record synced under key id', (name, path, pagination, decision) => {
    expect(inits.get(name)?.stdout).toMatch(decision)
    expect(inits.get(name)?.stdout).toMatch(/^key +id: present and unique in all \d+ records of the first page$/m)
    expect(sources.find((s) => s.name === name)).toEqual({ name, url: `${paged.url}${path}`, recordsPath: 'items', pagination })
    expect(scalar(db, `SELECT count(*) FROM ${name}`)).toBe(PAGED_RECORDS.length)
    expect(primaryKey(db, name)).toEqual(['id'])
    expect(query(db, `SELECT id, call FROM ${name} ORDER BY id`)).toEqual(PAGED_RECORDS)
  })

  it('the demo API: the device list pages by offset/limit, the two dumps are one body each, every record synced', () => {
    const expected = Object.fromEntries(dmrDataset({ records: 3000, seed: 1, changeRate: 0 }).map((s) => [s.name, s.records]))
    expect(sources.filter((s) => String(s.name) in DEMO_PATHS)).toEqual([
      { name: 'device', url: `${demo.url}/v2/device`, pagination: { style: 'offset', limitMax: expected.devices } },
      { name: 'users', url: `${demo.url}/static/users.json`, recordsPath: 'users' },
      { name: 'rptrs', url: `${demo.url}/static/rptrs.json`, recordsPath: 'rptrs' },
    ])
    expect(inits.get('users')?.stdout).toMatch(/^pagination +none: no next link, cursor or page parameter led to other records; warm makes one request$/m)
    for (const [table, source] of [
      ['device', 'devices'],
      ['users', 'users'],
      ['rptrs', 'rptrs'],
    ] as const) {
      expect(scalar(db, `SELECT count(*) FROM ${table}`), table).toBe(expected[source])
      expect(primaryKey(db, table), table).toEqual(['id'])
    }
  })

  it('no unique id, records nested in the body, objects in the records, a fixed page size: key, recordsPath, flatten and page', () => {
    expect(sources.find((s) => s.name === 'stations')).toEqual({
      name: 'stations',
      url: `${other.url}/stations`,
      recordsPath: 'result.items',
      pagination: { style: 'page', perPage: 4 },
      key: 'code',
      flatten: 1,
    })
    const out = inits.get('stations')?.stdout ?? ''
    expect(out).toMatch(
      /^key +code: id is not unique; code is present and unique in all 4 records of the first page and named like an identifier \(also unique: name\)$/m,
    )
    expect(out).toMatch(/^flatten +1: location holds objects, whose fields become location__… columns$/m)
    expect(out).toMatch(/^ +location__lat +real$/m)
    expect(scalar(db, 'SELECT count(*) FROM stations')).toBe(STATIONS.length)
    expect(primaryKey(db, 'stations')).toEqual(['code'])
    expect(query(db, "SELECT location__lat AS lat FROM stations WHERE code = 'ST-10'")).toEqual([{ lat: 50.9 }])
  })
})

describe('init keeps what is in the file, and writes nothing on --dry-run', () => {
  it('extending a file keeps its comments and settings and puts the columns and `cachesync schema` in a comment above the new source', async () => {
    const config = join(dir(), 'commented.yaml')
    const before = '# Stations we mirror\ndb: ./data/x.db # the database\nsources:\n  # the first one\n  - name: first\n    url: https://example.org/first\n'
    writeFileSync(config, before)
    const init = await runCli(['init', '--url', `${paged.url}/link`, '--config', config])
    expect(init.code, init.stderr).toBe(0)
    const text = readFileSync(config, 'utf8')
    expect(text.startsWith('# Stations we mirror\ndb: ./data/x.db # the database\nsources:\n  # the first one\n  - name: first\n')).toBe(true)
    expect(text).toContain('  #   id    integer  key\n  #   call  text\n')
    expect(text).toMatch(/ {2}# .*`cachesync schema`.*\n {2}- name: link\n/)
    expect((parse(text) as { sources: { name: string }[] }).sources.map((s) => s.name)).toEqual(['first', 'link'])
  })

  it('a name the file already has is refused with exit 2, and the file is left as it was', async () => {
    const config = join(dir(), 'twice.yaml')
    expect((await runCli(['init', '--url', `${paged.url}/next`, '--config', config])).code).toBe(0)
    const before = readFileSync(config, 'utf8')
    const again = await runCli(['init', '--url', `${paged.url}/next`, '--config', config])
    expect(again.code).toBe(2)
    expect(again.stderr).toBe(`cachesync: ${config} already has a source named next: give another name with --name\n`)
    expect(readFileSync(config, 'utf8')).toBe(before)
    const renamed = await runCli(['init', '--url', `${paged.url}/next`, '--config', config, '--name', 'next-again'])
    expect(renamed.code, renamed.stderr).toBe(0)
  })

  it('--dry-run prints the YAML on stdout and the decisions on stderr, and creates no file', async () => {
    const config = join(dir(), 'dry.yaml')
    const dry = await runCli(['init', '--url', `${paged.url}/cursor`, '--config', config, '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(parse(dry.stdout)).toEqual({
      sources: [
        { name: 'cursor', url: `${paged.url}/cursor`, recordsPath: 'items', pagination: { style: 'cursor', cursorPath: 'meta.next', cursorKey: 'after' } },
      ],
    })
    expect(dry.stderr).toMatch(/^records +items: 7 records, the only array of objects in the body$/m)
    expect(dry.stderr).toMatch(/^written +nothing \(--dry-run\)/m)
    expect(existsSync(config)).toBe(false)
  })
})

describe('init fails on one line that names the URL, never a stack trace', () => {
  const fails = async (url: () => string, code: number, message: (url: string) => string) => {
    const config = join(dir(), 'failed.yaml')
    const result = await runCli(['init', '--url', url(), '--config', config])
    expect(result.code).toBe(code)
    expect(result.stderr).toBe(`cachesync: ${message(url())}\n`)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(existsSync(config)).toBe(false)
  }

  it('an HTTP error status: exit 1', () =>
    fails(
      () => `${demo.url}/nowhere`,
      1,
      (url) => `HTTP 404 from ${url}`,
    ))

  it('an HTML body: exit 1', () =>
    fails(
      () => `${other.url}/html`,
      1,
      (url) => `${url}: the body is not JSON (text/html, it starts "<!doctype html> <html><body>Sign in</bod…")`,
    ))

  it('a body without an array of objects: exit 1', () =>
    fails(
      () => `${other.url}/status`,
      1,
      (url) => `${url}: the body is an object with no array of objects in it (its keys: status, version)`,
    ))

  it('a server that cannot be reached: exit 1 after the retries', async () => {
    const gone = await startServer(() => {})
    await gone.close()
    await fails(
      () => `${gone.url}/items`,
      1,
      (url) => `network error fetching ${url}: connect ECONNREFUSED ${gone.url.slice('http://'.length)} (ECONNREFUSED) (gave up after 3 attempts)`,
    )
  })

  it('a URL that is not http(s), and a missing --url: exit 2', async () => {
    await fails(
      () => 'ftp://example.org/items',
      2,
      () => '--url ftp://example.org/items: not an http:// or https:// URL',
    )
    const missing = await runCli(['init'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^cachesync: Missing required argument: url$/m)
  })

  it('--help lists init', async () => {
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}cachesync init +\S/m)
  })
})
