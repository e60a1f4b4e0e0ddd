import type { ResolvedSource } from '../config/resolve-config.js'
import type { ArchiveStore, ArchiveTarget, RowFilter, TableShape } from '../sink/archive-store.js'
import { ConfigError } from '../util/errors.js'
import type { ResolvedArchiveOptions } from './archive-options.js'

/** The history tables, in the order they are archived: a run's rejects before the run. */
export const HISTORY_TABLES = ['sync_rejects', 'sync_runs', 'sync_archive_runs'] as const

/**
 * The tables and filters of an archive run, checked against the configuration and the database before
 * anything is written: an unknown source, a source that does not soft-delete, a column its table lacks.
 * A source whose table does not exist yet has nothing to archive and is left out.
 */
export async function planArchive(store: ArchiveStore, sources: readonly ResolvedSource[], options: ResolvedArchiveOptions): Promise<ArchiveTarget[]> {
  const issues: string[] = []
  const byName = new Map(sources.map((s) => [s.name, s]))
  for (const name of options.sources ?? []) {
    if (!byName.has(name)) issues.push(`--source ${name}: no such source (the sources are ${[...byName.keys()].join(', ') || 'none'})`)
  }
  if (issues.length > 0) throw new ConfigError('Nothing archived:', issues)
  const chosen = options.sources === undefined ? sources : sources.filter((s) => options.sources?.includes(s.name))
  const cutoff = (ms: number): Date => new Date(options.now.getTime() - ms)
  const targets: ArchiveTarget[] = []
  const shapes = new Map<string, TableShape | undefined>()
  for (const source of chosen) shapes.set(source.table, await store.shape(source.table))

  if (options.deletedBefore !== undefined) {
    const soft = chosen.filter((s) => s.delete === 'soft')
    if (options.sources !== undefined) {
      for (const s of chosen.filter((c) => c.delete !== 'soft'))
        issues.push(`--deleted-before: source ${s.name} deletes hard (delete: hard), it has no soft-deleted rows`)
    } else if (soft.length === 0) issues.push('--deleted-before: no source deletes soft (delete: soft), so none has soft-deleted rows')
    for (const source of soft) add(source, { kind: 'deleted-before', cutoff: cutoff(options.deletedBefore) })
  }
  for (const { column, ms } of options.olderThan) {
    const having = chosen.filter((s) => hasColumn(s, shapes.get(s.table), column))
    const lacking = chosen.filter((s) => !having.includes(s))
    if (options.sources !== undefined)
      for (const s of lacking) issues.push(`--older-than ${column}: source ${s.name} (table ${s.table}) has no column ${column}`)
    else if (having.length === 0) issues.push(`--older-than ${column}: no source has a column ${column}`)
    for (const source of having) add(source, { kind: 'older-than', column, cutoff: cutoff(ms) })
  }
  if (issues.length > 0) throw new ConfigError('Nothing archived:', issues)

  if (options.history !== undefined) {
    const at = cutoff(options.history)
    for (const table of HISTORY_TABLES) {
      const shape = await store.shape(table)
      if (shape === undefined) continue
      const filter: RowFilter =
        table === 'sync_rejects' ? { kind: 'rejects-of-runs-before', cutoff: at } : { kind: 'older-than', column: 'ended_at', cutoff: at }
      targets.push({ table, source: undefined, shape, filter })
    }
  }
  return targets

  function add(source: ResolvedSource, filter: RowFilter): void {
    const shape = shapes.get(source.table)
    if (shape === undefined || shape.key.length === 0) return
    targets.push({ table: source.table, source: source.name, shape, filter })
  }
}

function hasColumn(source: ResolvedSource, shape: TableShape | undefined, column: string): boolean {
  if (shape !== undefined) return shape.columns.some((c) => c.name === column)
  return source.columns.some((c) => c.name === column)
}

/** A filter as the report and the manifest name it: `_deleted_at < 2026-11-05T…`. */
export function describeFilter(filter: RowFilter): string {
  const at = filter.cutoff.toISOString()
  if (filter.kind === 'deleted-before') return `_deleted_at < ${at}`
  if (filter.kind === 'rejects-of-runs-before') return `run ended < ${at}`
  return `${filter.column} < ${at}`
}
