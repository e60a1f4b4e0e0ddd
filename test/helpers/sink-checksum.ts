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

export function pgChecksums(cluster: PostgresCluster, database: string, schema: string, tables: readonly string[]): Checksums {
  return Object.fromEntries(
    tables.map((table) => {
      const columns = cluster
        .psql(
          `SELECT column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = '${table}' ORDER BY ordinal_position`,
          database,
        )
        .split('\n')
        .map((line) => line.split(':') as [string, string])
      const key = cluster
        .psql(
          `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = '"${schema}"."${table}"'::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
          database,
        )
        .split('\n')
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
