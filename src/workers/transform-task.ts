import type { ByteRange, CacheFormat } from '../cache/cache-files.js'
import type { IndexedLines } from '../cache/line-index-reader.js'
import type { MappingSpec } from '../engine/record-mapper.js'
import type { ProcessorCounts, Reject } from '../engine/record-processor.js'
import type { OpenColumn } from '../schema/open-spec.js'
import type { RowidRange } from '../sink/sqlite/sqlite-schema.js'
import type { SerializedError } from '../util/errors.js'
import type { SharedHashSet64 } from '../util/hash-set64.js'

/** One unit of parallel work: a line-aligned range of a cache file, parsed into a staging file. */
export interface TransformTask {
  readonly source: string
  readonly mapping: MappingSpec
  /** Positions of the key columns: the staging file keeps the last row of a key. */
  readonly keyIndexes: readonly number[]
  readonly file: string
  readonly format: CacheFormat
  readonly gzip: boolean
  readonly range: ByteRange
  readonly stagingPath: string
  /** What the sink merges: a SQLite file (ATTACH) or COPY text (PostgreSQL). */
  readonly stagingFormat: 'sqlite' | 'copy'
  /**
   * The live rows' hashes before this run, a set in shared memory: the worker marks the records it meets
   * there as seen, which is how the coordinator learns which rows vanished. In parts: see `HashSetUnion`.
   */
  readonly known: readonly SharedHashSet64[] | undefined
  /** Parse and write known records too (the mapping changed). */
  readonly rewrite: boolean
  /**
   * The range's lines as the cache file's line index has them (their hashes and ends), when it has one
   * that matches the file: known lines are then looked up without being read.
   */
  readonly lines?: IndexedLines | undefined
  /** Return the staged rows as (hash, rowid) pairs: the key is the rowid (`SourceSink.keepsLiveRows`). */
  readonly packWritten: boolean
}

/** Loads the live rows of a table into a set in shared memory (see `readLiveRowSet`). */
export interface LiveRowsTask {
  readonly dbPath: string
  readonly table: string
  readonly range: RowidRange
}

export type LiveRowsResult = { ok: true; known: SharedHashSet64; ms: number } | { ok: false; error: SerializedError }

export interface TaskTimings {
  read: number
  transform: number
  write: number
}

export type TransformResult =
  | {
      ok: true
      /** False when no record made a row: there is no staging file to merge. */
      staged: boolean
      counts: ProcessorCounts
      /** Lines in the range, so the coordinator can number the lines of later ranges. */
      lines: number
      rejects: Reject[]
      timings: TaskTimings
      /** The staged rows, packed (hash, rowid), when asked (`packWritten`) and every key was an integer. */
      written: Buffer | undefined
      /** Where columns are inferred: the inferred columns of the staged rows, as the range left them. */
      open: OpenColumn[] | undefined
      /** Values dropped under `schema: discard`, by field. */
      dropped: [string, number][]
    }
  | { ok: false; error: SerializedError }
