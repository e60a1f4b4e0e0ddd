import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { TestOptions } from 'vitest'

declare module 'vitest' {
  interface TaskMeta {
    /**
     * What the test needs and this machine lacks, in one line: why it is skipped (counted by
     * skip-summary-reporter.ts), or in strict mode why it fails (system-tools-setup.ts).
     */
    missing?: string
  }
}

/**
 * The programs the tests run that npm does not install, each with the Debian package that has it.
 * `.ci/run` installs them all.
 */
export const SYSTEM_TOOLS = {
  shellcheck: 'shellcheck',
  'systemd-analyze': 'systemd',
  sqlite3: 'sqlite3',
  'sqlite-utils': 'sqlite-utils',
  // GNU time by its path, as the bench runs it: the shell's `time` is another program.
  '/usr/bin/time': 'time',
  initdb: 'postgresql',
  pg_ctl: 'postgresql',
  postgres: 'postgresql',
  psql: 'postgresql-client',
  pg_dump: 'postgresql-client',
  pg_restore: 'postgresql-client',
} as const

export type SystemTool = keyof typeof SYSTEM_TOOLS

/** PostgreSQL's server programs: Debian keeps them off the PATH, in /usr/lib/postgresql/<major>/bin. */
const SERVER_PROGRAMS: ReadonlySet<SystemTool> = new Set<SystemTool>(['initdb', 'pg_ctl', 'postgres'])

/** With CACHESYNC_TEST_STRICT=1 (CI), a test that needs a missing tool fails instead of being skipped. */
const STRICT = process.env.CACHESYNC_TEST_STRICT === '1'

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** $PG_BIN, else the newest /usr/lib/postgresql/<major>/bin holding initdb, else undefined (then the PATH is searched). */
function postgresServerDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  return readdirSync(root)
    .filter((major) => /^\d+$/.test(major))
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => join(root, major, 'bin'))
    .find((dir) => isExecutable(join(dir, 'initdb')))
}

/** Where `tool` is installed: an absolute name as it stands, PostgreSQL's server programs in their directory, the rest on the PATH. */
export function toolPath(tool: SystemTool): string | undefined {
  if (isAbsolute(tool)) return isExecutable(tool) ? tool : undefined
  const serverDir = SERVER_PROGRAMS.has(tool) ? postgresServerDir() : undefined
  const dirs = serverDir === undefined ? (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '') : [serverDir]
  return dirs.map((dir) => join(dir, tool)).find(isExecutable)
}

export function hasTool(tool: SystemTool): boolean {
  return toolPath(tool) !== undefined
}

/** `psql, initdb not installed (apt-get install postgresql-client postgresql)`, or undefined when all are there. */
export function missingTools(tools: readonly SystemTool[]): string | undefined {
  const missing = tools.filter((tool) => !hasTool(tool))
  if (missing.length === 0) return undefined
  const packages = [...new Set(missing.map((tool) => SYSTEM_TOOLS[tool]))]
  return `${missing.join(', ')} not installed (apt-get install ${packages.join(' ')})`
}

/**
 * Options for a `describe` or an `it` whose tests run `tools`. Where one is missing, the tests are
 * skipped and the run ends with their count under one line naming the tools and their packages;
 * with CACHESYNC_TEST_STRICT=1 they fail with that line instead.
 */
export function requireTools(...tools: SystemTool[]): TestOptions {
  const missing = missingTools(tools)
  return missing === undefined ? {} : { skip: !STRICT, meta: { missing } }
}

/** Throws the strict failure where `tools` are missing: for a hook that runs them, which test options do not stop. */
export function assertTools(...tools: SystemTool[]): void {
  const missing = missingTools(tools)
  if (missing !== undefined) throw new Error(missing)
}

/**
 * Options for tests that read data the repository does not hold: skipped where `path` is absent,
 * counted under `reason`. Strict mode leaves this skip alone: it is about tools.
 */
export function requireFile(path: string, reason: string): TestOptions {
  return existsSync(path) ? {} : { skip: true, meta: { missing: reason } }
}
