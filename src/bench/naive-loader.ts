import { readFileSync } from 'node:fs'
import { openDatabase } from '../sink/sqlite/sqlite-driver.js'
import { quoteIdent } from '../sink/sqlite/sqlite-schema.js'

/** One NDJSON file and the table the naive baseline loads it into. */
export interface NaiveInput {
  file: string
  table: string
  key: readonly string[]
}

/**
 * The naive baseline: parse the whole file into objects, then one INSERT per record,
 * each its own autocommitted transaction, SQLite's defaults (rollback journal, synchronous FULL).
 * Columns are the records' own fields. Returns the rows in the tables afterwards.
 */
export function naiveLoad(db: string, inputs: readonly NaiveInput[]): number {
  const database = openDatabase(db)
  try {
    let rows = 0
    for (const input of inputs) {
      const records = readFileSync(input.file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      const fields = [...new Set(records.flatMap((r) => Object.keys(r)))]
      const columns = fields.map(quoteIdent)
      database.exec(`CREATE TABLE ${quoteIdent(input.table)} (${columns.join(', ')}, PRIMARY KEY (${input.key.map(quoteIdent).join(', ')}))`)
      const insert = database.prepare(`INSERT OR REPLACE INTO ${quoteIdent(input.table)} VALUES (${fields.map(() => '?').join(', ')})`)
      for (const record of records) insert.run(fields.map((f) => toSqlValue(record[f])))
      rows += Number(
        database
          .prepare(`SELECT count(*) FROM ${quoteIdent(input.table)}`)
          .pluck()
          .get(),
      )
    }
    return rows
  } finally {
    database.close()
  }
}

function toSqlValue(value: unknown): unknown {
  if (value === undefined) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'object' && value !== null) return JSON.stringify(value)
  return value
}
