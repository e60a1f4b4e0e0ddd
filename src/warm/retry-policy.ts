import type { ResolvedRetry } from '../config/resolve-warm.js'
import { CachesyncError, HttpStatusError } from '../util/errors.js'

/**
 * The delay before retry number `retry` (1 for the first): `initialDelay · factor^(retry-1)`, capped at
 * `maxDelay`, plus up to `jitter` of it at random so that many clients do not retry in step.
 */
export function backoffDelay(policy: ResolvedRetry, retry: number, random: () => number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (retry - 1))
  return Math.round(base * (1 + policy.jitter * random()))
}

/**
 * Whether a failed attempt is worth another: network errors, timeouts, 429 and 5xx are; any other status,
 * a body that is not the JSON expected, a refused configuration or an abort are not.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status === 429 || err.status >= 500
  const code = (err as { code?: unknown })?.code
  return code === 'ERR_NETWORK' || code === 'ERR_TIMEOUT'
}

/** Whether a failure tells that the host is unwell (what the circuit breaker counts): 429 is the host being fine but busy. */
export function isHostFailure(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status >= 500
  return isRetryable(err)
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'])
const NETWORK_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTDOWN',
  'ENETDOWN',
  'EPROTO',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'Z_BUF_ERROR',
  'Z_DATA_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
])

/**
 * A thrown transport error as a CachesyncError with a message a person can act on, naming the (masked) URL.
 * CachesyncErrors pass through unchanged.
 */
export function describeTransportError(err: unknown, url: string, timeouts: { headersMs: number; bodyMs: number }): CachesyncError {
  if (err instanceof CachesyncError) return err
  const code = String((err as { code?: unknown })?.code ?? '')
  const message = (err as Error)?.message ?? String(err)
  if (code === 'UND_ERR_HEADERS_TIMEOUT')
    return new CachesyncError('ERR_TIMEOUT', `no response headers from ${url} within ${timeouts.headersMs} ms`, { cause: err })
  if (code === 'UND_ERR_BODY_TIMEOUT') return new CachesyncError('ERR_TIMEOUT', `the body from ${url} stalled for ${timeouts.bodyMs} ms`, { cause: err })
  if (TIMEOUT_CODES.has(code)) return new CachesyncError('ERR_TIMEOUT', `timed out fetching ${url}: ${message}`, { cause: err })
  if (code === 'UND_ERR_ABORTED' || (err as Error)?.name === 'AbortError')
    return new CachesyncError('ERR_ABORTED', `fetching ${url} was cancelled`, { cause: err })
  if (code === 'ERR_UNSUPPORTED_ENCODING') return new CachesyncError('ERR_SOURCE', `${url}: ${message}`, { cause: err })
  if (NETWORK_CODES.has(code)) return new CachesyncError('ERR_NETWORK', `network error fetching ${url}: ${message} (${code})`, { cause: err })
  // Writing the cache file, not fetching, failed.
  if (code === 'ENOSPC') return new CachesyncError('ERR_DISK_FULL', `no space left for the cache of ${url}: ${message}`, { cause: err })
  if (/^E[A-Z]+$/.test(code)) return new CachesyncError('ERR_IO', `writing the cache of ${url} failed: ${message}`, { cause: err })
  return new CachesyncError('ERR_INTERNAL', `fetching ${url} failed: ${message}${code === '' ? '' : ` (${code})`}`, { cause: err })
}

/** Milliseconds a Retry-After header asks to wait (seconds, or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
