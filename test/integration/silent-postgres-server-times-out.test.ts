import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectTimeoutMs } from '../../src/sink/postgres/pg-driver.js'
import { type CliResult, runCli, STACK_LINE } from '../helpers/run-cli.js'
import { requireTools } from '../helpers/system-tools.js'

/**
 * A server that accepts the connection and never says a word (a proxy whose backend is gone, a host
 * that drops packets after the handshake): the command gives up after `connect_timeout` with one line,
 * exit 1, instead of hanging a cron job.
 */
describe('a PostgreSQL server that accepts and never answers', () => {
  let server: Server
  let port = 0
  const sockets: Socket[] = []

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket)
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const sink = (): string => `postgres://me:s3cretpw@127.0.0.1:${port}/db?connect_timeout=2`
  const expectTimeoutLine = (result: CliResult): void => {
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `cachesync: Cannot connect to PostgreSQL at postgres://me:***@127.0.0.1:${port}/db?connect_timeout=2: ` +
        'no answer within 2 s (connect_timeout in the URL, or PGCONNECT_TIMEOUT, sets how long to wait)\n',
    )
    expect(result.stderr).not.toMatch(STACK_LINE)
  }

  it.each(['status --cache-dir /nonexistent', 'history', 'sync --cache-dir /nonexistent'])(
    '%s: exit 1 after connect_timeout, one line naming the server and the setting',
    async (command) => {
      expectTimeoutLine(await runCli(command.split(' '), { CACHESYNC_SINK: sink() }))
    },
  )

  // A backup looks for pg_dump before it connects.
  it('backup: exit 1 after connect_timeout, the same line', requireTools('pg_dump', 'pg_restore'), async () => {
    expectTimeoutLine(await runCli(['backup', '--sink', sink()]))
  })
})

describe('connect_timeout, as libpq reads it', () => {
  const url = (query: string): string => `postgres://me@127.0.0.1:5432/db${query}`

  it('comes from the URL, else PGCONNECT_TIMEOUT, else 30 s', () => {
    expect(connectTimeoutMs(url('?connect_timeout=7'), { PGCONNECT_TIMEOUT: '9' })).toBe(7000)
    expect(connectTimeoutMs(url(''), { PGCONNECT_TIMEOUT: '9' })).toBe(9000)
    expect(connectTimeoutMs(url(''), {})).toBe(30_000)
  })

  it('waits for ever at 0 or less, and at least 2 s otherwise', () => {
    expect(connectTimeoutMs(url('?connect_timeout=0'), {})).toBe(0)
    expect(connectTimeoutMs(url('?connect_timeout=-3'), {})).toBe(0)
    expect(connectTimeoutMs(url('?connect_timeout=1'), {})).toBe(2000)
  })

  it('falls back to 30 s for a value that is no number', () => {
    expect(connectTimeoutMs(url('?connect_timeout=soon'), {})).toBe(30_000)
  })
})
