import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKUP_OPTIONS } from '../../src/sink/backup-files.js'
import { repoRoot } from '../helpers/paths.js'
import { cliEnv } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

// A module-resolve hook that writes every URL the CLI resolves (ours and its packages') to a file.
const HOOKS = `import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  appendFileSync(process.env.RESOLVED_LOG, resolved.url + '\\n')
  return resolved
}`
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)})`

/** Packages a command's handler needs and `--help` does not: the engine, the drivers, the logger, the HTTP client. */
const HEAVY = /\/node_modules\/(better-sqlite3|pg|pg-copy-streams|pino|pino-pretty|undici|zod|piscina|stream-json|xxhash-wasm|p-queue|cli-progress|yaml)\//

const COMMANDS = ['warm', 'sync', 'generate', 'demo', 'serve-demo', 'backup', 'archive', 'restore', 'bench', 'monitor', 'status', 'history', 'init', 'schema']

/**
 * `--version` and `--help` answer from the commands' definitions: no handler module, no engine, driver or
 * logger is loaded until a command runs.
 */
describe('help and version load no engine', () => {
  const tmp = useTempDir()

  function run(args: string[]): { code: number | null; stdout: string; resolved: string[] } {
    const log = join(tmp(), 'resolved.log')
    rmSync(log, { force: true })
    const child = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, 'bin/cachesync.js', ...args], {
      cwd: repoRoot,
      env: { ...cliEnv(), RESOLVED_LOG: log },
      encoding: 'utf8',
    })
    return {
      code: child.status,
      stdout: child.stdout,
      resolved: readFileSync(log, 'utf8')
        .split('\n')
        .filter((url) => url !== ''),
    }
  }

  it.each(['--version', '--help', 'sync --help', 'backup --help'])('`cachesync %s` loads no handler and no heavy package', (line) => {
    const { code, resolved } = run(line.split(' '))
    expect(code).toBe(0)
    expect(resolved.filter((url) => HEAVY.test(url) || url.includes('/dist/cmd/commands/'))).toEqual([])
  })

  it('a command that runs loads its handler (the hook sees what is loaded)', () => {
    const { code, resolved } = run(['generate', '--records', '30', '--cache-dir', join(tmp(), 'cache'), '--json'])
    expect(code).toBe(0)
    expect(resolved.some((url) => url.endsWith('/dist/cmd/commands/generate.js'))).toBe(true)
  })

  it('--help lists every command with its description', () => {
    const { stdout } = run(['--help'])
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`cachesync ${name} +\\S`))
  })

  it("backup --help shows the library's default for --keep without loading the library", () => {
    expect(run(['backup', '--help']).stdout).toMatch(new RegExp(`--keep .*\\[default: ${DEFAULT_BACKUP_OPTIONS.keep}\\]`))
  })
})
