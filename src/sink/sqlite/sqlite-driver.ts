import Database from 'better-sqlite3'

/** The slice of a SQLite driver that cachesync uses; the rest of the code depends on this, not the driver. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement
  exec(sql: string): void
  pragma(source: string, options?: { simple?: boolean }): unknown
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R
  /** `progress` returns the pages to copy in the next step. */
  backup(destination: string, options?: { progress?: (info: { totalPages: number; remainingPages: number }) => number | undefined }): Promise<unknown>
  /** Makes a JavaScript function callable from SQL on this connection. */
  function(name: string, options: { deterministic?: boolean }, fn: (...args: unknown[]) => unknown): void
  close(): void
  readonly inTransaction: boolean
  readonly open: boolean
}

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  iterate(...params: unknown[]): IterableIterator<unknown>
  pluck(toggle?: boolean): SqliteStatement
  raw(toggle?: boolean): SqliteStatement
}

export interface OpenDatabaseOptions {
  readonly?: boolean
  /** Fail instead of creating a missing file. */
  fileMustExist?: boolean
  /** Milliseconds to wait on a lock held by another connection. @default 5000 */
  timeout?: number
}

/** Opens a SQLite file with better-sqlite3; the only place in cachesync that touches the driver. */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  return new Database(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.fileMustExist ?? false,
    timeout: options.timeout ?? 5000,
  }) as unknown as SqliteDatabase
}

/** The SQLite library version linked into the driver. */
export function sqliteVersion(): string {
  const db = new Database(':memory:')
  try {
    return String(db.prepare('select sqlite_version()').pluck().get())
  } finally {
    db.close()
  }
}
