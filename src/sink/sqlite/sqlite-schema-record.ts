import type { InferredColumn, ResolvedColumn, ResolvedSource } from '../../config/resolve-config.js'
import { type FieldType, storageType, widenStored } from '../../schema/field-type.js'
import type { SchemaChange } from '../sink.js'
import type { SqliteDatabase } from './sqlite-driver.js'
import { quoteIdent } from './sqlite-schema.js'

/** The SQL function that converts a stored value to a wider type, as the engine's `widenStored` does. */
export const WIDEN_FUNCTION = 'cachesync_widen'

/** Makes `cachesync_widen(value, from, to)` callable on this connection. */
export function registerWiden(db: SqliteDatabase): void {
  db.function(WIDEN_FUNCTION, { deterministic: true }, (value: unknown, from: unknown, to: unknown) =>
    widenStored(value as string | number | null, from as FieldType, to as FieldType),
  )
}

interface SchemaRow {
  column_name: string
  field: string
  type: string
  is_key: number
}

/** The inferred columns recorded for a source, in table order; undefined when there are none. */
export function storedSchema(db: SqliteDatabase, source: string): InferredColumn[] | undefined {
  const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sync_schema'").get()
  if (exists === undefined) return undefined
  const rows = db
    .prepare("SELECT column_name, field, type, is_key FROM sync_schema WHERE source = ? AND origin = 'inferred' ORDER BY position")
    .all(source) as SchemaRow[]
  if (rows.length === 0) return undefined
  return rows.map((row) => ({ name: row.column_name, path: JSON.parse(row.field) as string[], type: row.type as FieldType, key: row.is_key === 1 }))
}

/** Records the source's columns that `sync_schema` does not hold yet, as added now by `runId`. */
export function recordColumns(db: SqliteDatabase, source: ResolvedSource, runId: number | undefined): void {
  const have = new Set(db.prepare('SELECT column_name FROM sync_schema WHERE source = ?').pluck().all(source.name) as string[])
  const inferred = new Map(source.inferred.map((c) => [c.name, c]))
  source.columns.forEach((column, position) => {
    if (have.has(column.name)) return
    const open = inferred.get(column.name)
    insertColumn(db, source.name, { name: column.name, path: column.from, type: open?.type ?? column.type, key: source.key.includes(column.name) }, position, {
      origin: open === undefined ? 'configured' : 'inferred',
      runId,
    })
  })
}

/**
 * Adds and widens a source's inferred columns, in the caller's transaction, and records each change.
 * SQLite cannot change a column's type, and its declared type decides how a value is stored (an
 * INTEGER column would make the text "123" a number again): a widening rebuilds the table under the
 * new types, rowids kept, its indexes and triggers made again. It rewrites the table once per widening
 * of a column, which a column goes through at most three times in its life.
 */
