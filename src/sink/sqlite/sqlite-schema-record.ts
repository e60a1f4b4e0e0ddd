import type { InferredColumn, ResolvedColumn, ResolvedSource } from '../../config/resolve-config.js'
import { type FieldType, storageType, widenStored } from '../../schema/field-type.js'
import type { SchemaChange } from '../sink.js'
import type { SqliteDatabase } from './sqlite-driver.js'
import { createTableSql, quoteIdent } from './sqlite-schema.js'

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
  rebuildTable(db, { ...source, columns }, widened)
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

function rebuildTable(db: SqliteDatabase, source: ResolvedSource, widened: ReadonlyMap<string, { from: FieldType; to: FieldType }>): void {
  const table = quoteIdent(source.table)
  const scratch = `${source.table}__cachesync_widen`
  const extras = db
    .prepare("SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL")
    .pluck()
    .all(source.table) as string[]
  db.exec(`DROP TABLE IF EXISTS ${quoteIdent(scratch)}`)
  db.exec(createTableSql({ ...source, table: scratch }))
  const names = [...source.columns.map((c) => quoteIdent(c.name)), '"_hash"', '"_deleted_at"']
  const values = [
    ...source.columns.map((c) => {
      const w = widened.get(c.name)
      return w === undefined ? quoteIdent(c.name) : `${WIDEN_FUNCTION}(${quoteIdent(c.name)}, '${w.from}', '${w.to}')`
    }),
    '"_hash"',
    '"_deleted_at"',
  ]
  db.exec(`INSERT INTO ${quoteIdent(scratch)} (rowid, ${names.join(', ')}) SELECT rowid, ${values.join(', ')} FROM ${table}`)
  db.exec(`DROP TABLE ${table}`)
  // Views that name the table would fail the rename's check while it is missing: the legacy rename skips it.
  db.pragma('legacy_alter_table = ON')
  try {
    db.exec(`ALTER TABLE ${quoteIdent(scratch)} RENAME TO ${table}`)
  } finally {
    db.pragma('legacy_alter_table = OFF')
  }
  for (const sql of extras) db.exec(sql)
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
