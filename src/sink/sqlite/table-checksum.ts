import { createHash } from 'node:crypto'
import { openDatabase } from './sqlite-driver.js'
import { quoteIdent } from './sqlite-schema.js'

/**
 * A sha256 over every row of a table in key order, all columns (rowid excluded unless it is the key):
 * two tables with the same checksum hold the same contents. `_deleted_at` counts as deleted or not, not
 * by when, so that runs at different times compare.
 */
export function tableChecksum(dbPath: string, table: string): { rows: number; sha256: string } {
  const db = openDatabase(dbPath, { readonly: true, fileMustExist: true })
  try {
    const columns = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string; pk: number }[]
    const key = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => quoteIdent(c.name))
    const digest = createHash('sha256')
    let rows = 0
    const select = columns.map((c) => (c.name === '_deleted_at' ? '"_deleted_at" IS NOT NULL' : quoteIdent(c.name))).join(', ')
    const statement = db.prepare(`SELECT ${select} FROM ${quoteIdent(table)} ORDER BY ${key.length > 0 ? key.join(', ') : 'rowid'}`).raw()
    for (const row of statement.iterate()) {
      digest.update(JSON.stringify(row))
      digest.update('\n')
      rows++
    }
    return { rows, sha256: digest.digest('hex') }
  } finally {
    db.close()
  }
}
