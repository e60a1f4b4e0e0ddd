import { type BenchRun, type BenchSummary, summarize } from './bench-results.js'

/** A measured figure, or why there is none. */
export interface Measured {
  status: 'measured' | 'unavailable' | 'failed'
  /** Why it is unavailable or failed. */
  reason?: string
  ms?: number
  minMs?: number
  maxMs?: number
  rssMb?: number | undefined
  recordsPerSec?: number
}

export interface ModeRow extends Measured {
  id: string
  mode: string
  chunk: number | undefined
  /** Records/s over the plain loader's; null when the plain loader did not run. */
  speedUp: number | null
  bestUse: string
}

export interface PhaseRow {
  phase: string
  ms: number
  percent: number
  /** Time the phase's own thread(s) were busy, where it overlaps others (parallel mode). */
  busyMs: number | null
}

export interface IncrementalRow extends Measured {
  id: string
  run: string
  /** `phases.total` of the median run: the sync's own work, without process start-up. */
  totalMs?: number
  /** First sync's wall / this wall, and the same of `phases.total`. */
  wallRatio?: number | null
  totalRatio?: number | null
  counts?: Record<string, number>
}

export interface SideBySideRow extends Measured {
  id: string
  tool: string
  /** Records loaded per run (the naive baseline loads a subset). */
  records: number
  /** Time for the whole data set: measured, or scaled from the subset. */
  scaledMs?: number
  note: string
  /** Our best mode's records/s over this tool's. */
  oursRatio?: number
  /** The target for that ratio, and whether it was met; null where none is set. */
  target: number | null
  met?: boolean | null
}

/** A PostgreSQL row (`--postgres`): our first sync and re-sync beside psql's \copy of the same rows. */
export interface PostgresRow extends Measured {
  id: string
  run: string
  /** `phases.total` of the median run, for ours. */
  totalMs?: number
  /** What the ratio compares, and the ratio: first sync ÷ \copy in speed, first ÷ re-sync in `phases.total`. */
  ratioOf: string
  ratio: number | null
  target: number | null
  met: boolean | null
  counts?: Record<string, number>
}

export interface BenchTables {
  /** The baseline the speed-ups are taken against. */
  baseline: string
  best: string | null
  modes: ModeRow[]
  chunks: ModeRow[]
  phases: { id: string | null; overlap: string | null; rows: PhaseRow[] }
  incremental: IncrementalRow[]
  sideBySide: SideBySideRow[]
  /** Empty unless the bench was given `--postgres`. */
  postgres: PostgresRow[]
}

const BEST_USE: Record<string, string> = {
  parallel: 'first syncs and big change sets, where memory allows the whole cache',
  sequential: 'one core, or memory for one file but not all',
  streaming: 'small boxes and containers: memory set by the chunk, not the data',
  inferred: 'parallel mode with no column mapping: every column inferred from the records',
}

const TARGETS: Record<string, number> = { plain: 1.6, duckdb: 1.5, 'sqlite-utils': 5, 'sqlite3-import': 2.5, 'sqlite3-json-each': 2.5, naive: 40 }

function measured(run: BenchRun | undefined): Measured & { summary?: BenchSummary } {
  if (run === undefined) return { status: 'unavailable', reason: 'not run' }
  if (run.unavailable !== undefined) return { status: 'unavailable', reason: run.unavailable }
  const s = summarize(run)
  if (s === undefined) return { status: 'failed', reason: run.failed ?? 'no run finished' }
  return { status: 'measured', ms: s.ms, minMs: s.minMs, maxMs: s.maxMs, rssMb: s.rssMb, recordsPerSec: s.recordsPerSec, summary: s }
}

function strip<T extends { summary?: BenchSummary }>(row: T): Omit<T, 'summary'> {
  const { summary: _summary, ...rest } = row
  return rest
}

function modeRow(run: BenchRun, plainRps: number | undefined): ModeRow {
  const [mode, chunk] = run.id.split('-') as [string, string | undefined]
  const m = measured(run)
  const speedUp = plainRps === undefined || m.recordsPerSec === undefined ? null : m.recordsPerSec / plainRps
  return strip({ id: run.id, mode, chunk: chunk === undefined ? undefined : Number(chunk), ...m, speedUp, bestUse: BEST_USE[mode] ?? '' })
}

