import type { ChildProcess } from 'node:child_process'
import { type CliResult, finished, spawnCli } from './run-cli.js'

/** True while the child has neither exited nor been ended by a signal. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

/** Sends SIGKILL after `ms` unless the child ended first; returns a function that cancels it. */
export function killAfter(child: ChildProcess, ms: number): () => void {
  const timer = setTimeout(() => {
    if (isRunning(child)) child.kill('SIGKILL')
  }, ms)
  child.once('exit', () => clearTimeout(timer))
  return () => clearTimeout(timer)
}

export interface KilledRun extends CliResult {
  /** True when SIGKILL ended the run; false when it exited on its own before the kill moment. */
  killed: boolean
  /** Wall time from spawn to exit. */
  ms: number
}

/** Runs the built CLI and SIGKILLs it `ms` after the start, unless it is done by then. */
export async function runKilledAfter(args: readonly string[], ms: number, env: Record<string, string> = {}): Promise<KilledRun> {
  const started = performance.now()
  const child = spawnCli(args, env)
  const done = finished(child)
  killAfter(child, ms)
  const result = await done
  return { ...result, killed: result.signal === 'SIGKILL', ms: performance.now() - started }
}

/** Runs the built CLI to completion and times it (spawn to exit). */
export async function runTimed(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult & { ms: number }> {
  const started = performance.now()
  const result = await finished(spawnCli(args, env))
  return { ...result, ms: performance.now() - started }
}

/**
 * Polls `condition` every `intervalMs` while `child` runs; resolves true once it holds, false if the
 * child ended first. No time limit of its own: the test's timeout is the bound.
 */
export async function waitWhileRunning(child: ChildProcess, condition: () => boolean, intervalMs = 5): Promise<boolean> {
  while (isRunning(child)) {
    if (holds(condition)) return true
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  return false
}

/** A condition that throws (a database caught half-created, say) does not hold yet. */
function holds(condition: () => boolean): boolean {
  try {
    return condition()
  } catch {
    return false
  }
}
