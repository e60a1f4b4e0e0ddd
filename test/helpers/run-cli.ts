import { type ChildProcess, spawn } from 'node:child_process'
import { repoRoot } from './paths.js'

export interface CliResult {
  /** Exit status, or null when a signal ended the process. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The environment a CLI child gets: this process's, minus any CACHESYNC_* setting, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CACHESYNC_')))
  return { ...base, ...env }
}

/** Starts `node bin/cachesync.js …args` from the repository root (the built CLI) without waiting for it. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['bin/cachesync.js', ...args], { cwd: repoRoot, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Collects a child's output and waits for it to exit. */
export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text
  })
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** Runs the built CLI to completion: `runCli(['sync', '--db', db])`. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return finished(spawnCli(args, env))
}

/** A line of a stack trace, as Node prints them (`    at fn (file:1:2)`). */
export const STACK_LINE = /^\s+at .+[:(]/m
