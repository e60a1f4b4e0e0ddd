import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKUP_OPTIONS } from '../../src/sink/backup-files.js'
import { bundledSources, loadedPackages, runCliRecordingModules } from '../helpers/loaded-modules.js'
import { useTempDir } from '../helpers/temp-dir.js'

/** Packages a command's handler needs and `--help` does not: the engine, the drivers, the logger, the HTTP client. */
const HEAVY = /^(better-sqlite3|pg|pg-copy-streams|pino|pino-pretty|undici|zod|piscina|stream-json|xxhash-wasm|p-queue|cli-progress|yaml)$/

const COMMANDS = ['warm', 'sync', 'generate', 'demo', 'serve-demo', 'backup', 'archive', 'restore', 'bench', 'monitor', 'status', 'history', 'init', 'schema']

/** What a run loaded, packages by name and our files by source: from node_modules, or bundled into the CLI's chunks. */
async function run(args: string[]): Promise<{ code: number | null; stdout: string; packages: string[]; sources: string[] }> {
  const recorded = await runCliRecordingModules(args)
  const sources = bundledSources(recorded.loaded)
  const bundledPackages = loadedPackages(sources.map((file) => `/${file}`))
  return { code: recorded.code, stdout: recorded.stdout, packages: [...loadedPackages(recorded.loaded), ...bundledPackages], sources }
}

/**
 * `--version` and `--help` answer from the commands' definitions: no handler module, no engine, driver or
 * logger is loaded until a command runs.
 */
describe('help and version load no engine', () => {
  const tmp = useTempDir()

  it.each(['--version', '--help', 'sync --help', 'backup --help'])('`cachesync %s` loads no handler and no heavy package', async (line) => {
    const { code, packages, sources } = await run(line.split(' '))
    expect(code).toBe(0)
    expect(packages.filter((name) => HEAVY.test(name))).toEqual([])
    expect(sources.filter((file) => file.startsWith('dist/cmd/commands/'))).toEqual([])
  })

  it('a command that runs loads its handler and what it needs (the record sees what is loaded)', async () => {
    const generated = await run(['generate', '--records', '30', '--cache-dir', join(tmp(), 'cache'), '--json'])
    expect(generated.code).toBe(0)
    expect(generated.sources).toContain('dist/cmd/commands/generate.js')
    const synced = await run(['sync', '--cache-dir', join(tmp(), 'cache'), '--db', join(tmp(), 'dmr.db'), '--json', '--log-level', 'warn'])
    expect(synced.code).toBe(0)
    expect(synced.sources).toContain('dist/cmd/commands/sync.js')
    expect(synced.packages).toEqual(expect.arrayContaining(['zod', 'better-sqlite3', 'pino']))
  })

  it('--help lists every command with its description', async () => {
    const { stdout } = await run(['--help'])
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`cachesync ${name} +\\S`))
  })

  it("backup --help shows the library's default for --keep without loading the library", async () => {
    expect((await run(['backup', '--help'])).stdout).toMatch(new RegExp(`--keep .*\\[default: ${DEFAULT_BACKUP_OPTIONS.keep}\\]`))
  })
})
