import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

// Port 1 on the loopback: nothing listens there, the connection is refused at once.
const SINK = 'postgres://me:s3cretpw@127.0.0.1:1/db'
const LINE = 'cachesync: Cannot connect to PostgreSQL at postgres://me:***@127.0.0.1:1/db: connect ECONNREFUSED 127.0.0.1:1\n'

/**
 * The read verbs on a PostgreSQL server that cannot be reached: one line naming the server with its
 * password masked, exit 1, no stack, whether the sink comes from the environment or the configuration file.
 */
describe('status, history and monitor with a PostgreSQL server that does not answer', () => {
  const tmp = useTempDir()

  it.each([
    'status --cache-dir /nonexistent',
    'history',
    'history --plot /tmp/never.svg',
    'monitor --cache-dir /nonexistent',
    'monitor --last',
    'monitor --records 10',
  ])('%s: exit 1, one line, the password masked', async (command) => {
    const result = await runCli(command.split(' '), { CACHESYNC_SINK: SINK })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(LINE)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(result.stdout).toBe('')
  })

  it('the sink of a configuration file: the same line', async () => {
    const config = join(tmp(), 'cachesync.json')
    writeFileSync(config, JSON.stringify({ sink: SINK }))
    const result = await runCli(['status', '--config', config, '--cache-dir', '/nonexistent'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(LINE)
  })
})
