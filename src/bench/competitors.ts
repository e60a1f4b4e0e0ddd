import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { removeDatabaseFiles } from '../sink/sqlite/database-files.js'
import { openDatabase } from '../sink/sqlite/sqlite-driver.js'
import { quoteIdent } from '../sink/sqlite/sqlite-schema.js'
import type { BenchCache } from './bench-data.js'
import { BENCH_CHILD, CLI, PACKAGE_ROOT } from './bench-paths.js'
import type { BenchSample } from './bench-results.js'
import { DUCKDB_LOADER } from './duckdb-loader.js'
import { type MeasuredProcess, measureProcess } from './measure-process.js'
import { type ShellStyle, shellLoadScript } from './sqlite-shell-scripts.js'

/** A run that did not give a figure we can stand behind: it failed, or loaded the wrong number of rows. */
export class BenchRunError extends Error {}

/** Removes a database and its WAL files, so that every run starts from nothing. */
export function freshDb(path: string): string {
  removeDatabaseFiles(path)
  return path
}

/** Rows in every table of a database but SQLite's and cachesync's own (`sqlite_*`, `sync_*`). */
export function countRows(db: string): number {
  const database = openDatabase(db, { readonly: true, fileMustExist: true })
  try {
    const tables = database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'sync\\_%' ESCAPE '\\'")
      .pluck()
      .all() as string[]
    return tables.reduce(
      (n, t) =>
        n +
        Number(
          database
            .prepare(`SELECT count(*) FROM ${quoteIdent(t)}`)
            .pluck()
            .get(),
        ),
      0,
    )
  } finally {
    database.close()
  }
}

function tail(text: string): string {
  const lines = text.trim().split('\n')
  return lines.slice(-3).join(' / ').slice(0, 400)
}

function checked(what: string, run: MeasuredProcess, db: string, expected: number | undefined): number {
  if (run.code !== 0) throw new BenchRunError(`${what} exited with ${run.code}: ${tail(run.stderr || run.stdout)}`)
  const rows = countRows(db)
  if (expected !== undefined && rows !== expected) throw new BenchRunError(`${what} left ${rows} rows, expected ${expected}`)
  return rows
}

/** The environment of our CLI: this one's without CACHESYNC_* settings, so the built-in configuration is measured. */
function cliEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CACHESYNC_')))
}

export interface SyncRun {
  cacheDir: string
  /** The SQLite database; unused where `postgres` is given. */
  db: string
  /** A PostgreSQL database and schema to sync into instead; its rows are counted by the caller. */
  postgres?: { url: string; schema: string } | undefined
  mode: string
  chunk?: number | undefined
  /** Rows the tables must hold afterwards; undefined for a re-sync (soft-deleted rows stay). */
  expectRows: number | undefined
  /** Records the sync must read. */
  expectRead: number
  /** A configuration file (its sources); the built-in DMR sources when undefined. */
  config?: string | undefined
}

/** `cachesync sync --json` in its own process. */
export async function runOurSync(run: SyncRun): Promise<BenchSample> {
  const chunk = run.chunk === undefined ? [] : ['--chunk', String(run.chunk)]
  const config = run.config === undefined ? [] : ['--config', run.config]
  const args = [
    CLI,
    'sync',
    '--mode',
    run.mode,
    ...chunk,
    ...config,
    '--cache-dir',
    run.cacheDir,
    ...(run.postgres === undefined ? ['--db', run.db] : ['--sink', run.postgres.url, '--schema', run.postgres.schema]),
    '--json',
    '--log-level',
    'warn',
    '--no-progress',
  ]
  const result = await measureProcess(process.execPath, args, { env: cliEnv() })
  const what = `cachesync sync --mode ${run.mode}${run.chunk === undefined ? '' : ` --chunk ${run.chunk}`}${run.config === undefined ? '' : ` --config ${run.config}`}`
  if (run.postgres !== undefined && result.code !== 0) throw new BenchRunError(`${what} exited with ${result.code}: ${tail(result.stderr || result.stdout)}`)
  const rows = run.postgres === undefined ? checked(what, result, run.db, run.expectRows) : 0
  const report = JSON.parse(result.stdout) as {
    ok: boolean
    peakRssMb: number
    records: Record<string, number>
    phases: Record<string, number>
    busy: Record<string, number>
    overlap: string
  }
  if (report.records.read !== run.expectRead) throw new BenchRunError(`${what} read ${report.records.read} records, expected ${run.expectRead}`)
  return {
    wallMs: result.wallMs,
    rssMb: result.rssMb ?? report.peakRssMb,
    rows,
    phases: report.phases,
    busy: report.busy,
    overlap: report.overlap,
    counts: report.records,
  }
}

/** Why a competitor cannot run here, or undefined when it can. */
export function competitorMissing(id: 'sqlite3' | 'sqlite-utils'): string | undefined {
  const found = spawnSync(id, ['--version'], { encoding: 'utf8' })
  if (found.error !== undefined || found.status !== 0) return `not run: the \`${id}\` command is not installed (Debian package ${id})`
  return undefined
}

