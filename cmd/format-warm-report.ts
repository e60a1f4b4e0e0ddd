import type { WarmReport } from '../src/warm/warm-report.js'

/** The warm summary a person reads: one row per source, then what failed and why. */
export function formatWarmReport(report: WarmReport): string {
  const header = ['source', 'outcome', 'records', 'bytes', 'pages', 'time', 'retries']
  const rows = report.sources.map((s) => [s.name, s.outcome, fmtInt(s.records), fmtBytes(s.bytes), fmtInt(s.pages), fmtMs(s.ms), fmtInt(s.retries)])
  const failed = report.sources.filter((s) => s.outcome === 'failed').length
  const sum = (key: 'records' | 'bytes' | 'pages' | 'retries'): number => report.sources.reduce((total, s) => total + s[key], 0)
  rows.push([
    'total',
    failed === 0 ? 'ok' : `${failed} FAILED`,
    fmtInt(sum('records')),
    fmtBytes(sum('bytes')),
    fmtInt(sum('pages')),
    fmtMs(report.ms),
    fmtInt(sum('retries')),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  const lines = [line(header), ...rows.map(line)]
  for (const s of report.sources) {
    if (s.outcome === 'failed') lines.push(`  ✗ ${s.name}: ${s.error} — its cache file, if any, is left as it was`)
  }
  return lines.join('\n')
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
    })),
    ms: Math.round(report.ms),
    peakRssMb: report.peakRssMb,
  }
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function fmtBytes(n: number): string {
  if (n < 1000) return `${n} B`
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`
  return `${(n / 1e9).toFixed(2)} GB`
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}
