import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot } from './paths.js'
import { cliEnv } from './run-cli.js'

// Two records, both to the file named by LOADED_MODULES_LOG, one URL a line:
// - a `load` hook (on the loader's own thread) sees every ES module and every CommonJS module that
//   `import` reaches, as Node loads it;
// - at exit, the main thread adds every file in the CommonJS cache: what `require` loaded, which in
//   Node 20 no loader hook sees (a package's own requires, `createRequire(…)('pino')`).
const HOOKS = `import { appendFileSync } from 'node:fs'
export async function load(url, context, next) {
  const loaded = await next(url, context)
  if (!url.startsWith('data:')) appendFileSync(process.env.LOADED_MODULES_LOG, url + '\\n')
  return loaded
}`
const RECORDER = `import { appendFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)})
const cache = createRequire(process.cwd() + '/').cache
process.on('exit', () => {
  const urls = Object.keys(cache).map((file) => pathToFileURL(file).href)
  if (urls.length > 0) appendFileSync(process.env.LOADED_MODULES_LOG, urls.join('\\n') + '\\n')
})`

/** The `node` options that make a process record the modules it loads (see {@link runRecordingModules}). */
export function recordModulesArgs(): string[] {
  return ['--import', `data:text/javascript,${encodeURIComponent(RECORDER)}`]
}

export interface RecordedRun {
  code: number | null
  stdout: string
  stderr: string
  /** The `file:` and `node:` URLs of the modules the process loaded, each once, in the order first seen. */
  loaded: string[]
}

/** Runs `node bin/cachesync.js …args` from the repository root and lists every module it loaded. */
export async function runCliRecordingModules(args: readonly string[], env: Record<string, string> = {}): Promise<RecordedRun> {
  return runRecordingModules(['bin/cachesync.js', ...args], env)
}

/** Runs `node …argv` from the repository root and lists every module it loaded. */
export async function runRecordingModules(argv: readonly string[], env: Record<string, string> = {}): Promise<RecordedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cachesync-loaded-'))
  const log = join(dir, 'loaded.log')
  try {
    const child = spawn(process.execPath, [...recordModulesArgs(), ...argv], {
      cwd: repoRoot,
      env: cliEnv({ ...env, LOADED_MODULES_LOG: log }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })
    const lines = readFileSync(log, 'utf8').split('\n')
    return { code, stdout, stderr, loaded: [...new Set(lines.filter((url) => url !== ''))] }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The packages among loaded URLs, by name (`pg`, `@duckdb/node-api`; a nested package by its own name), each once. */
export function loadedPackages(loaded: readonly string[]): string[] {
  const names = loaded.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(url)?.[1]).filter((name) => name !== undefined)
  return [...new Set(names)]
}

/** The loaded files of this repository (outside node_modules), relative to its root: `dist/cli/cachesync.js`. */
export function loadedOwnFiles(loaded: readonly string[]): string[] {
  const root = `${pathToFileURL(realpathSync(repoRoot)).href}/`
  return loaded.filter((url) => url.startsWith(root) && !url.includes('/node_modules/')).map((url) => url.slice(root.length))
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>
}

/**
 * The files esbuild put into the loaded chunks of the CLI bundle (`dist/cmd/commands/sync.js`,
 * `node_modules/zod/…`), read from its metafile: what a run of the bundle really loaded.
 */
export function bundledSources(loaded: readonly string[]): string[] {
  const meta = JSON.parse(readFileSync(join(repoRoot, 'dist', 'cli', 'meta.json'), 'utf8')) as Metafile
  return loadedOwnFiles(loaded).flatMap((file) => Object.keys(meta.outputs[file]?.inputs ?? {}))
}
