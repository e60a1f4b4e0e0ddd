import { spawn } from 'node:child_process'
import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.js'
import { type CliResult, finished } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const FIXTURE = 'test/fixtures/missing-tool/needs-missing-tools.fixture.ts'
const SHELLCHECK = 'shellcheck not installed (apt-get install shellcheck)'
const SQLITE3 = 'sqlite3 not installed (apt-get install sqlite3)'

describe('a test that needs a system tool the PATH lacks', () => {
  const tmp = useTempDir()

  /** Runs the fixture in a child vitest, with the project's configuration and a PATH that holds node alone. */
  function runFixture(strict: boolean): Promise<CliResult> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|CACHESYNC_TEST_STRICT$|FORCE_COLOR$)/.test(name)))
    const vitest = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs')
    const child = spawn(process.execPath, [vitest, 'run', '--config', 'test/fixtures/missing-tool/vitest.config.ts'], {
      cwd: repoRoot,
      env: { ...env, PATH: join(tmp(), 'bin'), NO_COLOR: '1', ...(strict ? { CACHESYNC_TEST_STRICT: '1' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return finished(child)
  }

  beforeAll(() => {
    mkdirSync(join(tmp(), 'bin'))
    symlinkSync(process.execPath, join(tmp(), 'bin', 'node'))
  })

  it('is skipped: a line per file and reason names the tool and its package, and the summary counts them per reason', async () => {
    const run = await runFixture(false)
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Tests\s+1 passed \| 3 skipped \(4\)/)
    expect(run.stdout).toContain(` ↓ ${FIXTURE}: 2 tests skipped: ${SHELLCHECK}\n`)
    expect(run.stdout).toContain(` ↓ ${FIXTURE}: 1 test skipped: ${SQLITE3}\n`)
    const summary = run.stdout.slice(run.stdout.indexOf(' Skipped 3 tests'))
    expect(summary.split('\n').slice(0, 3)).toEqual([
      ' Skipped 3 tests for what this machine lacks (CACHESYNC_TEST_STRICT=1 fails those that need a tool):',
      `   2  ${SHELLCHECK}`,
      `   1  ${SQLITE3}`,
    ])
  })

  it('fails with CACHESYNC_TEST_STRICT=1, naming the tool and its package', async () => {
    const run = await runFixture(true)
    expect(run.code).toBe(1)
    const output = run.stdout + run.stderr
    expect(output).toMatch(/Tests\s+3 failed \| 1 passed \(4\)/)
    expect(output).toContain(`Error: ${SHELLCHECK}; CACHESYNC_TEST_STRICT=1 makes this a failure`)
    expect(output).toContain(`Error: ${SQLITE3}; CACHESYNC_TEST_STRICT=1 makes this a failure`)
    expect(output).not.toContain('Skipped')
  })
})
