import type { RecordedRun } from '../src/sink/recorded-run.js'
import { formatDuration, formatInt, formatMiB } from '../src/util/format.js'
import { fmtWhen, formatTable } from './format-table.js'

/** `cachesync history` for a person: one row per run, oldest first, so the newest is next to the prompt. */
export function formatHistory(runs: readonly RecordedRun[]): string {
  if (runs.length === 0) return 'no sync recorded yet'
  const header = [
    'run',
    'started (UTC)',
    'mode',
    'outcome',
    'chunk',
    'records',
    'rec/s',
    'db init',
    'read',
    'transform',
    'write',
    'finalize',
    'total',
    'peak RSS',
    'host',
    'pid',
  ]
  const ms = (value: number | undefined): string => (value === undefined ? '-' : formatDuration(value))
  const rows = [...runs]
    .sort((a, b) => a.id - b.id)
    .map((r) => [
      String(r.id),
      fmtWhen(r.startedAt),
      r.mode ?? '-',
      r.outcome,
      r.chunk === undefined ? '-' : formatInt(r.chunk),
      formatInt(r.records.read),
      r.recordsPerSec === undefined ? '-' : formatInt(r.recordsPerSec),
      ms(r.phases?.dbInit),
      ms(r.phases?.read),
      ms(r.phases?.transform),
      ms(r.phases?.write),
      ms(r.phases?.finalize),
      ms(r.phases?.total),
      r.peakRssMb === undefined ? '-' : formatMiB(r.peakRssMb),
      r.host ?? '-',
      r.pid === undefined ? '-' : String(r.pid),
    ])
  const lines = formatTable(header, rows, 'rlllrrrrrrrrrrlr')
  for (const r of runs) if (r.outcome !== 'ok' && r.error !== undefined) lines.push(`  ✗ run ${r.id}: ${r.error.replaceAll('\n', '; ')}`)
  return lines.join('\n')
}
