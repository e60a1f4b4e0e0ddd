import type { ColumnType } from '../../config/config-schema.js'
import type { ResolvedColumn, ResolvedSource } from '../../config/resolve-config.js'
import { PACKED_ROW_BYTES } from '../../util/hash-set64.js'
import { ROW_HASH_BYTES } from '../../util/row-hash.js'
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
export function isRowidKey(source: ResolvedSource): boolean {
  const only = source.key.length === 1 ? source.columns.find((c) => c.name === source.key[0]) : undefined
  return only !== undefined && only.type === 'integer'
}

/**
 * The name of the partial hash index earlier versions kept. Keeping it current cost more on every write,
 * and a long sort after a first sync, than it saved on reads; it is dropped.
 */
export function legacyHashIndexName(table: string): string {
  return `${table}__live_hash`
}

/**
 * The live rows as hash and rowid, packed 16 bytes each (see `PACKED_ROW_BYTES`). SQLite concatenates
 * them into one value in one pass over the table, since fetching the rows one by one through the driver
 * is slow. Each row is its 8 hash bytes and its rowid in decimal, rows separated by a comma: SQLite
 * prints a decimal integer faster than `unhex(printf('%016x', …))`, and the hash's fixed width keeps the
 * text unambiguous. The rowid is what deletes the rows that vanished without an index on the hash.
 */
export function readLiveRows(db: SqliteDatabase, table: string, range: RowidRange = {}): Buffer {
  const bounds = [range.from === undefined ? '' : ' AND rowid >= ?', range.to === undefined ? '' : ' AND rowid < ?'].join('')
  const listed = db
    .prepare(`SELECT CAST(group_concat("_hash" || rowid, ',') AS BLOB) FROM ${quoteIdent(table)} WHERE "_deleted_at" IS NULL${bounds}`)
    .pluck()
    .get(...[range.from, range.to].filter((bound) => bound !== undefined))
  return Buffer.isBuffer(listed) ? packHashRowids(listed) : Buffer.alloc(0)
}

const COMMA = 0x2c
const MINUS = 0x2d
const ZERO = 0x30
const TWO_32 = 2 ** 32

/** `hash(8 bytes) rowid(decimal)` rows, comma-separated, to 16-byte rows: the hash, then the rowid big-endian. */
function packHashRowids(listed: Buffer): Buffer {
  let rows = listed.length > 0 ? 1 : 0
  // A comma inside a hash would be miscounted, so count separators only where a row can end.
  for (let at = 0; at < listed.length; ) {
    let end = at + ROW_HASH_BYTES
    while (end < listed.length && listed[end] !== COMMA) end++
    if (end < listed.length) rows++
    at = end + 1
  }
  const packed = Buffer.allocUnsafe(rows * PACKED_ROW_BYTES)
  let out = 0
  for (let at = 0; at < listed.length; out += PACKED_ROW_BYTES) {
    // Byte by byte: Buffer#copy costs more per call than eight assignments.
    for (let i = 0; i < ROW_HASH_BYTES; i++) packed[out + i] = listed[at + i] as number
    let end = at + ROW_HASH_BYTES
    const negative = listed[end] === MINUS
    let value = 0
    for (let digit = negative ? end + 1 : end; digit < listed.length && listed[digit] !== COMMA; digit++)
      value = value * 10 + ((listed[digit] as number) - ZERO)
    while (end < listed.length && listed[end] !== COMMA) end++
    if (negative || value > Number.MAX_SAFE_INTEGER) {
      packed.writeBigInt64BE(BigInt(listed.toString('latin1', at + ROW_HASH_BYTES, end)), out + ROW_HASH_BYTES)
    } else {
      writeU32BE(packed, out + ROW_HASH_BYTES, Math.floor(value / TWO_32))
      writeU32BE(packed, out + ROW_HASH_BYTES + 4, value % TWO_32)
    }
    at = end + 1
  }
  return packed
}

function writeU32BE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24
  bytes[at + 1] = (value >>> 16) & 0xff
  bytes[at + 2] = (value >>> 8) & 0xff
  bytes[at + 3] = value & 0xff
}

/** Rows whose rowid is at least `from` and below `to`; a missing bound is open. */
export interface RowidRange {
  readonly from?: number
  readonly to?: number
}

/**
 * Cuts a table's rowids into `parts` adjacent ranges of equal width, the first and last open: together
 * they hold every row, each row in one.
 */
export function splitRowids(db: SqliteDatabase, table: string, parts: number): RowidRange[] {
  // Two subqueries: SQLite answers a lone min() or max() from the b-tree's edge, but both in one query scan.
  const name = quoteIdent(table)
  const { low, high } = db.prepare(`SELECT (SELECT min(rowid) FROM ${name}) AS low, (SELECT max(rowid) FROM ${name}) AS high`).get() as {
    low: number | null
    high: number | null
  }
  if (parts <= 1 || low === null || high === null || high - low < parts) return [{}]
  const width = (high - low) / parts
  const cuts = Array.from({ length: parts - 1 }, (_, i) => Math.floor(low + width * (i + 1)))
  return Array.from({ length: parts }, (_, i) => ({ ...(i > 0 ? { from: cuts[i - 1] as number } : {}), ...(i < parts - 1 ? { to: cuts[i] as number } : {}) }))
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
CREATE TABLE IF NOT EXISTS sync_schema (
  source TEXT NOT NULL,
  column_name TEXT NOT NULL,
  position INTEGER NOT NULL,
  field TEXT NOT NULL,
  type TEXT NOT NULL,
  is_key INTEGER NOT NULL,
  origin TEXT NOT NULL,
  added_run INTEGER,
  added_at TEXT NOT NULL,
  changed_run INTEGER,
  changed_at TEXT,
  PRIMARY KEY (source, column_name)
);
CREATE TABLE IF NOT EXISTS sync_schema_changes (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  column_name TEXT NOT NULL,
  change TEXT NOT NULL,
  from_type TEXT,
  to_type TEXT NOT NULL,
  run_id INTEGER,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_live_rows (
  source TEXT PRIMARY KEY,
  table_name TEXT NOT NULL,
  file TEXT NOT NULL,
  rows INTEGER NOT NULL,
  saved_at TEXT NOT NULL
);
`
