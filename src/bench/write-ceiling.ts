import { openDatabase } from '../sink/sqlite/sqlite-driver.js'
import { quoteIdent } from '../sink/sqlite/sqlite-schema.js'

/** What one copy of finished tables into empty ones took, timed inside SQLite's process. */
export interface CeilingResult {
  ms: number
  rows: number
}

/**
 * SQLite's write ceiling for these rows: `INSERT INTO copy SELECT * FROM table` of the finished tables into
 * empty tables of the same schema, in a fresh database file with the sync's pragmas, one transaction.
 * Nothing is parsed, mapped or hashed: what is left is the B-tree writes and the commit.
 */
export function copyTables(sourceDb: string, targetDb: string, tables: readonly string[]): CeilingResult {
  const db = openDatabase(targetDb)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.prepare('ATTACH DATABASE ? AS src').run(sourceDb)
    const schema = db.prepare("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?").pluck()
    for (const table of tables) {
      const sql = schema.get(table)
      if (typeof sql !== 'string') throw new Error(`no table ${table} in ${sourceDb}`)
      db.exec(sql)
    }
    const started = performance.now()
    db.exec('BEGIN')
    for (const table of tables) db.exec(`INSERT INTO main.${quoteIdent(table)} SELECT * FROM src.${quoteIdent(table)}`)
    db.exec('COMMIT')
    const ms = performance.now() - started
    let rows = 0
    for (const table of tables)
      rows += Number(
        db
          .prepare(`SELECT count(*) FROM main.${quoteIdent(table)}`)
          .pluck()
          .get(),
      )
    return { ms, rows }
  } finally {
    db.close()
  }
}
