import type { WarmReport } from '../warm/warm-report.js'
import type { MetricFamily } from './prometheus-text.js'

const OUTCOMES = ['fetched', 'not-modified', 'fresh', 'failed'] as const

/**
 * The metrics of a warm run (`warm --metrics-file`). A cache hit is a source that needed no download
 * (fresh by max-age, or a 304); a miss is one fetched anew.
 */
export function warmMetrics(report: WarmReport, endedAt: Date): MetricFamily[] {
  const sources = report.sources
  const count = (pick: (s: WarmReport['sources'][number]) => boolean): number => sources.filter(pick).length
  const sum = (key: 'records' | 'bytes' | 'retries'): number => sources.reduce((total, s) => total + s[key], 0)
  return [
    gauge('cachesync_warm_last_run_timestamp_seconds', 'When the last warm run ended, in Unix seconds.', [{ value: endedAt.getTime() / 1000 }]),
    gauge('cachesync_warm_success', '1 when the last warm run succeeded for every source, 0 otherwise.', [{ value: report.ok ? 1 : 0 }]),
    gauge('cachesync_warm_duration_seconds', 'Wall time of the last warm run.', [{ value: seconds(report.ms) }]),
    gauge('cachesync_warm_cache_hits', 'Sources of the last warm run that needed no download (fresh, or 304 Not Modified).', [
      { value: count((s) => s.outcome === 'fresh' || s.outcome === 'not-modified') },
    ]),
    gauge('cachesync_warm_cache_misses', 'Sources of the last warm run fetched anew.', [{ value: count((s) => s.outcome === 'fetched') }]),
    gauge('cachesync_warm_failures', 'Sources that failed in the last warm run (their old cache kept).', [{ value: count((s) => s.outcome === 'failed') }]),
    gauge('cachesync_warm_retries', 'Requests retried in the last warm run.', [{ value: sum('retries') }]),
    gauge('cachesync_warm_breaker_opens', 'Times a host circuit breaker opened in the last warm run.', [{ value: report.breakerOpens }]),
    gauge('cachesync_warm_records', 'Records in the cache files of the sources of the last warm run.', [{ value: sum('records') }]),
    gauge('cachesync_warm_cache_bytes', 'Bytes of the cache files of the sources of the last warm run.', [{ value: sum('bytes') }]),
    gauge('cachesync_warm_peak_rss_bytes', 'Peak resident memory of the last warm run.', [{ value: report.peakRssMb * 1024 * 1024 }]),
    gauge(
      'cachesync_warm_source_outcome',
      'Outcome of each source in the last warm run: 1 for its outcome, 0 for the others.',
      sources.flatMap((s) => OUTCOMES.map((outcome) => ({ labels: { source: s.name, outcome }, value: s.outcome === outcome ? 1 : 0 }))),
    ),
    gauge(
      'cachesync_warm_source_duration_seconds',
      'Wall time of each source in the last warm run.',
      sources.map((s) => ({ labels: { source: s.name }, value: seconds(s.ms) })),
    ),
    gauge(
      'cachesync_warm_source_records',
      "Records in each source's cache file after the last warm run (0 for a failed source, whose old file is kept).",
      sources.map((s) => ({ labels: { source: s.name }, value: s.records })),
    ),
    gauge(
      'cachesync_warm_source_bytes',
      "Bytes of each source's cache file after the last warm run.",
      sources.map((s) => ({ labels: { source: s.name }, value: s.bytes })),
    ),
    gauge(
      'cachesync_warm_source_retries',
      'Requests retried for each source in the last warm run.',
      sources.map((s) => ({ labels: { source: s.name }, value: s.retries })),
    ),
  ]
}

/** Milliseconds as seconds, to the microsecond. */
function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1e6
}

function gauge(name: string, help: string, samples: MetricFamily['samples']): MetricFamily {
  return { name, help, type: 'gauge', samples }
}
