import type { SyncReport } from '../src/engine/sync-report.js'

const PHASES = [
  ['dbInit', 'db init'],
  ['read', 'read'],
  ['transform', 'transform'],
  ['write', 'write'],
  ['maintenance', 'maintenance'],
  ['finalize', 'finalize'],
] as const

/** The sync summary a person reads: what was done per source, then the phase breakdown. */
export function formatSyncReport(report: SyncReport): string {
  const lines: string[] = []
  lines.push(
    `${report.dryRun ? 'DRY RUN (nothing written) — ' : ''}mode ${report.mode}, chunk ${report.chunk}${report.workers > 0 ? `, ${report.workers} workers` : ''}`,
  )
  lines.push(`  ${report.reason}`)
  lines.push('')
  const header = ['source', 'state', 'read', 'inserted', 'updated', 'unchanged', 'deleted', 'rejected']
  const rows = report.sources.map((s) => [
    s.name,
    s.state,
    ...[s.records.read, s.records.inserted, s.records.updated, s.records.unchanged, s.records.deleted, s.records.rejected].map(fmtInt),
  ])
  const r = report.records
  rows.push(['total', report.ok ? 'ok' : 'FAILED', ...[r.read, r.inserted, r.updated, r.unchanged, r.deleted, r.rejected].map(fmtInt)])
  lines.push(...table(header, rows))
  for (const s of report.sources) if (s.state === 'failed') lines.push(`  ✗ ${s.name}: ${s.error}`)
  for (const s of report.sources) if (s.state === 'skipped') lines.push(`  – ${s.name}: skipped, being synced by ${s.holder}`)
  lines.push('')
  lines.push('phase        ms        %')
  for (const [key, label] of PHASES) {
    const ms = report.phases[key]
    lines.push(`${label.padEnd(10)} ${fmtMs(ms).padStart(8)} ${pct(ms, report.phases.total).padStart(7)}`)
  }
  lines.push(`${'total'.padEnd(10)} ${fmtMs(report.phases.total).padStart(8)}`)
  if (report.overlap !== undefined) {
    const b = report.busy
    lines.push(`  (${report.overlap}; busy ms: read ${fmtMs(b.read)}, transform ${fmtMs(b.transform)}, write ${fmtMs(b.write)})`)
  }
  lines.push(`${fmtInt(report.recordsPerSec)} records/s · peak RSS ${report.peakRssMb} MB`)
  return lines.join('\n')
}

/** One line, as the DMR breakdown prints it: `db init 13 ms (1.2 %) · read … · total …`. */
export function formatPhaseLine(report: SyncReport): string {
  const parts = PHASES.map(([key, label]) => `${label} ${fmtMs(report.phases[key])} ms (${pct(report.phases[key], report.phases.total)})`)
  return `${parts.join(' · ')} · total ${fmtMs(report.phases.total)} ms`
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  return [line(header), ...rows.map(line)]
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function fmtMs(ms: number): string {
  return ms >= 100 ? fmtInt(ms) : ms.toFixed(1)
}

function pct(part: number, total: number): string {
  return total > 0 ? `${((100 * part) / total).toFixed(1)} %` : '-'
}
