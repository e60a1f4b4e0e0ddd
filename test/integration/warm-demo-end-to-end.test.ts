import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { scalar } from '../helpers/database.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const dir = useTempDir()

describe('the demo goes the whole way, offline', () => {
  it('serves the demo API, warms the cache from it, syncs with --mode auto; a second run gets 304s for the dumps and a delta of the devices', async () => {
    const args = ['demo', '--records', '1000', '--cache-dir', join(dir(), 'demo-cache'), '--db', join(dir(), 'demo.db'), '--log-level', 'warn']
    const first = await runCli(args)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^Demo API with 1,000 DMR records on http:\/\/127\.0\.0\.1:\d+ /m)
    expect(first.stdout).toMatch(/^users +fetched +843 /m)
    expect(first.stdout).toMatch(/^devices +fetched \(full\) +119 /m)
    expect(first.stdout).toMatch(/^users +synced +843 +843 /m)
    expect(scalar(join(dir(), 'demo.db'), 'SELECT count(*) FROM devices')).toBe(119)

    // The demo API stamps a change with the second it is made in, and each run's API changes the same
    // devices: a second run within the first's second would be served the very bytes it already has.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10))
    const second = await runCli([...args, '--json'])
    expect(second.code, second.stderr).toBe(0)
    const report = JSON.parse(second.stdout)
    expect(report.warm.sources.map((s: { outcome: string }) => s.outcome)).toEqual(['not-modified', 'not-modified', 'fetched'])
    // The device list is fetched by cursor: only the devices the demo API changed, applied as a delta.
    const devices = report.warm.sources[2]
    expect(devices.incremental).toMatchObject({ fetch: 'delta', deltas: 1 })
    expect(devices.records).toBe(6)
    const states = Object.fromEntries(report.sync.sources.map((s: { name: string; state: string }) => [s.name, s.state]))
    expect(states).toEqual({ rptrs: 'unchanged', users: 'unchanged', devices: 'synced' })
    const synced = report.sync.sources.find((s: { name: string }) => s.name === 'devices')
    expect(synced.records).toMatchObject({ read: 6, updated: 6, deleted: 0 })
    expect(scalar(join(dir(), 'demo.db'), 'SELECT count(*) FROM devices')).toBe(119)
  })

  it('serve-demo prints its URL, serves the RadioID and BrandMeister shapes on it, and stops on SIGTERM', async () => {
    const child = spawnCli(['serve-demo', '--port', '0', '--records', '300'])
    const done = finished(child)
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout?.on('data', (text: Buffer | string) => {
        out += String(text)
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
        if (match?.[1] !== undefined) resolve(match[1])
      })
      child.on('exit', () => reject(new Error(`serve-demo exited: ${out}`)))
    })
    const rptrs = (await (await fetch(`${url}/static/rptrs.json`)).json()) as { rptrs: unknown[] }
    expect(rptrs.rptrs).toHaveLength(11)
    const page = await fetch(`${url}/v2/device?limit=10&offset=30`)
    expect(page.headers.get('etag')).toBe('"devices-1-300-0-30-10"')
    expect(((await page.json()) as unknown[]).length).toBe(6)
    const notModified = await fetch(`${url}/static/users.json`, { headers: { 'if-none-match': '"users-1-300-0"' } })
    expect(notModified.status).toBe(304)
    expect((await fetch(`${url}/static/users.json?fault=429&retryAfter=5`)).headers.get('retry-after')).toBe('5')
    child.kill('SIGTERM')
    expect((await done).code).toBe(0)
  })
})