export function changeSchema(db: SqliteDatabase, source: ResolvedSource, columns: ResolvedColumn[], change: SchemaChange, runId: number | undefined): void {
  const table = quoteIdent(source.table)
  for (const column of change.add) {
    const resolved = { name: column.name, from: column.path, type: storageType(column.type), required: false, normalize: undefined, invalid: 'reject' as const }
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${quoteIdent(column.name)} ${sqlTypeOf(column.type)}`)
    insertColumn(db, source.name, column, columns.length, { origin: 'inferred', runId })
    columns.push(resolved)
  }
  if (change.widen.length === 0) return
  const widened = new Map(change.widen.map((w) => [w.name, w]))
  for (const [i, column] of columns.entries()) {
    const to = widened.get(column.name)?.to
    if (to !== undefined) columns[i] = { ...column, type: storageType(to) }
  }
  rebuildTable(db, source.table, widened)
  const now = new Date().toISOString()
  for (const w of change.widen) {
    db.prepare('UPDATE sync_schema SET type = ?, changed_run = ?, changed_at = ? WHERE source = ? AND column_name = ?').run(
      w.to,
      runId ?? null,
      now,
      source.name,
      w.name,
    )
    db.prepare('INSERT INTO sync_schema_changes (source, column_name, change, from_type, to_type, run_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      source.name,
      w.name,
      'widened',
      w.from,
      w.to,
      runId ?? null,
      now,
    )
  }
}

interface TableColumn {
  name: string
  type: string
  notnull: number
  dflt_value: string | null
  pk: number
}

/**
 * Copies the table into one made under the widened types and renames it into place. The copy's columns
 * are the table's as `PRAGMA table_info` lists them, in that order: columns added later (`ADD COLUMN`
 * puts them after `_hash` and `_deleted_at`) keep their place, and so does a column the configuration
 * no longer names, with its values.
 */
function rebuildTable(db: SqliteDatabase, table: string, widened: ReadonlyMap<string, { from: FieldType; to: FieldType }>): void {
  const name = quoteIdent(table)
  const scratch = quoteIdent(`${table}__cachesync_widen`)
  const extras = db
    .prepare("SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL")
    .pluck()
    .all(table) as string[]
  const columns = db.prepare(`PRAGMA table_info(${name})`).all() as TableColumn[]
  db.exec(`DROP TABLE IF EXISTS ${scratch}`)
  db.exec(`CREATE TABLE ${scratch} (\n  ${columnDefinitions(columns, widened).join(',\n  ')}\n)`)
  const names = columns.map((c) => quoteIdent(c.name))
  const values = columns.map((c) => {
    const w = widened.get(c.name)
    return w === undefined ? quoteIdent(c.name) : `${WIDEN_FUNCTION}(${quoteIdent(c.name)}, '${w.from}', '${w.to}')`
  })
  db.exec(`INSERT INTO ${scratch} (rowid, ${names.join(', ')}) SELECT rowid, ${values.join(', ')} FROM ${name}`)
  db.exec(`DROP TABLE ${name}`)
  // Views that name the table would fail the rename's check while it is missing: the legacy rename skips it.
  db.pragma('legacy_alter_table = ON')
  try {
    db.exec(`ALTER TABLE ${scratch} RENAME TO ${name}`)
  } finally {
    db.pragma('legacy_alter_table = OFF')
  }
  for (const sql of extras) db.exec(sql)
}

/** The table's columns as `CREATE TABLE` writes them, the widened ones under their new type; a lone INTEGER key stays the rowid. */
function columnDefinitions(columns: readonly TableColumn[], widened: ReadonlyMap<string, { to: FieldType }>): string[] {
  const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk)
  const rowidKey = key.length === 1 && key[0]?.type.toUpperCase() === 'INTEGER'
  const definitions = columns.map((c) => {
    const to = widened.get(c.name)?.to
    const type = to === undefined ? c.type : sqlTypeOf(to)
    const constraint = rowidKey && c.pk > 0 ? ' PRIMARY KEY' : c.notnull === 1 ? ' NOT NULL' : ''
    return `${quoteIdent(c.name)} ${type}${constraint}${c.dflt_value === null ? '' : ` DEFAULT ${c.dflt_value}`}`
  })
  if (!rowidKey && key.length > 0) definitions.push(`PRIMARY KEY (${key.map((c) => quoteIdent(c.name)).join(', ')})`)
  return definitions
}

function sqlTypeOf(type: FieldType): string {
  const stored = storageType(type)
  return stored === 'integer' || stored === 'boolean' ? 'INTEGER' : stored === 'real' ? 'REAL' : 'TEXT'
}

function insertColumn(
  db: SqliteDatabase,
  source: string,
  column: InferredColumn,
  position: number,
  how: { origin: 'configured' | 'inferred'; runId: number | undefined },
): void {
  const now = new Date().toISOString()
  db.prepare(
    `INSERT INTO sync_schema (source, column_name, position, field, type, is_key, origin, added_run, added_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, column_name) DO NOTHING`,
  ).run(source, column.name, position, JSON.stringify(column.path), column.type, column.key ? 1 : 0, how.origin, how.runId ?? null, now)
  db.prepare('INSERT INTO sync_schema_changes (source, column_name, change, from_type, to_type, run_id, at) VALUES (?, ?, ?, NULL, ?, ?, ?)').run(
    source,
    column.name,
    'added',
    column.type,
    how.runId ?? null,
    now,
  )
}
