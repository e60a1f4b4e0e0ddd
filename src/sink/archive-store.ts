/** A column of a table as an archive file records it: its name and its type in the database. */
export interface ArchiveColumn {
  readonly name: string
  readonly type: string
}

/** A table's columns in order and its primary key, as the database has them. */
export interface TableShape {
  readonly columns: readonly ArchiveColumn[]
  readonly key: readonly string[]
}

/**
 * Which rows of a table go: soft-deleted before a time, or whose column is older than a time. The
 * history tables have filters of their own: `sync_rejects` rows go with the runs they belong to.
 */
export type RowFilter =
  | { readonly kind: 'deleted-before'; readonly cutoff: Date }
  | { readonly kind: 'older-than'; readonly column: string; readonly cutoff: Date }
  | { readonly kind: 'rejects-of-runs-before'; readonly cutoff: Date }

/** One table an archive run works through. */
export interface ArchiveTarget {
  readonly table: string
  /** The configured source, or undefined for cachesync's own history tables. */
  readonly source: string | undefined
  readonly shape: TableShape
  readonly filter: RowFilter
}

/** A row of `sync_archives`: one archive file, pending until the rows it holds left their table. */
export interface ArchiveRecord {
  readonly file: string
  readonly dir: string
  readonly table: string
  readonly rows: number
  readonly bytes: number
  readonly sha256: string
  readonly firstKey: string
  readonly lastKey: string
  readonly runId: number
}

/**
 * A batch of rows as the archive files hold them: JSON lines, each row the array of its values in the
 * order of `archiveColumns` (key columns first); bytes as hex, times as ISO 8601 text, numbers as exact
 * as JSON allows. The database writes them, the whole batch as one value (`json_array` and
 * `group_concat` in SQLite, `json_build_array` and `string_agg` in PostgreSQL): several times faster
 * than fetching each value into JavaScript and writing it there, and no object a row on the heap.
 */
export interface SelectedRows {
  readonly rows: number
  /** The JSON lines, each ending in a newline, as UTF-8. */
  readonly lines: Uint8Array
  /** Each row's key as the JSON array of its values, then a newline: what the verify checks the file's against. */
  readonly keys: string
  readonly first: readonly unknown[]
  readonly last: readonly unknown[]
}

/** The columns of a table in the order its archive lines hold them: the key's first, then the others. */
export function archiveColumns(shape: TableShape): ArchiveColumn[] {
  const key = shape.key.map((k) => shape.columns.find((c) => c.name === k)).filter((c) => c !== undefined)
  return [...key, ...shape.columns.filter((c) => !shape.key.includes(c.name))]
}

/** The first and last keys of `SelectedRows.keys`. */
export function keyBounds(keys: string): { first: unknown[]; last: unknown[] } {
  const firstEnd = keys.indexOf('\n')
  const lastStart = keys.lastIndexOf('\n', keys.length - 2) + 1
  return { first: JSON.parse(keys.slice(0, firstEnd)) as unknown[], last: JSON.parse(keys.slice(lastStart, keys.length - 1)) as unknown[] }
}

/** A batch whose file was written and verified: its key range, rows, and the file's size and sha256. */
export interface VerifiedBatch {
  readonly first: readonly unknown[]
  readonly last: readonly unknown[]
  readonly rows: number
  readonly bytes: number
  readonly sha256: string
}

/** A row of `sync_archives` as read back. */
export interface StoredArchive extends ArchiveRecord {
  readonly id: number
  readonly state: 'pending' | 'archived'
  readonly createdAt: string
}

/** What an archive run records about itself in `sync_archive_runs`. */
export interface ArchiveRunRecord {
  readonly outcome: 'ok' | 'failed'
  readonly rows: number
  readonly files: number
  readonly bytes: number
  readonly phases: Readonly<Record<string, number>>
  readonly error: string | undefined
  readonly report: unknown
}

/** How the rows of an archive file come back: inserted, put over an older soft-deleted row, or left out. */
export interface RestoreCounts {
  inserted: number
  replaced: number
  kept: number
}

/** `--vacuum` after an archive run. */
export type ArchiveVacuum = 'analyze' | 'full' | 'none'

/**
 * What `cachesync archive` and `restore` need of a database. Each database's code is in its own folder
 * (`sqlite/`, `postgres/`); the archive loop sees only this. Rows travel as arrays in the order of the
 * table's columns (`TableShape.columns`), keys as arrays in the order of its key.
 */
export interface ArchiveStore {
  /** The database as it may be printed. */
  readonly target: string
  /** Creates `sync_archives` and `sync_archive_runs` where missing. */
  prepare(): Promise<void>
  /** The columns and key of a table, or undefined when it does not exist. */
  shape(table: string): Promise<TableShape | undefined>
  /** Keeps other runs (a sync, another archive) off these sources until `close`. */
  lockSources(sources: readonly string[]): Promise<void>
  /** Records an archive or a restore run as `running`; returns its id. */
  startRun(startedAt: Date, kind: 'archive' | 'restore'): Promise<number>
  finishRun(runId: number, record: ArchiveRunRecord): Promise<void>
  /** The archive files that a killed run named but whose rows never left their table. */
  pendingArchives(): Promise<StoredArchive[]>
  /** Forgets a pending archive (its file was removed). */
  dropPending(id: number): Promise<void>
  /** Names a file before it is written; returns its id. */
  addPending(record: ArchiveRecord): Promise<number>
  /**
   * Up to `limit` rows that pass the filter, in key order, after the key `after` (from the start if
   * undefined), each as a JSON object that the database writes itself (see `SelectedRows`).
   */
  selectBatch(target: ArchiveTarget, after: readonly unknown[] | undefined, limit: number): Promise<SelectedRows>
  /**
   * In one transaction: deletes the rows between the keys `first` and `last` that pass the filter,
   * checks that they are `rows`, and marks the archive `archived` with its file's size and sha256.
   * Any difference rolls it all back.
   */
  commitBatch(target: ArchiveTarget, archiveId: number, batch: VerifiedBatch): Promise<void>
  /** Every archive of `sync_archives` (what `restore` checks files against). */
  archives(): Promise<StoredArchive[]>
  /**
   * Writes archived rows back, in one transaction: a key the table lacks is inserted; a soft-deleted
   * row is replaced by an archived row deleted later; any other row is kept (the table's is newer).
   * `rows` is the UTF-8 text of a JSON array of `count` rows' arrays, in the order of `shape.columns`
   * (the file's order); the database parses it itself.
   */
  restoreRows(table: string, shape: TableShape, rows: Uint8Array, count: number): Promise<RestoreCounts>
  /** Notes in `sync_archives` that an archive file was restored. */
  markRestored(sha256: string, runId: number): Promise<void>
  vacuum(tables: readonly string[], mode: ArchiveVacuum): Promise<void>
  close(): Promise<void>
}
