import type { CacheFile } from '../cache/cache-files.js'
import type { LineIndex } from '../cache/line-index-reader.js'
import type { ResolvedSource } from '../config/resolve-config.js'
import { type FieldType, widenStored } from '../schema/field-type.js'
import type { OpenColumn } from '../schema/open-spec.js'
import type { ChunkColumns, ChunkRows, SchemaChange, Sink, SourceSink, WriteCounts } from '../sink/sink.js'
import type { LiveRowSet } from '../util/hash-set-union.js'
import type { Logger } from '../util/logger.js'
import type { WorkerPool } from '../workers/pool.js'
import type { ChunkCommitter, FilePosition } from './chunk-committer.js'
import type { ChunkSizer } from './chunk-sizer.js'
import type { MemoryGuard } from './memory-guard.js'
import type { MappingSpec, RowValues } from './record-mapper.js'
import type { ProcessorCounts, Reject } from './record-processor.js'
import type { SchemaTracker } from './schema-tracker.js'

/** One source to sync in this run, with what the coordinator found out about it beforehand. */
export interface SourceJob {
  readonly source: ResolvedSource
  readonly file: CacheFile
  /** What a checkpoint into `file` is valid for. */
  readonly contentHash: string
  /** What the source's state records once `file` is read through: `contentHash`, or the chain identity of its last delta. */
  readonly syncedHash: string
  /** The file is deltas only: upserted, nothing deleted, the saved live rows dropped (the next sync reads the table). */
  readonly upsertOnly: boolean
  /** The cache file the report names: the source's full file, also where `file` is its deltas put end to end. */
  readonly cacheFile: string
  readonly mapping: MappingSpec & { fingerprint: string }
  readonly sourceSink: SourceSink
  /** False when the table had no live row: nothing can then be unchanged or deleted. */
  readonly hadLiveRows: boolean
  /** Parse and write every record, known or not (the mapping changed): rows whose values differ change. */
  readonly rewrite: boolean
  readonly maxRejects: number | undefined
  readonly commits: ChunkCommitter
  /** Where this run starts in the file: after the part an earlier, killed run committed (or at 0). */
  readonly resumeFrom: FilePosition
  /** True when the file's position can be checkpointed: plain NDJSON. */
  readonly resumable: boolean
  /**
   * The cache file's line index, when it has one that matches it and a re-sync can use it (live rows to
   * look lines up in, no rewrite): see `openLineIndex`.
   */
  readonly lineIndex?: LineIndex | undefined
  /** The table's inferred columns as they stand, where the source has them (`source.open`). */
  readonly schema: SchemaTracker | undefined
}

/**
 * Which rows vanished upstream: the live rows before this run (`known`) whose hash no record of the file
 * matched. None when the table had no live row.
 */
export type Deletion = { kind: 'none' } | { kind: 'unseen'; known: LiveRowSet }

/** What a mode did with one source: the coordinator turns it into counts, deletes and a report. */
export interface SourceRun {
  counts: ProcessorCounts
  /** Rows inserted and updated, as the database counted them. */
  written: WriteCounts
  rejects: Reject[]
  /** How many of `rejects` were committed with their chunk. */
  rejectsCommitted: number
  /** True when every record of the file was read and written: only then may rows be deleted. */
  complete: boolean
  deletion: Deletion
  /**
   * The rows this run wrote, packed (hash, rowid) in commit order, to tell the sink its live rows after
   * the sync (`liveRowsAfter`); undefined when not gathered (see `SourceSink.keepsLiveRows`).
   */
  writtenRows: Buffer[] | undefined
  /** Inferred columns this run added or widened, in commit order. */
  schemaChanges: SchemaChange[]
  /** Values dropped under `schema: discard`, by field. */
  dropped: Map<string, number>
  /**
   * The old hashes (8 bytes each, packed) of live rows the writes left alone, their values equal to a
   * record's whose bytes differ: marked seen in `deletion.known` before deletions are decided.
   */
  kept: Buffer[]
  error: Error | undefined
}

/** Busy milliseconds per phase, summed over threads. */
export interface BusyTimes {
  read: number
  transform: number
  write: number
}

/**
 * How far the sync of a source's file got, for a progress bar (`SyncOptions.onProgress`).
 *
 * @example
 * await runSync(config, { onProgress: (e) => console.log(e.source, Math.round((100 * e.bytesDone) / e.bytesTotal), '%') })
 */
