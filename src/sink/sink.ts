import type { InferredColumn, ResolvedSource } from '../config/resolve-config.js'
import type { ResolvedSink } from '../config/resolve-sink.js'
import type { RowValues } from '../engine/record-mapper.js'
import type { FieldType } from '../schema/field-type.js'
import type { HashSet64 } from '../util/hash-set64.js'
import type { LiveRowsTask } from '../workers/transform-task.js'

/** What the last complete sync of a source recorded. */
export interface SourceState {
  contentHash: string | null
  fingerprint: string | null
  syncedAt: string | null
}

/**
 * How far an unfinished sync of a source got: everything before `byteOffset` of the cache file whose
 * content hash this is was committed, with the very transaction that saved this checkpoint.
 */
export interface Checkpoint {
  contentHash: string
  fingerprint: string
  byteOffset: number
  /** Records (non-blank lines) before `byteOffset`. */
  records: number
  /** Lines before `byteOffset`, so that rejects after a resume keep their line numbers. */
  lines: number
}

export interface RejectRecord {
  line: number
  reason: string
  raw: string
}

/** One row of `sync_runs`, as the engine reports it at the end. */
export interface RunRecord {
  outcome: 'ok' | 'partial' | 'failed'
  mode: string
  reason: string
  chunk: number
  workers: number
  records: { read: number; inserted: number; updated: number; unchanged: number; deleted: number; rejected: number }
  phases: { dbInit: number; read: number; transform: number; write: number; finalize: number; total: number }
  recordsPerSec: number
  peakRssMb: number
  error: string | undefined
  report: unknown
}

/**
 * A run record's values in the order of the `sync_runs` columns from `outcome` to `report` (the order
 * both sinks' `finishRun` statements name them in).
 */
export function runRecordValues(run: RunRecord): unknown[] {
  return [
    run.outcome,
    run.mode,
    run.reason,
    run.chunk,
    run.workers,
    run.records.read,
    run.records.inserted,
    run.records.updated,
    run.records.unchanged,
    run.records.deleted,
    run.records.rejected,
    run.phases.dbInit,
    run.phases.read,
    run.phases.transform,
    run.phases.write,
    run.phases.finalize,
    run.phases.total,
    run.recordsPerSec,
    run.peakRssMb,
    run.error ?? null,
    JSON.stringify(run.report),
  ]
}

export interface WriteCounts {
  inserted: number
  updated: number
}

/** Counts of a write, and the milliseconds the sink spent on it (busy time of the write phase). */
export interface WriteResult extends WriteCounts {
  /**
   * The old hashes (8 bytes each, packed) of the live rows this write left alone because they already
   * held the mapped values under other bytes: no record matched their hash, yet they did not vanish.
   * Empty unless `trackDisplaced` was called.
   */
  kept: Buffer
  ms: number
}

/**
 * Rows for one transaction: mapped rows in memory, or a worker's staging file (parallel mode). `columns`
 * names the table column of each value where the source's columns are inferred (they differ by chunk);
 * otherwise the values are the source's columns in order.
 */
export type ChunkRows =
  | { kind: 'rows'; rows: readonly RowValues[]; hashes: readonly Buffer[]; columns?: ChunkColumns | undefined }
  | { kind: 'staging'; path: string; columns?: ChunkColumns | undefined }

/** The table columns a chunk's values fill, in the order of the values. */
export interface ChunkColumns {
  readonly names: readonly string[]
  /**
   * Per value: undefined, or the type it was stored as and the wider type of its column now, which the
   * sink converts it to (`widenStored`): another range of the file widened the column first.
   */
  readonly convert: readonly ({ from: FieldType; to: FieldType } | undefined)[]
}

/** Inferred columns to add and to widen, before a chunk's rows, in its transaction. */
export interface SchemaChange {
  readonly add: readonly InferredColumn[]
  /** The column's type and its stored values become `to`'s (see `widenStored`). */
  readonly widen: readonly { name: string; from: FieldType; to: FieldType }[]
}