/** The five tables of the report, from the runs: plain data, rendered by `renderBenchMarkdown`. */
export function buildBenchTables(runs: readonly BenchRun[], bestId: string | undefined, records: number): BenchTables {
  const byId = new Map(runs.map((r) => [r.id, r]))
  const plainRps = measured(byId.get('plain')).recordsPerSec
  const ours = runs.filter((r) => /^(parallel|sequential|streaming)/.test(r.id))
  const chunks = ours.filter((r) => r.id.startsWith('streaming-')).map((r) => modeRow(r, plainRps))
  const bestChunk = [...chunks].filter((r) => r.ms !== undefined).sort((a, b) => (a.ms ?? 0) - (b.ms ?? 0))[0] ?? chunks[0]
  const modes = ours.filter((r) => !r.id.startsWith('streaming-')).map((r) => modeRow(r, plainRps))
  if (bestChunk !== undefined) modes.push(bestChunk)
  const inferred = byId.get('inferred')
  if (inferred !== undefined) modes.push(modeRow(inferred, plainRps))
  const best = measured(bestId === undefined ? undefined : byId.get(bestId))
  return {
    baseline: 'the plain loader (../shared/tools/plain-loader.cjs): one thread, JSON.parse a line, one INSERT OR REPLACE transaction, WAL',
    best: bestId ?? null,
    modes,
    chunks,
    phases: { ...phaseTable(best.summary), id: bestId ?? null },
    incremental: incrementalTable(best.summary, byId),
    sideBySide: sideBySideTable(best.summary, bestId, byId, records),
    postgres: postgresTable(byId),
  }
}

function phaseTable(best: BenchSummary | undefined): BenchTables['phases'] {
  const phases = best?.sample.phases
  if (phases === undefined) return { id: null, overlap: null, rows: [] }
  const total = phases.total ?? 0
  const rows = Object.entries(phases)
    .filter(([phase]) => phase !== 'total')
    .map(([phase, ms]) => ({ phase, ms, percent: total > 0 ? (ms / total) * 100 : 0, busyMs: best?.sample.busy?.[phase] ?? null }))
  rows.push({ phase: 'total', ms: total, percent: 100, busyMs: null })
  return { id: null, overlap: best?.sample.overlap ?? null, rows }
}

function incrementalTable(first: BenchSummary | undefined, byId: Map<string, BenchRun>): IncrementalRow[] {
  const firstTotal = first?.sample.phases?.total
  const row = (id: string, run: string, m: Measured & { summary?: BenchSummary }): IncrementalRow => {
    const totalMs = m.summary?.sample.phases?.total
    const counts = m.summary?.sample.counts
    return strip({
      id,
      run,
      ...m,
      ...(totalMs === undefined ? {} : { totalMs }),
      wallRatio: first === undefined || m.ms === undefined ? null : first.ms / m.ms,
      totalRatio: firstTotal === undefined || totalMs === undefined || totalMs === 0 ? null : firstTotal / totalMs,
      ...(counts === undefined ? {} : { counts }),
    })
  }
  const firstRow =
    first === undefined
      ? measured(undefined)
      : {
          status: 'measured' as const,
          ms: first.ms,
          minMs: first.minMs,
          maxMs: first.maxMs,
          rssMb: first.rssMb,
          recordsPerSec: first.recordsPerSec,
          summary: first,
        }
  return [
    row('first', 'first sync', firstRow),
    row('resync-unchanged', 're-sync, nothing changed', measured(byId.get('resync-unchanged'))),
    row('resync-changed', 're-sync, 1 % changed (change-rate 0.01, same seed)', measured(byId.get('resync-changed'))),
  ]
}

