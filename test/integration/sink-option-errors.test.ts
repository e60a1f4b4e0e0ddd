import { describe, expect, it } from 'vitest'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'

describe('sync --sink: mistakes and an unreachable server', () => {
  it('a sink URL of another kind: exit 2, the key and what is accepted, no stack', async () => {
    const result = await runCli(['sync', '--sink', 'mysql://me:pw@h/d', '--cache-dir', '/nonexistent'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/sink: expected sqlite:\/\/FILE or postgres:\/\/user@host:port\/db/)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })

  it('a server that does not answer: exit 1, the URL with its password masked, no stack', async () => {
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    const result = await runCli(['sync', '--sink', 'postgres://me:s3cretpw@127.0.0.1:1/db', '--cache-dir', '/nonexistent'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/Cannot connect to PostgreSQL at postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/db/)
    expect(result.stderr).not.toMatch(/s3cretpw/)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })

  it('--backup-before with a PostgreSQL server that does not answer: exit 1, the connection error, no stack', async () => {
    const result = await runCli(['sync', '--sink', 'postgres://me:s3cretpw@127.0.0.1:1/db', '--backup-before', '--cache-dir', '/nonexistent'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/Cannot connect to PostgreSQL at postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/db/)
    expect(result.stderr).not.toMatch(/s3cretpw/)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })
})
