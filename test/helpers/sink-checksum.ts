import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import type { PostgresCluster } from './postgres-cluster.js'

export type Checksums = Record<string, { rows: number; sha256: string }>

/**
 * A checksum that compares a SQLite table with a PostgreSQL one: each row in key order as the text of
 * its values (booleans as 0/1, the hash as hex, `_deleted_at` as deleted or not), then sha256.
 */
function digest(rows: Iterable<readonly (string | null)[]>): { rows: number; sha256: string } {
  const hash = createHash('sha256')
  let count = 0
  for (const row of rows) {
    hash.update(JSON.stringify(row))
    hash.update('\n')
    count++
  }
  return { rows: count, sha256: hash.digest('hex') }
}

export function sqliteChecksums(dbPath: string, tables: readonly string[]): Checksums {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return Object.fromEntries(
      tables.map((table) => {
        const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; pk: number }[]
        const key = columns
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => `"${c.name}"`)
        const rows = db
          .prepare(`SELECT * FROM "${table}" ORDER BY ${key.join(', ')}`)
          .raw()
          .iterate() as IterableIterator<unknown[]>
        const names = columns.map((c) => c.name)
        const text = function* () {
          for (const row of rows) {
            yield row.map((value, i) => {
              if (names[i] === '_deleted_at') return value === null ? 'live' : 'deleted'
              if (value === null) return null
              if (Buffer.isBuffer(value)) return value.toString('hex')
              return String(value)
            })
          }
        }
        return [table, digest(text())]
      }),
    )
  } finally {
    db.close()
  }
}

/** A PostgreSQL table's columns (name and data type, in order) and primary key (in key order). */
export interface PgTableShape {
  columns: [name: string, type: string][]
  key: string[]
}

/**
 * The shape of each table of `schema` (those information_schema.tables lists; these only, when given),
 * in one psql call: each call costs a process and a connection, about 0.1 s on two shared cores.
 */
export function pgTableShapes(cluster: PostgresCluster, database: string, schema: string, tables?: readonly string[]): Map<string, PgTableShape> {
  if (tables?.length === 0) return new Map()
  const only = tables === undefined ? '' : `AND c.relname IN (${tables.map((t) => `'${t.replaceAll("'", "''")}'`).join(', ')})`
  const json = cluster.psql(
    `SELECT coalesce(json_object_agg(c.relname, json_build_object(
       'columns', (SELECT coalesce(json_agg(json_build_array(col.column_name, col.data_type) ORDER BY col.ordinal_position), '[]')
                   FROM information_schema.columns col WHERE col.table_schema = n.nspname AND col.table_name = c.relname),
       'key', (SELECT coalesce(json_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum)), '[]')
               FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
               WHERE i.indrelid = c.oid AND i.indisprimary))), '{}')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = '${schema}' AND c.relkind IN ('r', 'p', 'v', 'f') ${only}`,
    database,
  )
  return new Map(Object.entries(JSON.parse(json) as Record<string, PgTableShape>))
}

export function pgChecksums(cluster: PostgresCluster, database: string, schema: string, tables: readonly string[]): Checksums {
  const shapes = pgTableShapes(cluster, database, schema, tables)
  return Object.fromEntries(
    tables.map((table) => {
      const shape = shapes.get(table)
      if (shape === undefined) throw new Error(`no table "${schema}"."${table}" to checksum`)
      const { columns, key } = shape
      const select = columns.map(([name, type]) => {
        if (name === '_deleted_at') return `CASE WHEN "_deleted_at" IS NULL THEN 'live' ELSE 'deleted' END`
        if (name === '_hash') return `encode("_hash", 'hex')`
        if (type === 'boolean') return `("${name}"::int)::text`
        return `"${name}"::text`
      })
      const order = key.map((k) => (columns.find(([n]) => n === k)?.[1] === 'text' ? `"${k}" COLLATE "C"` : `"${k}"`))
      const json = cluster.psql(
        `SELECT coalesce(json_agg(json_build_array(${select.join(', ')}) ORDER BY ${order.join(', ')}), '[]') FROM "${schema}"."${table}"`,
        database,
      )
      return [table, digest(JSON.parse(json) as (string | null)[][])]
    }),
  )
}
