import { parseDuration } from '../util/duration.js'
import type { AuthSpec, IncrementalSpec, Pagination, SourceSpec, WarmSettings } from './config-schema.js'

/** How `cachesync warm` paces, retries and times its requests, every default applied. */
export interface ResolvedWarmSettings {
  readonly concurrency: number
  /** A cache file younger than this is not fetched; undefined checks every source. */
  readonly maxAgeMs: number | undefined
  /** The largest fraction of a source's cached records a fetch may drop. */
  readonly maxShrink: number
  /** Requests a second to any one host; undefined for no cap. */
  readonly requestsPerSecond: number | undefined
  readonly headersTimeoutMs: number
  readonly bodyTimeoutMs: number
  readonly retry: ResolvedRetry
  readonly breaker: ResolvedBreaker
}

export interface ResolvedRetry {
  /** Attempts per request, the first included. */
  readonly attempts: number
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  readonly factor: number
  /** Up to this fraction of a delay is added at random. */
  readonly jitter: number
  /** A longer Retry-After fails the request instead of waiting. */
  readonly maxRetryAfterMs: number
}

export interface ResolvedBreaker {
  readonly failures: number
  readonly openForMs: number
}

/** Where and how a source is fetched. Secrets stay where they are configured: `auth.env` is read at fetch time. */
export interface ResolvedHttp {
  /** The URL with `baseUrl` applied. */
  readonly url: string
  readonly pagination: Readonly<Pagination> | undefined
  readonly auth: Readonly<AuthSpec> | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly maxAgeMs: number | undefined
  readonly minRecords: number | undefined
  /** Undefined for the warm setting. */
  readonly maxShrink: number | undefined
  /** Undefined where every warm fetches everything. */
  readonly incremental: ResolvedIncremental | undefined
}

/** How a source is fetched by cursor (`incremental:`), every default applied. */
export interface ResolvedIncremental {
  readonly param: string
  /** The record field of the cursor, as a path. */
  readonly field: readonly string[]
  readonly kind: 'timestamp' | 'number'
  /** Milliseconds for a timestamp, an amount for a number. */
  readonly lag: number
  readonly fullEveryMs: number
}

/** Five minutes of lag for timestamps, none for numbers, a full fetch a day. */
export const DEFAULT_INCREMENTAL = Object.freeze({ lagMs: 5 * 60_000, lagNumber: 0, fullEveryMs: 86_400_000 })

function resolveIncremental(spec: IncrementalSpec | undefined): ResolvedIncremental | undefined {
  if (spec === undefined) return undefined
  const kind = spec.kind ?? 'timestamp'
  const lag =
    spec.lag === undefined
      ? kind === 'number'
        ? DEFAULT_INCREMENTAL.lagNumber
        : DEFAULT_INCREMENTAL.lagMs
      : typeof spec.lag === 'number'
        ? spec.lag
        : (parseDuration(spec.lag) ?? 0)
  return { param: spec.param, field: spec.field.split('.'), kind, lag, fullEveryMs: spec.fullEvery ?? DEFAULT_INCREMENTAL.fullEveryMs }
}

/**
 * Five attempts with exponential backoff and jitter, a breaker that opens after five straight failures, for a
 * minute, and a fetch refused when it drops more than half of a source's records.
 */
export const DEFAULT_WARM: ResolvedWarmSettings = Object.freeze({
  concurrency: 4,
  maxAgeMs: undefined,
  maxShrink: 0.5,
  requestsPerSecond: undefined,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 60_000,
  retry: Object.freeze({ attempts: 5, initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.1, maxRetryAfterMs: 300_000 }),
  breaker: Object.freeze({ failures: 5, openForMs: 60_000 }),
})

export function resolveWarmSettings(settings: WarmSettings | undefined): ResolvedWarmSettings {
  const d = DEFAULT_WARM
  const retry = settings?.retry
  const breaker = settings?.breaker
  return {
    concurrency: settings?.concurrency ?? d.concurrency,
    maxAgeMs: settings?.maxAge ?? d.maxAgeMs,
    maxShrink: settings?.maxShrink ?? d.maxShrink,
    requestsPerSecond: settings?.requestsPerSecond ?? d.requestsPerSecond,
    headersTimeoutMs: settings?.headersTimeout ?? d.headersTimeoutMs,
    bodyTimeoutMs: settings?.bodyTimeout ?? d.bodyTimeoutMs,
    retry: {
      attempts: retry?.attempts ?? d.retry.attempts,
      initialDelayMs: retry?.initialDelay ?? d.retry.initialDelayMs,
      maxDelayMs: retry?.maxDelay ?? d.retry.maxDelayMs,
      factor: retry?.factor ?? d.retry.factor,
      jitter: retry?.jitter ?? d.retry.jitter,
      maxRetryAfterMs: retry?.maxRetryAfter ?? d.retry.maxRetryAfterMs,
    },
    breaker: { failures: breaker?.failures ?? d.breaker.failures, openForMs: breaker?.openFor ?? d.breaker.openForMs },
  }
}

/** Merges the warm settings of file < environment < flags, nested objects key by key. */
export function mergeWarmSettings(...layers: (WarmSettings | undefined)[]): WarmSettings | undefined {
  const present = layers.filter((layer): layer is WarmSettings => layer !== undefined)
  if (present.length === 0) return undefined
  const merged: WarmSettings = {}
  for (const layer of present) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue
      const previous = (merged as Record<string, unknown>)[key]
      ;(merged as Record<string, unknown>)[key] =
        typeof value === 'object' && value !== null && typeof previous === 'object' && previous !== null ? { ...previous, ...value } : value
    }
  }
  return merged
}

/** The HTTP side of a source, or undefined when it has no URL (a cache file put there by other means). */
export function resolveHttp(spec: SourceSpec, baseUrl: string | undefined): ResolvedHttp | undefined {
  if (spec.url === undefined) return undefined
  return {
    url: baseUrl === undefined ? spec.url : rebase(spec.url, baseUrl),
    pagination: spec.pagination,
    auth: spec.auth,
    headers: spec.headers ?? {},
    maxAgeMs: spec.maxAge,
    minRecords: spec.minRecords,
    maxShrink: spec.maxShrink,
    incremental: resolveIncremental(spec.incremental),
  }
}

/**
 * Replaces the scheme, host and port of `url` with those of `baseUrl`; a path in `baseUrl` (a mirror under
 * `/radioid`) is put before the source's path, and credentials in `baseUrl` (`https://user:pw@mirror`) replace
 * the source's.
 */
export function rebase(url: string, baseUrl: string): string {
  const source = new URL(url)
  const base = new URL(baseUrl)
  const prefix = base.pathname.replace(/\/+$/, '')
  const from = base.username !== '' || base.password !== '' ? base : source
  const userInfo = from.username !== '' || from.password !== '' ? `${from.username}${from.password === '' ? '' : `:${from.password}`}@` : ''
  return `${base.protocol}//${userInfo}${base.host}${prefix}${source.pathname}${source.search}`
}
