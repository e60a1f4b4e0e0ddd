import type { InferredColumn, ResolvedColumn, ResolvedSource } from '../../config/resolve-config.js'
import { type FieldType, storageType } from '../../schema/field-type.js'
import type { SchemaChange } from '../sink.js'
import type { PgClient } from './pg-driver.js'
import { pgIdent, pgType } from './pg-schema.js'

type Query = PgClient['query']

/** The PostgreSQL type of an inferred column. */
export function pgFieldType(type: FieldType): string {
  return pgType({ type: storageType(type) } as ResolvedColumn)
}

/**
 * `expr`, stored under `from`, as stored under the wider `to`: the same values the engine's
 * `widenStored` gives (a boolean as `true`/`false`, a number as its digits, JSON as its text).
 */
export function pgWiden(expr: string, from: FieldType, to: FieldType): string {
  if (from === to) return expr
  if (from === 'null') return `NULL::${pgFieldType(to)}`
  if (to === 'text') return `(${expr})::text`
  if (to === 'real') return `(${expr})::double precision`
  return expr
}

/** The inferred columns recorded for a source, in table order; undefined when there are none. */
export async function pgStoredSchema(query: Query, schema: string, source: string): Promise<InferredColumn[] | undefined> {
  const { rows: found } = await query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${pgIdent(schema)}.sync_schema`])
  if (found[0]?.present !== true) return undefined
  const { rows } = await query<{ column_name: string; field: string; type: string; is_key: boolean }>(
    `SELECT column_name, field, type, is_key FROM ${pgIdent(schema)}.sync_schema WHERE source = $1 AND origin = 'inferred' ORDER BY position`,
    [source],
  )
  if (rows.length === 0) return undefined
  return rows.map((row) => ({ name: row.column_name, path: JSON.parse(row.field) as string[], type: row.type as FieldType, key: row.is_key }))
}

/** Records the source's columns that `sync_schema` does not hold yet, as added now by `runId`. */
export async function pgRecordColumns(query: Query, schema: string, source: ResolvedSource, runId: number | undefined): Promise<void> {
  const { rows } = await query<{ column_name: string }>(`SELECT column_name FROM ${pgIdent(schema)}.sync_schema WHERE source = $1`, [source.name])
  const have = new Set(rows.map((r) => r.column_name))
  const inferred = new Map(source.inferred.map((c) => [c.name, c]))
  for (const [position, column] of source.columns.entries()) {
    if (have.has(column.name)) continue
    const open = inferred.get(column.name)
    const recorded = { name: column.name, path: column.from, type: open?.type ?? column.type, key: source.key.includes(column.name) }
    await insertColumn(query, schema, source.name, recorded, position, open === undefined ? 'configured' : 'inferred', runId)
  }
}

/**
 * Adds and widens a source's inferred columns in the caller's transaction, and records each change. A
 * widening is `ALTER COLUMN … TYPE … USING`, which rewrites the table under an exclusive lock, once per
 * widening of a column (at most three times in its life); it commits or rolls back with the chunk.
 */
export async function pgChangeSchema(
  query: Query,
  schema: string,
  source: ResolvedSource,
  columns: ResolvedColumn[],
  change: SchemaChange,
  runId: number | undefined,
): Promise<void> {
  const table = `${pgIdent(schema)}.${pgIdent(source.table)}`
  for (const column of change.add) {
    await query(`ALTER TABLE ${table} ADD COLUMN ${pgIdent(column.name)} ${pgFieldType(column.type)}`)
    await insertColumn(query, schema, source.name, column, columns.length, 'inferred', runId)
    columns.push({ name: column.name, from: column.path, type: storageType(column.type), required: false, normalize: undefined, invalid: 'reject' })
  }
  for (const w of change.widen) {
    const name = pgIdent(w.name)
    await query(`ALTER TABLE ${table} ALTER COLUMN ${name} TYPE ${pgFieldType(w.to)} USING ${pgWiden(name, w.from, w.to)}`)
    for (const [i, column] of columns.entries()) if (column.name === w.name) columns[i] = { ...column, type: storageType(w.to) }
    await query(`UPDATE ${pgIdent(schema)}.sync_schema SET type = $1, changed_run = $2, changed_at = now() WHERE source = $3 AND column_name = $4`, [
      w.to,
      runId ?? null,
      source.name,
      w.name,
    ])
    await query(
      `INSERT INTO ${pgIdent(schema)}.sync_schema_changes (source, column_name, change, from_type, to_type, run_id, at) VALUES ($1, $2, 'widened', $3, $4, $5, now())`,
      [source.name, w.name, w.from, w.to, runId ?? null],
    )
  }
}

async function insertColumn(
  query: Query,
  schema: string,
  source: string,
  column: InferredColumn,
  position: number,
  origin: 'configured' | 'inferred',
  runId: number | undefined,
): Promise<void> {
  await query(
    `INSERT INTO ${pgIdent(schema)}.sync_schema (source, column_name, position, field, type, is_key, origin, added_run, added_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) ON CONFLICT (source, column_name) DO NOTHING`,
    [source, column.name, position, JSON.stringify(column.path), column.type, column.key, origin, runId ?? null],
  )
  await query(
    `INSERT INTO ${pgIdent(schema)}.sync_schema_changes (source, column_name, change, from_type, to_type, run_id, at) VALUES ($1, $2, 'added', NULL, $3, $4, now())`,
    [source, column.name, column.type, runId ?? null],
  )
}
