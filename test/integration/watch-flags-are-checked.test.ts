import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

describe('sync --watch: its flags are checked before anything runs', () => {
  const tmp = useTempDir()
  const where = (): string[] => ['--db', join(tmp(), 'never.db'), '--cache-dir', join(tmp(), 'cache')]

  it.each([
    [['--interval', '2m'], 'cachesync: --interval only applies with --watch'],
    [['--max-age', '30m'], 'cachesync: --max-age only applies with --watch'],
    [['--no-warm'], 'cachesync: --no-warm only applies with --watch'],
    [['--watch', '--interval', 'soon'], 'cachesync: --interval "soon": must be a positive duration such as 30s, 2m or 1h'],
    [['--watch', '--interval', '0s'], 'cachesync: --interval "0s": must be a positive duration such as 30s, 2m or 1h'],
    [['--watch', '--max-age', '1 hour'], 'cachesync: --max-age "1 hour": must be a positive duration such as 30s, 2m or 1h'],
    [['--watch', '--dry-run'], 'cachesync: --watch cannot be combined with --dry-run: a dry run writes nothing to watch for'],
  ])('sync %j exits 2: %s', async (args, message) => {
    const result = await runCli(['sync', ...args, ...where()])
    expect(result.code).toBe(2)
    expect(result.stderr.trim()).toBe(message)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })
})
