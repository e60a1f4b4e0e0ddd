import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.js'
import { cliEnv, runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

/** The one ```ts block of docs/library.md: the guide's example, run as it is written. */
function guideExample(): string {
  const blocks = [...readFileSync(join(repoRoot, 'docs', 'library.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
  expect(blocks, 'docs/library.md should hold exactly one ```ts block').toHaveLength(1)
  return (blocks[0] as RegExpMatchArray)[1] as string
}

describe('the example of docs/library.md', () => {
  const tmp = useTempDir()
  let program: string

  beforeAll(async () => {
    // A program of its own, with cachesync (the built package) and pino installed beside it.
    const modules = join(tmp(), 'node_modules')
    mkdirSync(modules)
    symlinkSync(repoRoot, join(modules, 'cachesync'), 'dir')
    symlinkSync(realpathSync(join(repoRoot, 'node_modules', 'pino')), join(modules, 'pino'), 'dir')
    program = join(tmp(), 'example.mjs')
    writeFileSync(program, guideExample())
    const generated = await runCli(['generate', '--records', '2000', '--cache-dir', join(tmp(), 'cache')])
    expect(generated.code, generated.stderr).toBe(0)
  })

  // An example that fetched after all would fail its sources here instead of reaching the internet.
  const run = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [program], { cwd: tmp(), env: cliEnv({ CACHESYNC_BASE_URL: 'http://127.0.0.1:9', ...env }), encoding: 'utf8' })

  it('warms (the generated cache is fresh), syncs into SQLite and prints the report', () => {
    const child = run()
    expect(child.status, child.stderr).toBe(0)
    const lines = child.stdout.trimEnd().split('\n')
    expect(lines.slice(0, 6)).toEqual([
      'warm rptrs: fresh, 77 records',
      'warm users: fresh, 1685 records',
      'warm devices: fresh, 238 records',
      'sync rptrs: synced, 77 inserted, 0 updated, 0 deleted, 0 rejected',
      'sync users: synced, 1685 inserted, 0 updated, 0 deleted, 0 rejected',
      'sync devices: synced, 238 inserted, 0 updated, 0 deleted, 0 rejected',
    ])
    expect(lines[6]).toMatch(/^(parallel|sequential|streaming) mode, 2000 records in \d+ ms$/)
    expect(lines).toHaveLength(7)
    // The logger got the run's messages, as JSON lines on stderr.
    const messages = child.stderr
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg)
    expect(messages).toContain('mode chosen')
    expect(messages.filter((msg) => msg === 'source synced')).toHaveLength(3)
  })

  it('turns a configuration error into its exit status by the error code', () => {
    const child = run({ CACHESYNC_MODE: 'fastest' })
    expect(child.status).toBe(2)
    expect(child.stdout).toBe('')
    expect(child.stderr).toMatch(/^bad configuration: Invalid configuration:\n {2}mode: /)
  })
})
