import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { integrityCheck } from '../helpers/db-checks.js'
import { waitWhileRunning } from '../helpers/kill.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * A sync killed mid-run leaves scratch files beside the database: a parallel run its staging directory,
 * a dry run its scratch copy of the whole database. On a box that gets OOM-killed from cron they pile
 * up and fill the disk unless the next sync, once it holds the lock, removes those of dead runs.
 */

const scratch = (dir: string): string[] =>
  readdirSync(dir)
    .filter((name) => name.includes('.staging-') || name.includes('.dry-run-'))
    .sort()

describe('scratch files of killed runs', () => {
  const tmp = useTempDir()
  const cacheDir = (): string => join(tmp(), 'cache')

  beforeAll(async () => {
    await generateDmrCache({ records: 100_000, cacheDir: cacheDir(), seed: 8 })
  })

  /** Starts `sync …args` and SIGKILLs it once a scratch file of its own is beside the database. */
  async function killOnceScratchExists(dir: string, args: string[]): Promise<void> {
    const child = spawnCli(['sync', ...args, '--db', join(dir, 'sync.db'), '--cache-dir', cacheDir()])
    const done = finished(child)
    const seen = await waitWhileRunning(child, () => scratch(dir).some((name) => name.endsWith(`-${child.pid}`)))
    child.kill('SIGKILL')
    const result = await done
    expect(seen, `the run ended before it made a scratch file:\n${result.stderr}`).toBe(true)
    expect(result.signal).toBe('SIGKILL')
  }

  it('the next sync removes the staging directory of a killed parallel run and the scratch copy of a killed dry run', async () => {
    const dir = join(tmp(), 'db')
    await killOnceScratchExists(dir, ['--mode', 'parallel'])
    expect(
      scratch(dir).some((name) => name.includes('.staging-')),
      `left: ${scratch(dir).join(', ')}`,
    ).toBe(true)
    // The dry run, holding the lock, already removes the staging directory of the killed parallel run.
    await killOnceScratchExists(dir, ['--mode', 'sequential', '--dry-run'])
    const left = scratch(dir)
    expect(
      left.some((name) => name.includes('.staging-')),
      `left: ${left.join(', ')}`,
    ).toBe(false)
    expect(
      left.some((name) => name.includes('.dry-run-')),
      `left: ${left.join(', ')}`,
    ).toBe(true)

    const next = await runCli(['sync', '--mode', 'streaming', '--db', join(dir, 'sync.db'), '--cache-dir', cacheDir()])
    expect(next.code, next.stderr).toBe(0)
    expect(integrityCheck(join(dir, 'sync.db'))).toEqual(['ok'])
    expect(scratch(dir)).toEqual([])
  })
})
