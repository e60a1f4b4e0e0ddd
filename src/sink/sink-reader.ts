import type { InferredColumn } from '../config/resolve-config.js'
import type { LockHolder } from '../util/pid-lock.js'
import type { RecordedRun } from './recorded-run.js'

/** Rows of a synced table: those in it, and those soft-deleted. */
export interface TableRows {
  readonly live: number
  readonly deleted: number
}

/** How big a database is, and how SQLite lays it out. */
export interface DatabaseDescription {
  /** SQLite: the file and its WAL. PostgreSQL: the schema's tables with their indexes and TOAST. */
  readonly bytes: number
  /** SQLite's pages; undefined on PostgreSQL, which has no such figure for a schema. */
  readonly pages: { readonly count: number; readonly size: number; readonly free: number } | undefined
}

/** A sync that holds the database (`alive`), or held it and died without letting go (`alive: false`). */
export type SyncHolder = LockHolder & { readonly alive: boolean }

/**
 * What `status`, `history` and `monitor` read of a sink. Opening one creates nothing: a database that
 * is not there (no SQLite file, no cachesync tables in the PostgreSQL schema) reads as empty, with
 * `missing` saying so. Methods throw ERR_IO naming the target when the database cannot be read.
 */
export interface SinkReader {
  /** The database as it may be printed: a path, or a URL with its password masked. */
  readonly target: string
  /** Why there is nothing to read, as `no database at … yet`; undefined when the database is there. */
  readonly missing: string | undefined
  /** The newest `limit` runs (all by default), newest first; `finishedOnly` leaves out those running. */
  readRuns(options?: { limit?: number; finishedOnly?: boolean }): Promise<RecordedRun[]>
  /** The newest run that ended with outcome `ok`. */
  lastSuccessfulRun(): Promise<RecordedRun | undefined>
  /** When each source's cache file was last synced completely, by source name (ISO 8601). */
  syncedAt(): Promise<ReadonlyMap<string, string>>
  /** Undefined when the table does not exist. */
  tableRows(table: string): Promise<TableRows | undefined>
  describe(): Promise<DatabaseDescription>
  /**
   * The syncs holding the database, newest first: SQLite's lock file, or PostgreSQL's runs still
   * `running` (alive while the session that took their source locks is).
   */
  runningSyncs(): Promise<SyncHolder[]>
  /** The inferred columns recorded for a source's table, in order; undefined when none are. */
  storedSchema(source: string): Promise<InferredColumn[] | undefined>
  close(): Promise<void>
}
