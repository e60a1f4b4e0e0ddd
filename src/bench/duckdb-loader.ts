/**
 * DuckDB loading the cache files, in a process of its own, as a user who wants "this JSON in a database"
 * would type it: `CREATE TABLE t AS SELECT * FROM read_ndjson_auto(file)` a file, then `CHECKPOINT`.
 *   node duckdb-loader.js '{"db":…,"inputs":[{"file":…,"table":…}]}' → {"rows"}
 * DuckDB is a development dependency: where it is not installed the bench reports why and goes on.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packageRoot } from '../util/package-root.js'

export interface DuckDbInput {
  file: string
  table: string
}

/** Why DuckDB cannot run here, or undefined when `@duckdb/node-api` resolves. */
export function duckDbMissing(): string | undefined {
  try {
    createRequire(import.meta.url).resolve('@duckdb/node-api')
    return undefined
  } catch {
    return 'not run: `@duckdb/node-api` is not installed (a development dependency: `npm install` in a clone)'
  }
}

/** This file as built in `dist/src/bench/`, for the bench to run it as a child (the CLI runs from a bundle). */
export const DUCKDB_LOADER = join(packageRoot(), 'dist', 'src', 'bench', 'duckdb-loader.js')

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`

async function load(db: string, inputs: readonly DuckDbInput[]): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(db)
  const connection = await instance.connect()
  try {
    for (const { file, table } of inputs) {
      await connection.run(`CREATE TABLE ${quote(table)} AS SELECT * FROM read_ndjson_auto(${literal(file)})`)
    }
    await connection.run('CHECKPOINT')
    let rows = 0
    for (const { table } of inputs) {
      const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${quote(table)}`)
      rows += Number(reader.getRows()[0]?.[0])
    }
    return rows
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

if (process.argv[1] !== undefined && existsSync(process.argv[1]) && fileURLToPath(import.meta.url) === process.argv[1]) {
  const input = JSON.parse(process.argv[2] ?? '{}') as { db: string; inputs: DuckDbInput[] }
  process.stdout.write(`${JSON.stringify({ rows: await load(input.db, input.inputs) })}\n`)
}
