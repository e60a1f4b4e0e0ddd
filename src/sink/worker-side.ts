/**
 * The parts of each sink that run on worker threads, behind one door so that the workers know no
 * database: staging rows for the coordinator to merge, and reading a table's live rows.
 */

import type { RowValues } from '../engine/record-mapper.js'
import type { ColumnWidening } from '../schema/field-type.js'
import type { HashSet64 } from '../util/hash-set64.js'
import type { LiveRowsTask } from '../workers/transform-task.js'
import { CopyStagingFile } from './postgres/copy-staging-file.js'
import type { Sink } from './sink.js'
import { readLiveRowSet } from './sqlite/live-row-reader.js'
import { translateSqliteError } from './sqlite/sqlite-errors.js'
import { StagingFile } from './sqlite/staging-file.js'

/** Rows a worker hands to the coordinator through a file, in the format its sink merges. */
export interface RowStager {
  add(values: RowValues, hash: Buffer): void
  /**
   * Where the format allows it (SQLite), gives the rows staged so far `columnCount` columns and converts
   * the values of the columns in `widen` to their wider type (see `widenStored`): rows of inferred
   * columns can then be staged as they come, not held until their types are final.
   */
  readonly reshape: ((columnCount: number, widen: readonly ColumnWidening[]) => void) | undefined
  /** Closes the file for the coordinator to merge. */
  finish(): void
  /** Removes the file after a failure. */
  discard(): void
}

export function createStager(format: Sink['stagingFormat'], path: string, columnCount: number, keyIndexes: readonly number[]): RowStager {
  return format === 'copy' ? new CopyStagingFile(path, keyIndexes) : new StagingFile(path, columnCount, keyIndexes)
}

/** A full disk or a read-only directory under a staging file is the database's failure: say so. */
export function translateStagingError(format: Sink['stagingFormat'], err: unknown, path: string): Error {
  if (format === 'sqlite') return translateSqliteError(err, path)
  return err instanceof Error ? err : new Error(String(err))
}

/** One rowid range of a table's live rows, read on a connection of the worker's own. */
export function readLiveRowsPart(task: LiveRowsTask): HashSet64 {
  return readLiveRowSet(task.dbPath, task.table, task.range)
}
