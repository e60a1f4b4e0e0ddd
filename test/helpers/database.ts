import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { tableChecksum } from '../../src/sink/sqlite/table-checksum.js'

export const DMR_TABLES = ['rptrs', 'users', 'devices'] as const
export type DmrTable = (typeof DMR_TABLES)[number]

/** `tableChecksum` of each of the three DMR tables. */
export function checksumAll(dbPath: string, tables: readonly string[] = DMR_TABLES): Record<string, { rows: number; sha256: string }> {
  return Object.fromEntries(tables.map((table) => [table, tableChecksum(dbPath, table)]))
}

/** Runs one read-only query against a database file and returns all rows. */
export function query<T = Record<string, unknown>>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}

/** The single value of a one-row, one-column query. */
export function scalar<T = unknown>(dbPath: string, sql: string, ...params: unknown[]): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return db
      .prepare(sql)
      .pluck()
      .get(...params) as T
  } finally {
    db.close()
  }
}

/** sha256 of a file's bytes, or 'absent'. */
export function fileSha256(path: string): string {
  return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'absent'
}