/** What a chunk's transaction records beside its rows. */
export interface ChunkExtras {
  runId: number | undefined
  /** Forget the source's earlier rejects first: they describe a file being synced afresh. */
  clearRejects: boolean
  rejects: readonly RejectRecord[]
  /** The position after these rows, for a resume; none when the file cannot be resumed. */
  checkpoint: Checkpoint | undefined
  /** Columns to add or widen first, recorded in `sync_schema`. */
  schema?: SchemaChange | undefined
}

/** A source's last transaction: deletes, the rejects left, the end of its checkpoint and its new state. */
export interface SourceEnd {
  runId: number
  clearRejects: boolean
  rejects: readonly RejectRecord[]
  /**
   * Live rows no record matched, to remove hard or soft; only after a complete read. `byRowid`: remove
   * each by its rowid alone, whatever its `_hash` now (the rows came from saved live rows, which may
   * name a row by newer bytes than its `_hash`); otherwise a row whose hash differs is not touched.
   * The rowid is the sink's own: SQLite's rowid, or the `ctid` PostgreSQL read the row at (`tidOf`).
   */
  remove: { rows: readonly { hash: Buffer; rowid: bigint }[]; deletedAt: string; byRowid: boolean } | undefined
  /** The whole file was read: its checkpoint goes and the source's state is recorded. */
  synced: { contentHash: string; fingerprint: string } | undefined
  /**
   * The table's live rows after this sync, for the next sync to start from instead of reading the
   * table; only with `synced`, and kept only where the sink does (`keepsLiveRows`).
   */
  live: HashSet64 | undefined
}

/** Whether this run may sync a source: another host may hold it (PostgreSQL advisory locks). */
export type SourceLock = { acquired: true } | { acquired: false; holder: string }

export type LockPolicy = 'wait' | 'skip'

/**
 * One source's table in a sink. Every write is one transaction that the sink opens and commits itself,
 * so the engine never holds a transaction across an `await`.
 */
export interface SourceSink {
  /** Positions of the key columns among the mapped columns. */
  readonly keyIndexes: readonly number[]
  /**
   * From now on, remember the hash each rewritten row had, so that a key met twice in one file can be
   * told (see `displacedHashes`), and report the rows left alone (`WriteResult.kept`). Worth its
   * lookups only when the table had live rows: without them, no row is kept or displaced.
   */
  trackDisplaced(): void
  /** The hashes that rows had before this run rewrote them, since `trackDisplaced`. */
  displacedHashes(): readonly Buffer[]
  /**
   * True when the sink keeps a table's live rows between syncs (`SourceEnd.live`) and a row's rowid is
   * its key's value, so that the engine can tell the rows it wrote without asking the database.
   */
  readonly keepsLiveRows: boolean
  /** True when the table holds a row that is not soft-deleted. */
  hasLiveRows(): Promise<boolean>
  /**
   * Worker tasks that read the live rows in `parts` pieces, each on a connection of its own (parallel
   * mode); undefined when the workers cannot open the database, and `loadLiveHashes` is the way.
   */
  liveRowTasks(parts: number): LiveRowsTask[] | undefined
  /** The live rows' hashes (with a row id where the sink has one) as a set, in shared memory if asked. */
  loadLiveHashes(options?: { shared?: boolean }): Promise<HashSet64>
  /**
   * Inserts new keys, updates rows where a stored value differs from the mapped one (or that were
   * soft-deleted), leaves the others alone, and records `extras`, in one transaction; counts come from
   * the database.
   */
  writeChunk(rows: ChunkRows, extras: ChunkExtras): Promise<WriteResult>
  /**
   * The old hashes, packed, of the live rows that already hold these rows' values under other bytes:
   * what `writeChunk` would leave alone and report as `kept`. Writes nothing (a resume checks the part
   * of the file an earlier run committed with it).
   */
  keptHashes(rows: ChunkRows): Promise<Buffer>
  /** The source's last transaction; returns the rows removed. */
  finish(end: SourceEnd): Promise<{ deleted: number; ms: number }>
  /**
   * A JSON document is valid only whole: its chunks become savepoints of one transaction, opened here
   * and ended by `endWholeFile` (commit, or roll back when the file was cut short).
   */
  beginWholeFile(): Promise<void>
  endWholeFile(commit: boolean): Promise<void>
}