function sideBySideTable(best: BenchSummary | undefined, bestId: string | undefined, byId: Map<string, BenchRun>, records: number): SideBySideRow[] {
  const notes: Record<string, string> = {
    plain: 'the baseline of the speed-ups',
    duckdb: 'CREATE TABLE … AS SELECT * FROM read_ndjson_auto(file) a file, then CHECKPOINT; columnar, vectorised C++, no keys, hashes or upserts',
    'sqlite3-import': 'lines into a temp table, INSERT … SELECT json_extract, one transaction, WAL',
    'sqlite3-json-each': 'whole file as one JSON array through json_each, one transaction, WAL',
    'sqlite-utils': 'one process per source, its own batches and commits',
    ceiling: 'our finished tables copied into empty ones, timed inside SQLite: the physical limit of the write side',
  }
  const ids = ['plain', 'duckdb', 'naive', 'sqlite3-import', 'sqlite3-json-each', 'sqlite-utils', 'ceiling']
  const rows: SideBySideRow[] = []
  if (bestId !== undefined && best !== undefined) {
    rows.push({
      id: bestId,
      tool: `cachesync, ${bestId.replace('-', ' ')} (our best)`,
      records,
      status: 'measured',
      ms: best.ms,
      minMs: best.minMs,
      maxMs: best.maxMs,
      rssMb: best.rssMb,
      recordsPerSec: best.recordsPerSec,
      scaledMs: best.ms,
      note: 'whole process, start-up included',
      oursRatio: 1,
      target: null,
      met: null,
    })
  }
  for (const id of ids) {
    const run = byId.get(id)
    const m = measured(run)
    const loaded = run?.records ?? records
    const scaledMs = m.ms === undefined ? undefined : (m.ms * records) / loaded
    const note =
      id === 'naive'
        ? `${loaded.toLocaleString('en-US')} records, one autocommitted INSERT each (SQLite defaults); time scaled ×${(records / loaded).toFixed(1)} to the whole data set`
        : (notes[id] ?? '')
    const oursRatio = best === undefined || m.recordsPerSec === undefined ? undefined : best.recordsPerSec / m.recordsPerSec
    const target = TARGETS[id] ?? null
    rows.push(
      strip({
        id,
        tool: run?.label ?? id,
        records: loaded,
        ...m,
        ...(scaledMs === undefined ? {} : { scaledMs }),
        note,
        ...(oursRatio === undefined ? {} : { oursRatio }),
        target,
        met: target === null || oursRatio === undefined ? null : oursRatio >= target,
      }),
    )
  }
  return rows
}

/** Issue 16's PostgreSQL targets: a first sync at ≥ 0.8× the speed of psql \copy, a 1 % re-sync ≥ 5× faster than it. */
function postgresTable(byId: Map<string, BenchRun>): PostgresRow[] {
  if (!byId.has('pg-first')) return []
  const first = measured(byId.get('pg-first'))
  const copy = measured(byId.get('pg-copy'))
  const resync = measured(byId.get('pg-resync-changed'))
  const firstTotal = first.summary?.sample.phases?.total
  const resyncTotal = resync.summary?.sample.phases?.total
  const row = (id: string, m: Measured & { summary?: BenchSummary }, ratioOf: string, ratio: number | null, target: number | null): PostgresRow => {
    const totalMs = m.summary?.sample.phases?.total
    const counts = m.summary?.sample.counts
    return strip({
      id,
      run: byId.get(id)?.label ?? id,
      ...m,
      ...(totalMs === undefined ? {} : { totalMs }),
      ratioOf,
      ratio,
      target,
      met: target === null || ratio === null ? null : ratio >= target,
      ...(counts === undefined ? {} : { counts }),
    })
  }
  const speedOfCopy = first.ms === undefined || copy.ms === undefined ? null : copy.ms / first.ms
  const resyncRatio = firstTotal === undefined || resyncTotal === undefined || resyncTotal === 0 ? null : firstTotal / resyncTotal
  return [
    row('pg-first', first, "of psql \\copy's speed (wall)", speedOfCopy, 0.8),
    row('pg-copy', copy, '', null, null),
    row('pg-resync-changed', resync, 'first sync ÷ this (phases.total)', resyncRatio, 5),
  ]
}
