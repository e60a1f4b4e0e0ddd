import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
  // A named pipe holds a process at an exact point of its work: opening one to write waits for a reader.
  mkfifo: 'coreutils',
  mount: 'mount',
  umount: 'mount',
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
  return skipWhereMissing(missingTools(tools), true)
}

function skipWhereMissing(missing: string | undefined, strictFails: boolean): TestOptions {
  return missing === undefined ? {} : { skip: !(STRICT && strictFails), meta: { missing } }
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
  return skipWhereMissing(existsSync(path) ? undefined : reason, false)
}

/** Why this process cannot mount a tmpfs: it is not root, mount is missing, or the kernel refuses (a container). */
function whyNoTmpfs(): string | undefined {
  const tools = missingTools(['mount', 'umount'])
  if (tools !== undefined) return tools
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  const dir = mkdtempSync(join(tmpdir(), 'cachesync-mount-probe-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' })
    execFileSync('umount', [dir], { stdio: 'pipe' })
    return undefined
  } catch {
    return 'root may not mount a tmpfs here (a container without CAP_SYS_ADMIN?)'
  } finally {
    rmdirSync(dir)
  }
}

/**
 * Options for tests that mount a tmpfs (a real full disk, a read-only filesystem): skipped, or failed
 * in strict mode, where this process may not mount one. Each call mounts a probe: call it once a file.
 */
export function requireTmpfsMount(): TestOptions {
  return skipWhereMissing(whyNoTmpfs(), true)
}
