import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { startServer, type TestServer } from '../helpers/warm.js'

interface Received {
  contentType: string | undefined
  body: Record<string, unknown>
}

/** A real receiver on 127.0.0.1 answering `status` to every POST, recording what it got. */
async function receiver(status: number): Promise<{ server: TestServer; received: Received[] }> {
  const received: Received[] = []
  const server = await startServer((req, res) => {
    let text = ''
    req.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
    })
    req.on('end', () => {
      received.push({ contentType: req.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> })
      res.writeHead(status).end(status < 300 ? 'ok' : 'no')
    })
  })
  return { server, received }
}

/** A port on 127.0.0.1 that nothing listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

describe('monitor --webhook POSTs the verdict; a failing receiver is reported, never fatal', () => {
  const tmp = useTempDir()
  let server: TestServer | undefined
  const monitorArgs = (url: string, ...more: string[]): string[] => [
    'monitor',
    '--db',
    join(tmp(), 'data', 'db.sqlite'),
    '--cache-dir',
    join(tmp(), 'cache'),
    '--webhook',
    url,
    ...more,
  ]

  beforeAll(async () => {
    await generateDmrCache({ records: 1_000, cacheDir: join(tmp(), 'cache'), seed: 6 })
  })
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('an ALERT reaches the receiver once, as JSON with a Slack-style text and the whole verdict', async () => {
    const r = await receiver(200)
    server = r.server
    const result = await runCli(monitorArgs(`${r.server.url}/hooks/secret-token`, '--threshold', '0.000001', '--json'))
    expect(result.code, result.stderr).toBe(2)
    expect(r.received).toHaveLength(1)
    const got = r.received[0] as Received
    expect(got.contentType).toBe('application/json')
    expect(got.body.status).toBe('alert')
    expect(got.body.exitCode).toBe(2)
    expect(got.body.text).toMatch(/^cachesync on .+: ALERT: sync performance degraded: [\d.]+ m?s \(threshold 0\.000001 s\)/)
    expect((got.body.alerts as { rule: string }[]).map((a) => a.rule)).toEqual(['time'])
    const verdict = JSON.parse(result.stdout) as { webhook: Record<string, unknown> }
    expect(verdict.webhook).toEqual({ ok: true, target: `${r.server.url}/…`, attempts: 1, status: 200, error: null })
    // The secret part of the URL is never printed.
    expect(result.stdout + result.stderr).not.toContain('secret-token')
  })

  it('a receiver answering 500 is tried twice; the verdict is still printed and the exit status is the verdict’s', async () => {
    const r = await receiver(500)
    server = r.server
    const result = await runCli(monitorArgs(`${r.server.url}/hook`, '--threshold', '600'))
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^OK: sync took /)
    expect(r.received).toHaveLength(2)
    expect(result.stderr).toContain(`cachesync: webhook to ${r.server.url}/… failed after 2 attempt(s): HTTP 500`)
  })

  it('a receiver that refuses the connection: reported on stderr and in --json, exit status of the verdict', async () => {
    const port = await closedPort()
    const result = await runCli(monitorArgs(`http://127.0.0.1:${port}/hook`, '--threshold', '0.000001', '--json'))
    expect(result.code).toBe(2)
    const verdict = JSON.parse(result.stdout) as { status: string; webhook: { ok: boolean; attempts: number; status: unknown; error: string } }
    expect(verdict.status).toBe('alert')
    expect(verdict.webhook).toMatchObject({ ok: false, attempts: 2, status: null })
    expect(verdict.webhook.error).toContain('ECONNREFUSED')
    expect(result.stderr).toContain(`webhook to http://127.0.0.1:${port}/… failed after 2 attempt(s)`)
  })

  it('a 4xx is not retried: the receiver said no', async () => {
    const r = await receiver(404)
    server = r.server
    const result = await runCli(monitorArgs(`${r.server.url}/gone`, '--threshold', '600', '--json'))
    expect(result.code).toBe(0)
    expect(r.received).toHaveLength(1)
    expect(JSON.parse(result.stdout).webhook).toMatchObject({ ok: false, attempts: 1, status: 404, error: 'HTTP 404' })
  })
})
