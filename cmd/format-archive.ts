import { ARCHIVE_PHASES, type ArchiveReport } from '../src/archive/run-archive.js'
import type { RestoreReport } from '../src/archive/run-restore.js'
import { formatBytes, formatDuration, formatInt, formatMiB } from '../src/util/format.js'
import { formatTable } from './format-table.js'

/** The archive summary a person reads: rows and files per table, then the time of each phase. */
export function formatArchiveReport(report: ArchiveReport): string {
  const lines: string[] = []
  lines.push(`${report.dryRun ? 'DRY RUN (nothing written or deleted) — ' : ''}${report.target} → ${report.dir}`)
  for (const file of report.cleaned) lines.push(`  removed the unfinished file of a killed run: ${file}`)
  lines.push('')
  const rows = report.tables.map((t) => [
    t.table,
    t.filter,
    formatInt(t.rows),
    formatInt(t.files),
    formatBytes(t.rawBytes),
    formatBytes(t.bytes),
    t.batchSizes.map(formatInt).join('→'),
  ])
  rows.push(['total', '', formatInt(report.rows), formatInt(report.files), formatBytes(report.rawBytes), formatBytes(report.bytes), ''])
  lines.push(...formatTable(['table', 'rows taken', 'rows', 'files', 'json', 'gzip', 'batch sizes'], rows, 'llrrrrl'))
  lines.push('')
  const busy = ARCHIVE_PHASES.reduce((n, p) => n + report.phases[p], 0)
  const phases = ARCHIVE_PHASES.map((p) => [p, formatDuration(report.phases[p]), busy > 0 ? `${((100 * report.phases[p]) / busy).toFixed(1)} %` : '-'])
  lines.push(...formatTable(['phase', 'time', '%'], [...phases, ['total (wall)', formatDuration(report.totalMs), '']], 'lrr'))
  lines.push('  (compress, write and verify run on worker threads while the next batch is queried)')
  lines.push(`${formatInt(report.rowsPerSec)} rows/s · peak RSS ${formatMiB(report.peakRssMb)}`)
  return lines.join('\n')
}

/** The restore summary: per file, the rows inserted, put back over older ones, and kept. */
export function formatRestoreReport(report: RestoreReport): string {
  const rows = report.files.map((f) => [f.file, f.table, formatInt(f.rows), formatInt(f.inserted), formatInt(f.replaced), formatInt(f.kept)])
  rows.push(['total', '', formatInt(report.rows), formatInt(report.inserted), formatInt(report.replaced), formatInt(report.kept)])
  return [
    `restored into ${report.target}`,
    ...formatTable(['file', 'table', 'rows', 'inserted', 'replaced', 'kept'], rows, 'llrrrr'),
    `${formatDuration(report.totalMs)} · ${formatInt(report.rowsPerSec)} rows/s`,
  ].join('\n')
}