/**
 * Where synced rows go: a SQLite file (the default) or a PostgreSQL schema. The engine, the modes and
 * the reports talk to this and to `SourceSink`, never to a driver.
 */
export interface Sink {
  /** The target as it may be printed: a path, or a URL without its password. */
  readonly target: string
  /** A directory where workers may put staging files. */
  readonly stagingDir: string
  /** What the workers stage rows as: SQLite files to ATTACH, or COPY text to stream. */
  readonly stagingFormat: 'sqlite' | 'copy'
  /**
   * Creates or migrates cachesync's own tables and checks, before a run begins, that the sink can hold
   * `sources` (PostgreSQL: every privilege the sync will need, named at once). Their tables are not
   * created yet: an inferred source learns its columns first.
   */
  prepare(sources: readonly ResolvedSource[]): Promise<void>
  /**
   * Creates or migrates every source's table, and records each source's columns in `sync_schema`
   * (as added by `runId`, where given).
   */
  ensureSchema(sources: readonly ResolvedSource[], runId?: number): Promise<void>
  /** The inferred columns recorded for a source's table, in order; undefined when none are. */
  storedSchema(source: string): Promise<InferredColumn[] | undefined>
  /** Adapts to the mode: caches small where memory is the point; `writes` when there are records to load. */
  tune(options: { lowMemory: boolean; writes: boolean }): void
  /** Marks runs left `running` by a process that died; returns how many. */
  markInterruptedRuns(): Promise<number>
  startRun(startedAt: Date): Promise<number>
  finishRun(runId: number, run: RunRecord): Promise<void>
  /** Best effort: the run failed (maybe because the database did), or was stopped on request. */
  failRun(runId: number, message: string, outcome?: 'failed' | 'interrupted'): Promise<void>
  /** Takes the right to sync `source` in this run, waiting for or skipping a holder as `policy` says. */
  lockSource(source: string, policy: LockPolicy): Promise<SourceLock>
  sourceState(source: string): Promise<SourceState | undefined>
  checkpoint(source: string): Promise<Checkpoint | undefined>
  createSourceSink(source: ResolvedSource, options: { rewrite: boolean }): SourceSink
  /** ANALYZE the tables, or VACUUM them first. */
  maintain(action: 'analyze' | 'vacuum'): Promise<void>
  /**
   * True for an error that is the database's rather than a source's (a full disk, a read-only file, a
   * lost connection): the other sources cannot fare better, so the run stops.
   */
  isDatabaseFailure(err: unknown): boolean
  /** The driver's error as cachesync's (a full disk reads as `ERR_DISK_FULL`), naming the target. */
  translateError(err: unknown): Error
  close(): Promise<void>
}

/** Raw reject text kept at most, in characters. */
export const MAX_RAW_REJECT = 10_000

export function clipRaw(raw: string): string {
  return raw.length > MAX_RAW_REJECT ? `${raw.slice(0, MAX_RAW_REJECT)}…` : raw
}

/**
 * A throw-away copy of a sink's database, for a sync to be timed against the real tables without
 * touching them (`cachesync monitor`): `sink` is where that sync writes; `remove` throws the copy away.
 */
export interface ScratchCopy {
  readonly sink: ResolvedSink
  remove(): Promise<void>
}

/**
 * Whether a staging format can take new columns and convert what it holds (`RowStager.reshape`): where
 * it cannot, a worker holds the rows of inferred columns until its range ends.
 */
export function stagingReshapes(format: Sink['stagingFormat']): boolean {
  return format === 'sqlite'
}