export interface ProgressEvent {
  source: string
  bytesDone: number
  bytesTotal: number
  records: number
}

export interface ModeContext {
  readonly sink: Sink
  /** Records a chunk: fixed, or adapted as the run goes (`--chunk auto`), halved under memory pressure. */
  readonly chunks: ChunkSizer
  readonly memory: MemoryGuard
  readonly logger: Logger
  readonly busy: BusyTimes
  readonly pool: WorkerPool | undefined
  /** A directory for the workers' staging files. */
  readonly stagingDir: string
  /** The staging files the sink merges. */
  readonly stagingFormat: 'sqlite' | 'copy'
  readonly onProgress: ((event: ProgressEvent) => void) | undefined
  /** A requested stop: the modes end between chunks (tasks in parallel mode) and between sources. */
  readonly signal: AbortSignal | undefined
}

export function addWritten(run: SourceRun, counts: WriteCounts): void {
  run.written.inserted += counts.inserted
  run.written.updated += counts.updated
}

export function emptyRun(): SourceRun {
  return {
    counts: { read: 0, known: 0, mapped: 0, rejected: 0 },
    written: { inserted: 0, updated: 0 },
    rejects: [],
    rejectsCommitted: 0,
    complete: false,
    deletion: { kind: 'none' },
    writtenRows: undefined,
    schemaChanges: [],
    dropped: new Map(),
    kept: [],
    error: undefined,
  }
}

/**
 * Commits a chunk of the source's work with the rejects met since the last one and its checkpoint, in
 * one transaction; counts the rows written and the time the sink spent as write time.
 */
export async function commitChunk(
  job: SourceJob,
  run: SourceRun,
  rows: ChunkRows,
  at: FilePosition,
  busy: BusyTimes,
  open?: readonly OpenColumn[],
): Promise<void> {
  const plan = job.schema !== undefined && open !== undefined ? job.schema.plan(open) : undefined
  const extras = { ...job.commits.chunk(run.rejects.slice(run.rejectsCommitted), at), schema: plan?.change }
  const rejectsAfter = run.rejects.length
  const result = await job.sourceSink.writeChunk(plan === undefined ? rows : withColumns(rows, plan.columns), extras)
  run.rejectsCommitted = rejectsAfter
  if (plan?.change !== undefined) {
    job.schema?.applied(plan.change)
    run.schemaChanges.push(plan.change)
  }
  busy.write += result.ms
  addWritten(run, result)
  if (result.kept.length > 0) run.kept.push(result.kept)
}

/**
 * Rows of a part an earlier run committed, as the table takes them: the columns they were written
 * with are all in the table already (the commit added them), so nothing changes for them.
 */
export function committedRows(job: SourceJob, rows: ChunkRows, open: readonly OpenColumn[] | undefined): ChunkRows {
  if (job.schema === undefined || open === undefined) return rows
  return withColumns(rows, job.schema.plan(open).columns)
}

/**
 * The chunk with the columns its values fill. Rows in memory are converted here, where the table's
 * column is wider than the chunk's (see `ChunkColumns.convert`); a staging file is converted by the sink.
 */
function withColumns(rows: ChunkRows, columns: ChunkColumns): ChunkRows {
  if (rows.kind === 'staging') return { ...rows, columns }
  const converts = columns.convert.flatMap((convert, i) => (convert === undefined ? [] : [{ i, ...convert }]))
  for (const row of rows.rows as RowValues[]) {
    for (const { i, from, to } of converts) row[i] = widenStored(row[i] ?? null, from as FieldType, to as FieldType)
  }
  return { ...rows, columns: { names: columns.names, convert: columns.names.map(() => undefined) } }
}

/** Adds dropped-value counts (`schema: discard`) into the run's. */
export function addDropped(run: SourceRun, dropped: ReadonlyMap<string, number> | Iterable<[string, number]>): void {
  for (const [field, count] of dropped) run.dropped.set(field, (run.dropped.get(field) ?? 0) + count)
}

/** Times fn into one of the busy counters. */
export function timed<R>(busy: BusyTimes, phase: keyof BusyTimes, fn: () => R): R {
  const started = performance.now()
  try {
    return fn()
  } finally {
    busy[phase] += performance.now() - started
  }
}
