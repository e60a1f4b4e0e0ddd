import type { ResolvedRetry } from '../config/resolve-warm.js'
import { CachesyncError, HttpStatusError } from '../util/errors.js'
import type { TaskLimiter } from '../util/task-limiter.js'
import type { CircuitBreakers } from './circuit-breaker.js'
import type { HostPacer, Sleep } from './host-pacer.js'
import { backoffDelay, describeTransportError, isHostFailure, isRetryable } from './retry-policy.js'

/** What the retry loop needs around one request. */
export interface FetchGuards {
  readonly retry: ResolvedRetry
  readonly timeouts: { readonly headersMs: number; readonly bodyMs: number }
  readonly breakers: CircuitBreakers
  readonly pacer: HostPacer
  readonly limiter: TaskLimiter
  readonly sleep: Sleep
  readonly random: () => number
  readonly signal?: AbortSignal | undefined
}

export interface RetryNotice {
  /** The attempt that failed, from 1. */
  readonly attempt: number
  readonly delayMs: number
  readonly error: CachesyncError
}

/**
 * Runs `attempt` (one request, its body read to the end) until it succeeds, under the host's circuit breaker,
 * the per-host pace and the shared concurrency limit. Failures worth a retry are retried after an exponential
 * backoff with jitter, or after the Retry-After the server asked for if that is longer; the last error is thrown,
 * saying how many attempts were made.
 */
export async function fetchWithRetries<T>(
  guards: FetchGuards,
  host: string,
  url: string,
  attempt: () => Promise<T>,
  onRetry: (notice: RetryNotice) => void,
): Promise<T> {
  const { retry, breakers } = guards
  for (let n = 1; ; n++) {
    let entered = false
    try {
      const value = await guards.limiter.run(async () => {
        await guards.pacer.wait(host, guards.signal)
        // Checked when the request is about to go, not when it was queued: earlier ones may have opened it.
        breakers.enter(host)
        entered = true
        return attempt()
      })
      breakers.succeeded(host)
      return value
    } catch (raw) {
      const err = guards.signal?.aborted ? cancelled(url, raw) : describeTransportError(raw, url, guards.timeouts)
      if (!entered) throw err
      if (isHostFailure(err)) breakers.failed(host)
      else if (err instanceof HttpStatusError) breakers.succeeded(host)
      else breakers.released(host)
      if (!isRetryable(err)) throw err
      if (n >= retry.attempts) throw gaveUp(err, n)
      if (breakers.stateOf(host) === 'open') throw gaveUp(err, n, `; the circuit for ${host} is now open`)
      const asked = err instanceof HttpStatusError ? err.retryAfterMs : undefined
      if (asked !== undefined && asked > retry.maxRetryAfterMs) {
        throw new CachesyncError(
          err.code,
          `${err.message}: the server asks to retry after ${Math.round(asked / 1000)} s, longer than retry.maxRetryAfter (${Math.round(retry.maxRetryAfterMs / 1000)} s)`,
          { cause: err },
        )
      }
      const delayMs = Math.max(asked ?? 0, backoffDelay(retry, n, guards.random))
      onRetry({ attempt: n, delayMs, error: err })
      await guards.sleep(delayMs, guards.signal).catch((raw: unknown) => {
        throw guards.signal?.aborted ? cancelled(url, raw) : raw
      })
    }
  }
}

function cancelled(url: string, cause: unknown): CachesyncError {
  return new CachesyncError('ERR_ABORTED', `fetching ${url} was cancelled`, { cause })
}

function gaveUp(err: CachesyncError, attempts: number, why = ''): CachesyncError {
  if (attempts === 1 && why === '') return err
  return new CachesyncError(err.code, `${err.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}${why})`, { cause: err })
}
