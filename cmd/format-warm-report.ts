import { formatBytes, formatDuration, formatInt } from '../src/util/format.js'
import type { IncrementalReport } from '../src/warm/incremental-fetch.js'
import type { WarmReport } from '../src/warm/warm-report.js'
import { formatTable } from './format-table.js'

/** The warm summary a person reads: one row per source, then what failed and why. */
export function formatWarmReport(report: WarmReport): string {
  const header = ['source', 'outcome', 'records', 'bytes', 'pages', 'time', 'retries']
  const rows = report.sources.map((s) => [
    s.name,
    s.incremental === undefined ? s.outcome : `${s.outcome} (${s.incremental.fetch})`,
    formatInt(s.records),
    formatBytes(s.bytes),
    formatInt(s.pages),
    formatDuration(s.ms),
    formatInt(s.retries),
  ])
  const failed = report.sources.filter((s) => s.outcome === 'failed').length
  const sum = (key: 'records' | 'bytes' | 'pages' | 'retries'): number => report.sources.reduce((total, s) => total + s[key], 0)
  rows.push([
    'total',
    failed === 0 ? 'ok' : `${failed} FAILED`,
    formatInt(sum('records')),
    formatBytes(sum('bytes')),
    formatInt(sum('pages')),
    formatDuration(report.ms),
    formatInt(sum('retries')),
  ])
  const lines = formatTable(header, rows, 'llrrrrr')
  for (const s of report.sources) {
    if (s.outcome === 'failed') lines.push(`  ✗ ${s.name}: ${s.error} — its cache file, if any, is left as it was`)
    else if (s.incremental !== undefined) lines.push(`  ${s.name}: ${describeIncremental(s.incremental)}`)
  }
  return lines.join('\n')
}

function describeIncremental(inc: IncrementalReport): string {
  const fetched = inc.fetch === 'delta' ? `changes since ${inc.since}` : `everything (${inc.why ?? 'full fetch'})`
  const nulls = inc.nullCursor > 0 ? `; ${formatInt(inc.nullCursor)} records without a cursor value (only full fetches see them change)` : ''
  return `fetched ${fetched}; next cursor ${inc.cursor ?? 'none'}; ${formatInt(inc.deltas)} delta${inc.deltas === 1 ? '' : 's'} for the sync${nulls}`
}

/** The `--json` contract of `cachesync warm`: scripts and monitors read these names. */
export function warmToJson(report: WarmReport): object {
  return {
    ok: report.ok,
    sources: report.sources.map((s) => ({
      name: s.name,
      outcome: s.outcome,
      records: s.records,
      bytes: s.bytes,
      pages: s.pages,
      ms: Math.round(s.ms),
      retries: s.retries,
      error: s.outcome === 'failed' ? s.error : null,
      code: s.outcome === 'failed' ? s.code : null,
      url: s.url,
      incremental: s.incremental ?? null,
    })),
    ms: Math.round(report.ms),
    peakRssMb: report.peakRssMb,
  }
}