/** The version line of an external tool, for the machine description. */
export function toolVersion(id: 'sqlite3' | 'sqlite-utils'): string | undefined {
  const found = spawnSync(id, ['--version'], { encoding: 'utf8' })
  return found.status === 0
    ? found.stdout
        .trim()
        .split(/\s+/)
        .slice(id === 'sqlite3' ? 0 : -1)[0]
    : undefined
}

/** Why the plain loader cannot run, or undefined when its script is there. */
export function plainLoaderMissing(script: string): string | undefined {
  return existsSync(script) ? undefined : `not run: ${script} not found (the project's ../shared/tools/plain-loader.cjs)`
}

/** The project's plain loader: one thread, whole files, `JSON.parse` a line, positional INSERT OR REPLACE, one transaction. */
export async function runPlainLoader(script: string, cache: BenchCache, db: string): Promise<BenchSample> {
  const result = await measureProcess(process.execPath, [script, PACKAGE_ROOT, cache.dir, freshDb(db)])
  return { wallMs: result.wallMs, rssMb: result.rssMb, rows: checked('the plain loader', result, db, cache.records) }
}

/** The sqlite3 shell running the script of {@link shellLoadScript} on its standard input. */
export async function runSqliteShell(cache: BenchCache, db: string, style: ShellStyle): Promise<BenchSample> {
  const script = `${db}.sql`
  writeFileSync(script, shellLoadScript(cache.sources, style))
  const result = await measureProcess('sqlite3', [freshDb(db)], { stdinFile: script })
  return { wallMs: result.wallMs, rssMb: result.rssMb, rows: checked(`sqlite3 (${style})`, result, db, cache.records) }
}

/** `sqlite-utils insert DB TABLE FILE --nl --pk KEY`, one process a source, as a user types it: times add up, RSS is the largest. */
export async function runSqliteUtils(cache: BenchCache, db: string): Promise<BenchSample> {
  freshDb(db)
  let wallMs = 0
  let rssMb: number | undefined = 0
  for (const { file, spec } of cache.sources) {
    const pk = spec.key.flatMap((k) => ['--pk', spec.columns.find((c) => c.name === k)?.from.join('.') ?? k])
    const result = await measureProcess('sqlite-utils', ['insert', db, spec.table, file, '--nl', ...pk])
    if (result.code !== 0) throw new BenchRunError(`sqlite-utils insert ${spec.table} exited with ${result.code}: ${tail(result.stderr)}`)
    wallMs += result.wallMs
    rssMb = result.rssMb === undefined || rssMb === undefined ? undefined : Math.max(rssMb, result.rssMb)
  }
  const rows = countRows(db)
  if (rows !== cache.records) throw new BenchRunError(`sqlite-utils left ${rows} rows, expected ${cache.records}`)
  return { wallMs, rssMb, rows }
}

/** The naive baseline of {@link naiveLoad} on the subset, in the bench's child process. */
export async function runNaive(subset: BenchCache, db: string): Promise<BenchSample> {
  const inputs = subset.sources.map(({ file, spec }) => ({
    file,
    table: spec.table,
    key: spec.key.map((k) => spec.columns.find((c) => c.name === k)?.from.join('.') ?? k),
  }))
  const result = await measureProcess(process.execPath, [BENCH_CHILD, 'naive', JSON.stringify({ db: freshDb(db), inputs })])
  return { wallMs: result.wallMs, rssMb: result.rssMb, rows: checked('the naive baseline', result, db, subset.records) }
}

/** DuckDB's own files: the database and its write-ahead log. */
function removeDuckDb(db: string): void {
  for (const path of [db, `${db}.wal`]) rmSync(path, { force: true })
}

/** DuckDB loading every cache file with `read_ndjson_auto`, in a process of its own (see duckdb-loader.ts). */
export async function runDuckDb(cache: BenchCache, db: string): Promise<BenchSample> {
  removeDuckDb(db)
  try {
    const inputs = cache.sources.map(({ file, spec }) => ({ file, table: spec.table }))
    const result = await measureProcess(process.execPath, [DUCKDB_LOADER, JSON.stringify({ db, inputs })])
    if (result.code !== 0) throw new BenchRunError(`DuckDB exited with ${result.code}: ${tail(result.stderr || result.stdout)}`)
    const { rows } = JSON.parse(result.stdout) as { rows: number }
    if (rows !== cache.records) throw new BenchRunError(`DuckDB loaded ${rows} rows, expected ${cache.records}`)
    return { wallMs: result.wallMs, rssMb: result.rssMb, rows }
  } finally {
    removeDuckDb(db)
  }
}

/** The write ceiling of {@link copyTables}: the finished tables of `sourceDb` copied into empty ones. */
export async function runCeiling(sourceDb: string, db: string, tables: readonly string[], expected: number): Promise<BenchSample> {
  const result = await measureProcess(process.execPath, [BENCH_CHILD, 'ceiling', JSON.stringify({ source: sourceDb, target: freshDb(db), tables })])
  const rows = checked('the table copy', result, db, expected)
  const { ms } = JSON.parse(result.stdout) as { ms: number }
  return { wallMs: result.wallMs, rssMb: result.rssMb, rows, innerMs: ms }
}
