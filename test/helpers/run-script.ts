import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './paths.js'
import { type CliResult, cliEnv, finished } from './run-cli.js'

/** Runs `scripts/<name>` with bash, in this process's environment minus CACHESYNC_*, plus `env`. */
export function runScript(name: string, args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return finished(spawn('bash', [join(repoRoot, 'scripts', name), ...args], { cwd: repoRoot, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }))
}
