import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { loadedOwnFiles, loadedPackages, type RecordedRun, runCliRecordingModules } from '../helpers/loaded-modules.js'
import { repoRoot } from '../helpers/paths.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { cliEnv, runCli } from '../helpers/run-cli.js'
import type { ReportJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'

const COMMANDS = ['init', 'warm', 'sync', 'generate', 'demo', 'serve-demo', 'backup', 'archive', 'restore', 'bench', 'monitor', 'status', 'history', 'schema']

/** Packages an unchanged sync never needs: the worker pool, the streaming parser, the HTTP client, progress bars, YAML. */
const NOT_FOR_AN_UNCHANGED_SYNC = ['piscina', 'stream-json', 'undici', 'cli-progress', 'yaml']

/** Our files a run loaded, other than bin/cachesync.js and the bundle's own chunks. */
const outsideTheBundle = (run: RecordedRun): string[] =>
  loadedOwnFiles(run.loaded).filter((file) => file !== 'bin/cachesync.js' && !file.startsWith('dist/cli/'))

/**
 * bin/cachesync.js runs the esbuild bundle in dist/cli/: one entry and lazy chunks, with yargs and zod
 * inside. What tsc built (dist/cmd/, dist/src/) is for the library, the workers and the bench's children.
 */
describe('the CLI runs the bundle', () => {
  it.each(['', ...COMMANDS])('`cachesync %s --help` loads only the bundle: no package, no file of dist/cmd or dist/src', async (command) => {
    const run = await runCliRecordingModules([...command.split(' ').filter(Boolean), '--help'])
    expect(run.code, run.stderr).toBe(0)
    expect(loadedOwnFiles(run.loaded)).toContain('dist/cli/cachesync.js')
    expect(outsideTheBundle(run)).toEqual([])
    expect(loadedPackages(run.loaded)).toEqual([])
  })

  // yargs reads its messages from locale files beside its own module: the bundle must find them too.
  // Japanese help is measured by string-width's grapheme and emoji paths, which the bundle loads lazily.
  it.each([
    ['--help', 'C'],
    ['sync --help', 'C'],
    ['sync --bogus', 'C'],
    ['--version', 'C'],
    ['sync --help', 'de_DE.UTF-8'],
    ['sync --bogus', 'de_DE.UTF-8'],
    ['sync --help', 'ja_JP.UTF-8'],
  ])('`cachesync %s` (LANG=%s) prints what the unbundled CLI prints, byte for byte', (line, lang) => {
    const run = (entry: string) => {
      const child = spawnSync(process.execPath, [entry, ...line.split(' ')], { cwd: repoRoot, env: cliEnv({ LANG: lang, LC_ALL: '' }), encoding: 'utf8' })
      return { code: child.status, stdout: child.stdout, stderr: child.stderr }
    }
    const bundled = run('bin/cachesync.js')
    expect(bundled.stdout + bundled.stderr).not.toBe('')
    expect(bundled).toEqual(run('dist/cmd/cachesync.js'))
  })

  it('German messages come from yargs’ German locale file (the locale files are found)', () => {
    const child = spawnSync(process.execPath, ['bin/cachesync.js', 'sync', '--bogus'], {
      cwd: repoRoot,
      env: cliEnv({ LANG: 'de_DE.UTF-8', LC_ALL: '' }),
      encoding: 'utf8',
    })
    expect(child.stderr).toContain('Unbekanntes Argument: bogus')
  })
})

describe('an unchanged sync on SQLite loads neither workers nor what only a changed cache needs', () => {
  const tmp = useTempDir()
  const args = (): string[] => ['sync', '--cache-dir', join(tmp(), 'cache'), '--db', join(tmp(), 'dmr.db'), '--json', '--log-level', 'warn']
  let first: RecordedRun
  let unchanged: RecordedRun

  beforeAll(async () => {
    await generateDmrCache({ records: 600, cacheDir: join(tmp(), 'cache'), seed: 3 })
    first = await runCliRecordingModules([...args(), '--mode', 'parallel'])
    unchanged = await runCliRecordingModules(args())
  })

  // A worker thread runs no `--import` on Node 20, so the recorder does not see its files; the
  // workers can only run if the pool found the built worker file outside the bundle, and the bundle holds none.
  it('a first sync in parallel mode runs its workers from the files tsc built, which the bundle leaves out', () => {
    expect(first.code, first.stderr).toBe(0)
    const report = JSON.parse(first.stdout) as ReportJson & { mode: string; workers: number }
    expect(report).toMatchObject({ mode: 'parallel', records: { inserted: 600 } })
    expect(report.workers).toBeGreaterThan(0)
    expect(loadedPackages(first.loaded)).toContain('piscina')
    const bundled = Object.keys((JSON.parse(readFileSync(join(repoRoot, 'dist', 'cli', 'meta.json'), 'utf8')) as { inputs: object }).inputs)
    expect(bundled).toContain('dist/src/workers/pool.js')
    expect(bundled.filter((file) => file.startsWith('dist/src/workers/') && file.endsWith('-worker.js'))).toEqual([])
  })

  it('the second sync skips every source, from the bundle alone', () => {
    expect(unchanged.code, unchanged.stderr).toBe(0)
    const report = JSON.parse(unchanged.stdout) as ReportJson
    expect(report.sources.map((s) => s.state)).toEqual(report.sources.map(() => 'unchanged'))
    expect(outsideTheBundle(unchanged)).toEqual([])
  })

  it('loads SQLite’s driver and the logger, and none of the PostgreSQL driver, piscina, stream-json, undici, cli-progress or yaml', () => {
    const packages = loadedPackages(unchanged.loaded)
    // Both ways of loading are seen: better-sqlite3 through `import`, pino through `createRequire`.
    expect(packages).toEqual(expect.arrayContaining(['better-sqlite3', 'pino']))
    expect(packages.filter((name) => [...NOT_FOR_AN_UNCHANGED_SYNC, 'pg', 'pg-copy-streams'].includes(name))).toEqual([])
  })
})

describe('an unchanged sync on PostgreSQL loads no SQLite driver', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  let unchanged: RecordedRun

  beforeAll(async () => {
    pg.cluster().createDatabase('bundle')
    await generateDmrCache({ records: 600, cacheDir: join(tmp(), 'cache'), seed: 3 })
    const args = ['sync', '--cache-dir', join(tmp(), 'cache'), '--sink', pg.cluster().url('bundle'), '--json', '--log-level', 'warn']
    const first = await runCli(args)
    expect(first.code, first.stderr).toBe(0)
    unchanged = await runCliRecordingModules(args)
  })

  it('the second sync skips every source, from the bundle alone', () => {
    expect(unchanged.code, unchanged.stderr).toBe(0)
    const report = JSON.parse(unchanged.stdout) as ReportJson
    expect(report.sources.map((s) => s.state)).toEqual(report.sources.map(() => 'unchanged'))
    expect(outsideTheBundle(unchanged)).toEqual([])
  })

  it('loads the PostgreSQL driver, and none of better-sqlite3, piscina, stream-json, undici, cli-progress or yaml', () => {
    const packages = loadedPackages(unchanged.loaded)
    expect(packages).toContain('pg')
    expect(packages.filter((name) => [...NOT_FOR_AN_UNCHANGED_SYNC, 'better-sqlite3'].includes(name))).toEqual([])
  })
})
