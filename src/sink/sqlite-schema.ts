import type { ColumnType } from '../config/config-schema.js'
import type { ResolvedColumn, ResolvedSource } from '../config/resolve-config.js'
import type { SqliteDatabase } from './sqlite-driver.js'

const SQL_TYPES: Readonly<Record<ColumnType, string>> = {
  integer: 'INTEGER',
  real: 'REAL',
  text: 'TEXT',
  boolean: 'INTEGER',
  json: 'TEXT',
}

/** Quotes an identifier; the configuration already allows only plain identifiers, this is the second belt. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** The columns cachesync keeps for itself in every synced table. */
export const INTERNAL_COLUMNS = ['_hash', '_deleted_at'] as const

export function sqlType(column: ResolvedColumn): string {
  return SQL_TYPES[column.type]
}

/** A single integer key becomes the rowid (`INTEGER PRIMARY KEY`): the fastest shape SQLite has. */
function isRowidKey(source: ResolvedSource): boolean {
  const only = source.key.length === 1 ? source.columns.find((c) => c.name === source.key[0]) : undefined
  return only !== undefined && only.type === 'integer'
}

/**
 * The name of the partial hash index earlier versions kept. Keeping it current cost more on every write
 * (and a 1.5 s sort after a first sync of a million rows) than it saved on reads; it is dropped.
 */
export function legacyHashIndexName(table: string): string {
  return `${table}__live_hash`
}

/**
 * The live rows as hash and rowid, packed 16 bytes each (see `PACKED_ROW_BYTES`): SQLite concatenates
 * them in one pass over the table into one BLOB, because fetching a million rows one by one costs a
 * second in the driver. The rowid is what deletes the rows that vanished without an index on the hash.
 */
export function readLiveRows(db: SqliteDatabase, table: string): Buffer {
  const packed = db
    .prepare(`SELECT CAST(group_concat("_hash" || unhex(printf('%016x', rowid)), '') AS BLOB) FROM ${quoteIdent(table)} WHERE "_deleted_at" IS NULL`)
    .pluck()
    .get()
  return Buffer.isBuffer(packed) ? packed : Buffer.alloc(0)
}

export function createTableSql(source: ResolvedSource): string {
  const rowidKey = isRowidKey(source)
  const columns = source.columns.map((c) => {
    const key = source.key.includes(c.name)
    return `${quoteIdent(c.name)} ${sqlType(c)}${rowidKey && key ? ' PRIMARY KEY' : key ? ' NOT NULL' : ''}`
  })
  columns.push('"_hash" BLOB NOT NULL', '"_deleted_at" TEXT')
  if (!rowidKey) columns.push(`PRIMARY KEY (${source.key.map(quoteIdent).join(', ')})`)
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(source.table)} (\n  ${columns.join(',\n  ')}\n)`
}

export const SYNC_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS sync_runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  outcome TEXT NOT NULL,
  mode TEXT,
  reason TEXT,
  chunk INTEGER,
  workers INTEGER,
  records_read INTEGER,
  inserted INTEGER,
  updated INTEGER,
  unchanged INTEGER,
  deleted INTEGER,
  rejected INTEGER,
  db_init_ms REAL,
  read_ms REAL,
  transform_ms REAL,
  write_ms REAL,
  finalize_ms REAL,
  total_ms REAL,
  records_per_sec REAL,
  peak_rss_mb REAL,
  error TEXT,
  pid INTEGER,
  host TEXT,
  report TEXT
);
CREATE TABLE IF NOT EXISTS sync_rejects (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  source TEXT NOT NULL,
  line INTEGER,
  reason TEXT NOT NULL,
  raw TEXT
);
CREATE INDEX IF NOT EXISTS sync_rejects_source ON sync_rejects (source);
CREATE TABLE IF NOT EXISTS sync_sources (
  source TEXT PRIMARY KEY,
  table_name TEXT NOT NULL,
  content_hash TEXT,
  fingerprint TEXT,
  synced_at TEXT,
  run_id INTEGER
);
CREATE TABLE IF NOT EXISTS sync_checkpoints (
  source TEXT PRIMARY KEY,
  content_hash TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  byte_offset INTEGER NOT NULL,
  records_done INTEGER NOT NULL,
  lines_done INTEGER NOT NULL,
  run_id INTEGER,
  saved_at TEXT NOT NULL
);
`
