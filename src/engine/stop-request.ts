import { CachesyncError } from '../util/errors.js'
import type { SourceRun } from './source-job.js'

/**
 * A requested stop (SIGTERM, SIGINT, an `AbortSignal` from a caller) ends a sync between chunks: the
 * chunk in flight is committed or, not yet begun, dropped; what was committed keeps its checkpoint, so
 * the next sync resumes there as it would after a kill.
 */
export function stopRequested(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

/** The error a stopped sync ends with: `ERR_ABORTED`, a requested stop, not a failure. */
export function stoppedError(signal: AbortSignal | undefined): CachesyncError {
  const reason = signal?.reason
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'stop requested'
  return new CachesyncError('ERR_ABORTED', `sync stopped (${why}): the committed chunks are kept and the next sync resumes after them`)
}

/** Throws {@link stoppedError} when a stop was requested. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (stopRequested(signal)) throw stoppedError(signal)
}

/** True for the error of a requested stop. */
export function isStopped(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ERR_ABORTED'
}

/** A source the mode left because a stop was requested: the run ends there, recorded as interrupted. */
export function throwIfStoppedMidway(runs: readonly SourceRun[]): void {
  const stopped = runs.find((run) => isStopped(run.error))
  if (stopped !== undefined) throw stopped.error
}
