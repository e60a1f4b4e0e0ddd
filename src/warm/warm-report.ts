import type { IncrementalReport } from './incremental-fetch.js'

/**
 * What happened to a source: fetched anew, confirmed unchanged by a 304, skipped as fresh, or failed (its old cache kept).
 *
 * @example
 * const fetched = warm.sources.filter((s) => s.outcome === 'fetched').length
 */
export type WarmOutcome = 'fetched' | 'not-modified' | 'fresh' | 'failed'

/**
 * One source of a warm run. A failed source is a result, not an exception: the others go on.
 *
 * @example
 * for (const s of warm.sources) if (s.outcome === 'failed') console.error(s.name, s.code, s.error)
 */
export type WarmSourceReport = {
  readonly name: string
  /** The first URL asked, credentials masked. */
  readonly url: string
  /** Records in the cache file now (for fresh and not-modified sources, as its meta file says); 0 when failed. */
  readonly records: number
  readonly bytes: number
  readonly pages: number
  readonly retries: number
  readonly ms: number
  /** An incremental source's fetch: full or delta, and where its cursor stands. */
  readonly incremental?: IncrementalReport
} & ({ readonly outcome: 'fetched' | 'not-modified' | 'fresh' } | { readonly outcome: 'failed'; readonly error: string; readonly code: string })

/**
 * What {@link runWarm} did: a report per source.
 *
 * @example
 * const warm = await runWarm(config)
 * if (!warm.ok) process.exitCode = 1
 */
export interface WarmReport {
  /** True when no source failed. */
  readonly ok: boolean
  readonly sources: readonly WarmSourceReport[]
  readonly ms: number
  /** Peak resident memory of the process so far. */
  readonly peakRssMb: number
  /** Times a host's circuit breaker opened during the run. */
  readonly breakerOpens: number
}

/**
 * Emitted as a source's pages arrive (`WarmOptions.onProgress`).
 *
 * @example
 * await runWarm(config, { onProgress: (e) => console.log(e.source, e.pages, 'pages', e.records, 'records') })
 */
export interface WarmProgressEvent {
  readonly source: string
  readonly pages: number
  readonly records: number
  readonly bytes: number
}
