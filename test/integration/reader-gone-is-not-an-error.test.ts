import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { query } from '../helpers/database.js'
import { finished, STACK_LINE, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

describe('a reader that goes away before the report (`cachesync sync --json | true`)', () => {
  const tmp = useTempDir()

  it('ends the sync with its own exit status, no stack trace, the run recorded', async () => {
    const cacheDir = join(tmp(), 'cache')
    const db = join(tmp(), 'gone.db')
    await generateDmrCache({ records: 3_000, cacheDir, seed: 9 })
    const child = spawnCli(['sync', '--db', db, '--cache-dir', cacheDir, '--json', '--log-level', 'warn'])
    // The pipe's reading end closes at once, as `| true` or `| head -c0` would.
    child.stdout?.destroy()
    const result = await finished(child)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(result.stderr).not.toContain('EPIPE')
    expect(result.code).toBe(0)
    expect(query<{ outcome: string }>(db, 'SELECT outcome FROM sync_runs')).toEqual([{ outcome: 'ok' }])
  })
})
