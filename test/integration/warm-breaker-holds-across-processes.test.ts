import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { startServer, type TestServer } from '../helpers/warm.js'

/**
 * A cron job starts a warm every minute: a host whose circuit opened in one process must stay untouched by
 * the next until its open period ends. The breakers live in the cache directory between processes.
 */
describe('the circuit breaker remembers across processes', () => {
  const tmp = useTempDir()
  let server: TestServer
  let failing = true

  beforeAll(async () => {
    server = await startServer((_req, res) => {
      if (failing) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}')
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[{"id":1},{"id":2}]}')
    })
  })
  afterAll(() => server?.close())

  const cacheDir = (): string => join(tmp(), 'cache')
  const config = (): string => {
    const path = join(tmp(), 'flaky.json')
    const source = { name: 'flaky', url: `${server.url}/items`, recordsPath: 'items', key: 'id' }
    const warm = { retry: { attempts: 5, initialDelay: 5, maxDelay: 10, jitter: 0 }, breaker: { failures: 2, openFor: '1h' } }
    writeFileSync(path, JSON.stringify({ sources: [source], warm }))
    return path
  }
  const warm = () => runCli(['warm', '--config', config(), '--cache-dir', cacheDir(), '--json', '--log-level', 'warn', '--no-progress'])

  it('a second warm process does not ask a host whose circuit the first opened; status shows it open; once it is due, one probe goes', async () => {
    const first = await warm()
    expect(first.code).toBe(1)
    const host = new URL(server.url).host
    expect(JSON.parse(first.stdout).sources[0].error).toMatch(`the circuit for ${host} is now open`)
    const asked = server.requests.length
    expect(asked).toBe(2)

    const second = await warm()
    expect(second.code).toBe(1)
    expect(JSON.parse(second.stdout).sources[0]).toMatchObject({ code: 'ERR_CIRCUIT_OPEN' })
    expect(JSON.parse(second.stdout).sources[0].error).toMatch(`circuit open for ${host} after 2 consecutive failures: not trying it for another`)
    expect(server.requests.length).toBe(asked)

    const status = await runCli(['status', '--config', config(), '--cache-dir', cacheDir(), '--db', join(tmp(), 'none.db')])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toMatch(new RegExp(`circuit OPEN for ${host.replace('.', '\\.')} until .* left\\): warms do not ask it until then`))
    const json = await runCli(['status', '--config', config(), '--cache-dir', cacheDir(), '--db', join(tmp(), 'none.db'), '--json'])
    expect(JSON.parse(json.stdout).openBreakers).toEqual([{ host, openUntil: expect.any(String) }])

    // The open period over (the saved end moved into the past), the host has recovered: one probe, and it closes.
    const saved = join(cacheDir(), '.cachesync-breakers.json')
    writeFileSync(saved, JSON.stringify({ [host]: { openUntil: new Date(Date.now() - 1000).toISOString() } }))
    failing = false
    const third = await warm()
    expect(third.code, third.stdout).toBe(0)
    expect(server.requests.length).toBe(asked + 1)
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toEqual({})
  })
})
