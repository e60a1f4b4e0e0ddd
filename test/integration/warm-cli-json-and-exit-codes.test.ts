import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { snapshotDir } from '../helpers/warm.js'

const dir = useTempDir()
let api: DemoApi

beforeAll(async () => {
  api = await startDemoApi({ records: 1200 })
})
afterAll(() => api.close())

function configFile(content: Record<string, unknown>): string {
  const path = join(dir(), `cfg-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, JSON.stringify(content))
  return path
}

describe('cachesync warm', () => {
  it('--json prints the one object of the contract; exit 0 when every source is fetched, not modified or fresh', async () => {
    const cacheDir = join(dir(), 'ok')
    const args = ['warm', '--base-url', api.url, '--cache-dir', cacheDir, '--json', '--log-level', 'silent']
    const first = await runCli(args)
    expect(first.code, first.stderr).toBe(0)
    const report = JSON.parse(first.stdout)
    expect(Object.keys(report)).toEqual(['ok', 'sources', 'ms', 'peakRssMb'])
    expect(report.ok).toBe(true)
    expect(report.sources.map((s: object) => Object.keys(s))).toEqual(
      Array(3).fill(['name', 'outcome', 'records', 'bytes', 'pages', 'ms', 'retries', 'error', 'code', 'url', 'incremental']),
    )
    expect(report.sources[2]).toMatchObject({ name: 'devices', outcome: 'fetched', records: 143, pages: 1, retries: 0, error: null, code: null })
    expect(report.sources[2].url).toBe(`${api.url}/v2/device?limit=1000&offset=0`)
    expect(report.sources[2].bytes).toBe(statSync(join(cacheDir, 'devices.ndjson')).size)

    const again = await runCli([...args, '--max-age', '1h', '--source', 'rptrs,users'])
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).sources.map((s: { name: string; outcome: string }) => `${s.name}:${s.outcome}`)).toEqual(['rptrs:fresh', 'users:fresh'])
  })

  it('exit 1 when a source fails: the others are still fetched, the table says which failed and why', async () => {
    const cacheDir = join(dir(), 'one-fails')
    const config = configFile({
      extendBuiltin: true,
      warm: { retry: { attempts: 1 } },
      sources: [{ name: 'broken', url: 'https://example.invalid/static/users.json?fault=500', recordsPath: 'users', key: 'radio_id' }],
    })
    const result = await runCli(['warm', '--config', config, '--base-url', api.url, '--cache-dir', cacheDir, '--log-level', 'silent'])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^source +outcome +records +bytes +pages +time +retries$/m)
    expect(result.stdout).toMatch(/^users +fetched +1,011 /m)
    expect(result.stdout).toMatch(/^broken +failed +0 /m)
    expect(result.stdout).toMatch(/^total +1 FAILED +/m)
    expect(result.stdout).toContain(`✗ broken: HTTP 500 from ${api.url}/static/users.json?fault=500 — its cache file, if any, is left as it was`)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })

  // The configuration's own messages are tested in test/unit/config; these are the warm flags'.
  it('exit 2 for a usage mistake, with a message and no stack trace', async () => {
    const cases: [string[], string][] = [
      [['--max-age', 'soon'], '--max-age "soon": must be a duration such as 90s, 30m, 1h or 1d'],
      [['--source', 'nope'], 'Unknown source nope: the configuration has rptrs, users, devices'],
    ]
    for (const [flags, message] of cases) {
      const result = await runCli(['warm', '--cache-dir', join(dir(), 'usage'), ...flags])
      expect(result.code, flags.join(' ')).toBe(2)
      expect(result.stderr).toContain(message)
      expect(result.stderr).not.toMatch(STACK_LINE)
    }
  })

  it('exit 2 for a source whose cache file would escape the cache directory, before anything is fetched', async () => {
    const config = configFile({
      sources: [{ name: 'evil', url: `${api.url}/static/users.json`, recordsPath: 'users', key: 'radio_id', file: '../../escaped.ndjson' }],
    })
    const seen = api.requests.length
    const result = await runCli(['warm', '--config', config, '--cache-dir', join(dir(), 'escape')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('sources[0] (evil).file: ../../escaped.ndjson is outside the cache directory')
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(api.requests.length).toBe(seen)
  })

  it('exit 3 while another warm holds the cache directory, naming it', async () => {
    const cacheDir = join(dir(), 'locked')
    mkdirSync(cacheDir, { recursive: true })
    // This test process stands in for the other warm: alive, on this host.
    writeFileSync(join(cacheDir, '.cachesync-warm.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }))
    const result = await runCli(['warm', '--base-url', api.url, '--cache-dir', cacheDir])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(`Cache directory ${cacheDir} is being warmed by another process: pid ${process.pid}`)
    expect(Object.keys(snapshotDir(cacheDir))).toEqual(['.cachesync-warm.lock'])
  })
})
