import type { ResolvedSource } from '../config/resolve-config.js'
import { quoteIdent, sqlType } from '../sink/sqlite/sqlite-schema.js'

/** A cache file and the source that describes its table. */
export interface ShellInput {
  file: string
  spec: ResolvedSource
}

/** How the sqlite3 shell reads NDJSON: `.import` of lines into a staging table, or one `readfile()` through `json_each`. */
export type ShellStyle = 'import' | 'json-each'

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

function jsonPath(from: readonly string[]): string {
  return `$${from.map((part) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `.${part}` : `."${part.replaceAll('"', '\\"')}"`)).join('')}`
}

/** The table a SQL-minded user writes for a source: the configured columns and types, the key as primary key. */
export function plainTableSql(spec: ResolvedSource): string {
  const single = spec.key.length === 1 ? spec.columns.find((c) => c.name === spec.key[0]) : undefined
  const rowidKey = single !== undefined && single.type === 'integer'
  const columns = spec.columns.map((c) => `${quoteIdent(c.name)} ${sqlType(c)}${rowidKey && c.name === single.name ? ' PRIMARY KEY' : ''}`)
  if (!rowidKey) columns.push(`PRIMARY KEY (${spec.key.map(quoteIdent).join(', ')})`)
  return `CREATE TABLE ${quoteIdent(spec.table)} (${columns.join(', ')});`
}

function insertSql(spec: ResolvedSource, json: string, from: string): string {
  const values = spec.columns.map((c) => `json_extract(${json}, ${sqlString(jsonPath(c.from))})`)
  return `INSERT OR REPLACE INTO ${quoteIdent(spec.table)} SELECT ${values.join(', ')} FROM ${from};`
}

/**
 * A sqlite3 shell script that loads NDJSON files into typed tables in one transaction, WAL, synchronous NORMAL:
 * - `import`: `.import` each file's lines into a temp staging table (ASCII mode, unit separator as the column
 *   separator, which JSON text cannot hold raw), then `INSERT … SELECT json_extract(line, …)`;
 * - `json-each`: the whole file as one JSON array (`readfile()`, newlines made commas), through `json_each`.
 */
export function shellLoadScript(inputs: readonly ShellInput[], style: ShellStyle): string {
  const lines = ['.bail on', 'PRAGMA journal_mode = WAL;', 'PRAGMA synchronous = NORMAL;', 'BEGIN;']
  for (const { spec } of inputs) lines.push(plainTableSql(spec))
  if (style === 'import') {
    lines.push('.mode ascii', '.separator "\\037" "\\n"')
    inputs.forEach(({ file, spec }, i) => {
      lines.push(`CREATE TEMP TABLE staging${i} (line TEXT);`, `.import --schema temp ${JSON.stringify(file)} staging${i}`)
      lines.push(insertSql(spec, 'line', `temp.staging${i}`))
    })
  } else {
    for (const { file, spec } of inputs) {
      const array = `'[' || replace(rtrim(readfile(${sqlString(file)}), char(10)), char(10), ',') || ']'`
      lines.push(insertSql(spec, 'value', `json_each(${array})`))
    }
  }
  lines.push('COMMIT;')
  return `${lines.join('\n')}\n`
}
