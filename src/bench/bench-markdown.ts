import { formatBytes, formatDuration, formatInt, formatMiB } from '../util/format.js'
import type { BenchReport } from './bench-report.js'
import type { BenchTables, Measured, SideBySideRow } from './bench-tables.js'

const ratio = (n: number | null | undefined): string => (n === null || n === undefined ? '' : `${n.toFixed(n >= 100 ? 0 : 2)}×`)
const rss = (mb: number | undefined): string => (mb === undefined ? 'n/m' : formatMiB(mb))

function time(m: Measured): string {
  if (m.ms === undefined) return m.reason ?? m.status
  return m.minMs === m.maxMs ? formatDuration(m.ms) : `${formatDuration(m.ms)} (${formatDuration(m.minMs ?? m.ms)}–${formatDuration(m.maxMs ?? m.ms)})`
}

function target(r: SideBySideRow): string {
  if (r.id === 'ceiling' && r.oursRatio !== undefined) return `ours at ${(r.oursRatio * 100).toFixed(0)} % of it`
  if (r.target === null) return ''
  return `≥ ${r.target}× ${r.met === true ? 'met' : r.met === false ? '**missed**' : ''}`.trim()
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)]
}

/** The report as Markdown: the machine, then the five tables, each with what its figures mean. */
export function renderBenchMarkdown(report: BenchReport): string {
  const { machine: m, options: o, tables: t, data } = report
  const out: string[] = [
    `# cachesync bench, ${report.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `${formatInt(data.records)} records (${formatBytes(data.bytes)} of NDJSON, \`generateDmrCache\` seed ${o.seed}); ` +
      `${m.cores} cores, ${m.cpu ?? 'unknown CPU'}, ${m.memoryGiB} GiB, Node ${m.node}, SQLite ${m.sqlite} (better-sqlite3), ` +
      `sqlite3 shell ${m.sqliteShell ?? 'absent'}, sqlite-utils ${m.sqliteUtils ?? 'absent'}; load average ${m.loadAverage.start.toFixed(1)} at the start, ${m.loadAverage.end.toFixed(1)} at the end.`,
    `Every run is a fresh process and a fresh database, timed from outside (start-up included); median of ${o.repeat} with min–max ` +
      `(the naive baseline, the sqlite3 shell and sqlite-utils: ${o.repeatSlow}). Peak RSS: ${m.rss}. Speed-ups are over ${t.baseline}.`,
    '',
    '## Modes',
    '',
    ...table(
      ['mode', 'sync time', 'peak RSS', 'records/s', 'vs plain loader', 'best use'],
      t.modes.map((r) => [
        r.chunk === undefined ? r.mode : `${r.mode} (chunk ${r.chunk}, the fastest)`,
        time(r),
        rss(r.rssMb),
        r.recordsPerSec === undefined ? '' : formatInt(r.recordsPerSec),
        ratio(r.speedUp),
        r.bestUse,
      ]),
    ),
    '',
    '## Streaming chunk sizes',
    '',
    ...(t.chunks.length === 0
      ? ['streaming was not among --modes.']
      : table(
          ['chunk', 'sync time', 'peak RSS', 'records/s', 'vs plain loader'],
          t.chunks.map((r) => [String(r.chunk), time(r), rss(r.rssMb), r.recordsPerSec === undefined ? '' : formatInt(r.recordsPerSec), ratio(r.speedUp)]),
        )),
    '',
    `## Phases of the fastest configuration${t.phases.id === null ? '' : ` (${t.phases.id})`}`,
    '',
    ...(t.phases.rows.length === 0
      ? ['no configuration of ours finished.']
      : [
          ...table(
            ['phase', 'ms', '%', 'busy ms'],
            t.phases.rows.map((r) => [r.phase, formatInt(r.ms), `${r.percent.toFixed(1)} %`, r.busyMs === null ? '' : formatInt(r.busyMs)]),
          ),
          '',
          `From the median run's \`--json\` \`phases\` (ms of \`phases.total\`, which excludes process start-up); \`busy\` is each phase's own thread time. ${t.phases.overlap ?? ''}`,
        ]),
    '',
    '## Incremental',
    '',
    ...table(
      [
        'run',
        'wall',
        'phases.total',
        'peak RSS',
        'first sync ÷ this (wall)',
        'first sync ÷ this (phases.total)',
        'read / inserted / updated / unchanged / deleted',
      ],
      t.incremental.map((r) => [
        r.run,
        time(r),
        r.totalMs === undefined ? '' : formatDuration(r.totalMs),
        rss(r.rssMb),
        ratio(r.wallRatio),
        ratio(r.totalRatio),
        r.counts === undefined ? '' : ['read', 'inserted', 'updated', 'unchanged', 'deleted'].map((k) => formatInt(r.counts?.[k] ?? 0)).join(' / '),
      ]),
    ),
    '',
    `Each re-sync runs the fastest configuration over a copy of its finished database; "nothing changed" is the same cache, "1 %" the cache of \`generateDmrCache({ changeRate: 0.01 })\` on the same seed (${formatInt(data.changedRecords)} records).`,
    '',
    '## Side by side',
    '',
    ...table(
      ['tool', 'time', 'peak RSS', 'records/s', 'ours ÷ it', 'target', 'how'],
      t.sideBySide.map((r) => [
        r.tool,
        r.scaledMs === undefined
          ? (r.reason ?? r.status)
          : r.id === 'naive'
            ? `${formatDuration(r.scaledMs)} (scaled; ${formatDuration(r.ms ?? 0)} measured)`
            : time(r),
        r.ms === undefined ? '' : rss(r.rssMb),
        r.recordsPerSec === undefined ? '' : formatInt(r.recordsPerSec),
        ratio(r.oursRatio),
        target(r),
        r.note,
      ]),
    ),
    '',
    'Every tool loads the same records into tables of its own and its row count is checked after each run (a run that loads the wrong number of rows is reported as failed). ' +
      'The write ceiling is timed inside its process; every other time is the whole process.',
    '',
    ...postgresSection(t.postgres),
  ]
  return `${out.join('\n')}\n`
}

function postgresSection(rows: BenchTables['postgres']): string[] {
  if (rows.length === 0) return []
  return [
    '## PostgreSQL',
    '',
    ...table(
      ['run', 'wall', 'phases.total', 'peak RSS', 'records/s', 'ratio', 'target'],
      rows.map((r) => [
        r.run,
        time(r),
        r.totalMs === undefined ? '' : formatDuration(r.totalMs),
        r.ms === undefined ? '' : rss(r.rssMb),
        r.recordsPerSec === undefined ? '' : formatInt(r.recordsPerSec),
        r.ratio === null ? '' : `${ratio(r.ratio)} (${r.ratioOf})`,
        r.target === null ? '' : `≥ ${r.target}× ${r.met === true ? 'met' : r.met === false ? '**missed**' : ''}`.trim(),
      ]),
    ),
    '',
    "Each round: the schemas dropped, a parallel first sync, psql `\\copy` (one process, one transaction) of the very rows it left into empty tables of the same shape, primary key included — the server's ceiling for these rows — then a 1 % change re-sync over the first sync's tables. The server shares the machine's cores with the client.",
    '',
  ]
}
