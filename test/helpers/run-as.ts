import { execFileSync, spawn } from 'node:child_process'
import { repoRoot } from './paths.js'
import { type CliResult, cliEnv, finished } from './run-cli.js'

/** A user whose file permissions are enforced: `nobody` when the tests run as root, else the current user. */
export interface Runner {
  uid: number | undefined
  gid: number | undefined
  /** How the user is described in test names. */
  name: string
}

/**
 * Root ignores file permissions, so a test of a read-only database run as root would prove nothing:
 * as root, the CLI child runs as `nobody`.
 */
export function unprivilegedRunner(): Runner {
  if (process.getuid?.() !== 0) return { uid: undefined, gid: undefined, name: 'the current user' }
  return { uid: idOf('-u', 'nobody', 65534), gid: idOf('-g', 'nobody', 65534), name: 'nobody' }
}

function idOf(flag: '-u' | '-g', user: string, fallback: number): number {
  try {
    return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim())
  } catch {
    return fallback
  }
}

/** Runs the built CLI to completion as `runner`. */
export function runCliAs(runner: Runner, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['bin/cachesync.js', ...args], {
    cwd: repoRoot,
    env: cliEnv({ ...env, ...(runner.uid === undefined ? {} : { HOME: '/tmp' }) }),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(runner.uid === undefined ? {} : { uid: runner.uid }),
    ...(runner.gid === undefined ? {} : { gid: runner.gid }),
  })
  return finished(child)
}
