import type { SourceReport, SyncReport } from '../src/engine/sync-report.js'
import { formatDuration, formatInt, formatMiB } from '../src/util/format.js'
import { formatTable } from './format-table.js'

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
    ...[s.records.read, s.records.inserted, s.records.updated, s.records.unchanged, s.records.deleted, s.records.rejected].map(formatInt),
  ])
  const r = report.records
  rows.push(['total', report.ok ? 'ok' : 'FAILED', ...[r.read, r.inserted, r.updated, r.unchanged, r.deleted, r.rejected].map(formatInt)])
  lines.push(...formatTable(header, rows, 'llrrrrrr'))
  for (const s of report.sources) if (s.state === 'failed') lines.push(`  ✗ ${s.name}: ${s.error}`)
  for (const s of report.sources) if (s.state === 'skipped') lines.push(`  – ${s.name}: skipped, being synced by ${s.holder}`)
  for (const s of report.sources) lines.push(...formatSchemaChanges(s))
  lines.push('')
  const phases = PHASES.map(([key, label]) => [label, formatDuration(report.phases[key]), pct(report.phases[key], report.phases.total)])
  lines.push(...formatTable(['phase', 'time', '%'], [...phases, ['total', formatDuration(report.phases.total), '']], 'lrr'))
  if (report.overlap !== undefined) {
    const b = report.busy
    lines.push(`  (${report.overlap}; busy: read ${formatDuration(b.read)}, transform ${formatDuration(b.transform)}, write ${formatDuration(b.write)})`)
  }
  lines.push(`${formatInt(report.recordsPerSec)} records/s · peak RSS ${formatMiB(report.peakRssMb)}`)
  return lines.join('\n')
}

/** The columns a sync added or widened for a source, and the values it dropped (`schema: discard`). */
function formatSchemaChanges(source: SourceReport): string[] {
  const schema = source.schema
  if (schema === undefined) return []
  const lines = schema.added.map((c) => `  + ${source.name}: new column ${c.column} (${c.type})${c.field === c.column ? '' : ` for field ${c.field}`}`)
  lines.push(...schema.widened.map((w) => `  ~ ${source.name}: column ${w.column} widened from ${w.from} to ${w.to}`))
  lines.push(...Object.entries(schema.dropped).map(([field, count]) => `  – ${source.name}: ${formatInt(count)} values of ${field} dropped (schema: discard)`))
  return lines
}

function pct(part: number, total: number): string {
  return total > 0 ? `${((100 * part) / total).toFixed(1)} %` : '-'
}
