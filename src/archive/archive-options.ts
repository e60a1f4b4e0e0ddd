import type { ArchiveVacuum } from '../sink/archive-store.js'
import { ConfigError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { type BatchSizeOptions, DEFAULT_BATCH_SIZE, type ResolvedBatchSizeOptions } from './batch-sizer.js'

/** What `runArchive` takes out, and how. Every field is optional; at least one of the three filters is needed. */
export interface ArchiveOptions {
  /** Soft-deleted rows whose `_deleted_at` is older than this many milliseconds. */
  deletedBefore?: number
  /** Rows whose column is older than this many milliseconds, by column (`last_seen=365d`). */
  olderThan?: readonly { readonly column: string; readonly ms: number }[]
  /** The sources whose tables are archived. @default every source (soft-deleting ones for `deletedBefore`) */
  sources?: readonly string[]
  /** cachesync's own history (`sync_runs`, `sync_rejects`, `sync_archive_runs`) older than this. */
  history?: number
  /** Where the files go. @default `archive/` beside the SQLite file, or beside the cache directory */
  toDir?: string
  /** Count the rows and bytes that would go; write and delete nothing. @default false */
  dryRun?: boolean
  /** After the run: ANALYZE the tables archived from, VACUUM the database first (`full`), or neither. @default 'analyze' */
  vacuum?: ArchiveVacuum
  batch?: BatchSizeOptions
  /** gzip level of the files. @default 6 */
  level?: number
  /** Worker threads that compress, write and verify; one keeps up with the queries on two cores. @default 1 */
  threads?: number
  /** The time cutoffs are counted from. @default now */
  now?: Date
  logger?: Logger
  /** Called after each batch is committed (or, in a dry run, counted). */
  onBatch?: (event: { table: string; rows: number; totalRows: number }) => void
}

export interface ResolvedArchiveOptions {
  readonly deletedBefore: number | undefined
  readonly olderThan: readonly { readonly column: string; readonly ms: number }[]
  readonly sources: readonly string[] | undefined
  readonly history: number | undefined
  readonly toDir: string | undefined
  readonly dryRun: boolean
  readonly vacuum: ArchiveVacuum
  readonly batch: ResolvedBatchSizeOptions
  readonly level: number
  readonly threads: number
  readonly now: Date
}

export const DEFAULT_ARCHIVE_OPTIONS = Object.freeze({ dryRun: false, vacuum: 'analyze', level: 6, threads: 1 } as const)

/** Checks every option, naming each one that is wrong; the archive deletes nothing before this passes. */
export function resolveArchiveOptions(options: ArchiveOptions): ResolvedArchiveOptions {
  const issues: string[] = []
  const duration = (name: string, ms: number | undefined): void => {
    if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) issues.push(`${name} must be a positive duration such as 30d, got ${ms} ms`)
  }
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) issues.push(`${name} must be a positive integer, got ${value}`)
  }
  duration('deletedBefore', options.deletedBefore)
  duration('history', options.history)
  for (const o of options.olderThan ?? []) {
    duration(`olderThan ${o.column}`, o.ms)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.column)) issues.push(`olderThan: ${JSON.stringify(o.column)} is not a column name`)
  }
  const batch = { ...DEFAULT_BATCH_SIZE, ...options.batch }
  for (const [name, value] of Object.entries(batch)) positive(`batch.${name}`, value)
  if (batch.min > batch.max) issues.push(`batch.min (${batch.min}) must not exceed batch.max (${batch.max})`)
  const level = options.level ?? DEFAULT_ARCHIVE_OPTIONS.level
  if (!(Number.isInteger(level) && level >= 1 && level <= 9)) issues.push(`level must be an integer from 1 to 9, got ${level}`)
  positive('threads', options.threads)
  if (options.deletedBefore === undefined && (options.olderThan ?? []).length === 0 && options.history === undefined) {
    issues.push('say what to archive: deletedBefore (--deleted-before 30d), olderThan (--older-than COLUMN=365d) or history (--history 90d)')
  }
  if (issues.length > 0) throw new ConfigError('Invalid archive options:', issues)
  return Object.freeze({
    deletedBefore: options.deletedBefore,
    olderThan: Object.freeze([...(options.olderThan ?? [])]),
    sources: options.sources === undefined || options.sources.length === 0 ? undefined : Object.freeze([...options.sources]),
    history: options.history,
    toDir: options.toDir,
    dryRun: options.dryRun ?? DEFAULT_ARCHIVE_OPTIONS.dryRun,
    vacuum: options.vacuum ?? DEFAULT_ARCHIVE_OPTIONS.vacuum,
    batch: Object.freeze(batch),
    level,
    threads: options.threads ?? DEFAULT_ARCHIVE_OPTIONS.threads,
    now: options.now ?? new Date(),
  })
}
