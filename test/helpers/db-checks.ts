import { existsSync, readFileSync } from 'node:fs'
import Database from 'better-sqlite3'

/**
 * The lines of `PRAGMA integrity_check` on a read-only connection: `['ok']` for a sound database. A
 * database too damaged to check gives SQLite's error as the one line.
 */
export function integrityCheck(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return db.prepare('PRAGMA integrity_check').pluck().all() as string[]
  } catch (err) {
    return [`integrity_check failed: ${(err as Error).message}`]
  } finally {
    db.close()
  }
}

/** Names of the tables a database holds (none for a file that does not exist). */
export function tableNames(dbPath: string): string[] {
  if (!existsSync(dbPath)) return []
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]
  } finally {
    db.close()
  }
}

export interface RunRow {
  id: number
  outcome: string
  error: string | null
}

/** The newest `sync_runs` row, or undefined when there is none (or no such table yet). */
export function newestRun(dbPath: string): RunRow | undefined {
  if (!tableNames(dbPath).includes('sync_runs')) return undefined
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return db.prepare('SELECT id, outcome, error FROM sync_runs ORDER BY id DESC LIMIT 1').get() as RunRow | undefined
  } finally {
    db.close()
  }
}

/** Rows per table (0 for a table or database that does not exist yet). */
export function rowCounts(dbPath: string, tables: readonly string[]): Record<string, number> {
  const present = new Set(tableNames(dbPath))
  const counts: Record<string, number> = Object.fromEntries(tables.map((t) => [t, 0]))
  if (present.size === 0) return counts
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    for (const table of tables) if (present.has(table)) counts[table] = db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number
  } finally {
    db.close()
  }
  return counts
}

/** The key column values of a table (as strings), in key order. */
export function tableKeys(dbPath: string, table: string, where = 'true'): string[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    const key = keyColumns(db, table)
    return (
      db
        .prepare(`SELECT ${key.map(q).join(` || '|' || `)} FROM ${q(table)} WHERE ${where} ORDER BY ${key.map(q).join(', ')}`)
        .pluck()
        .all() as unknown[]
    ).map(String)
  } finally {
    db.close()
  }
}

/**
 * Rows of `table` in `dbPath` that equal, by key and in every column, the row of none of the
 * `references` databases (`_deleted_at` compared as deleted or not, not by when). 0 means every row is
 * one of theirs: no torn row, no row from nowhere.
 */
export function rowsMatchingNone(dbPath: string, table: string, references: readonly string[]): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    references.forEach((ref, i) => db.prepare(`ATTACH DATABASE ? AS ref${i}`).run(ref))
    const columns = db.prepare(`PRAGMA table_info(${q(table)})`).all() as { name: string; pk: number }[]
    const key = columns.filter((c) => c.pk > 0).map((c) => c.name)
    const same = (alias: string): string =>
      columns
        .map((c) => (c.name === '_deleted_at' ? `((a."_deleted_at" IS NULL) = (${alias}."_deleted_at" IS NULL))` : `a.${q(c.name)} IS ${alias}.${q(c.name)}`))
        .join(' AND ')
    const joins = references.map((_, i) => `LEFT JOIN ref${i}.${q(table)} AS r${i} ON ${key.map((k) => `r${i}.${q(k)} = a.${q(k)}`).join(' AND ')}`)
    const none = references.map((_, i) => `NOT (r${i}.${q(key[0] as string)} IS NOT NULL AND ${same(`r${i}`)})`).join(' AND ')
    return db
      .prepare(`SELECT count(*) FROM main.${q(table)} AS a ${joins.join(' ')} WHERE ${none}`)
      .pluck()
      .get() as number
  } finally {
    db.close()
  }
}

/** The values of `keyField` of an NDJSON file's records, in file order, as strings. */
export function keysInFileOrder(file: string, keyField: string): string[] {
  const keys: string[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() !== '') keys.push(String((JSON.parse(line) as Record<string, unknown>)[keyField]))
  }
  return keys
}

/** Records (non-blank lines) of an NDJSON file. */
export function recordsInFile(file: string): number {
  let records = 0
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() !== '') records++
  return records
}

function keyColumns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${q(table)})`).all() as { name: string; pk: number }[])
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name)
}

function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
