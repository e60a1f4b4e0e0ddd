import { spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BenchData, recordsToResync } from './bench-data.js'
import type { BenchRun, BenchSample } from './bench-results.js'
import { BenchRunError, runOurSync } from './competitors.js'
import { measureProcess } from './measure-process.js'

/** The schemas the bench owns in the given database: dropped before every round, and at the end. */
const SYNC_SCHEMA = 'cachesync_bench'
const COPY_SCHEMA = 'cachesync_bench_copy'

/** One configuration of the bench: its run, and how to take one sample of it. */
export interface BenchConfig {
  run: BenchRun
  once: () => Promise<BenchSample>
  /** Runs `repeatSlow` times instead of `repeat`: a slow tool, measured for comparison only. */
  slow: boolean
}

/** Why the PostgreSQL rows cannot run, or undefined when psql is there. */
function psqlMissing(): string | undefined {
  const found = spawnSync('psql', ['--version'], { encoding: 'utf8' })
  return found.error !== undefined || found.status !== 0 ? 'not run: the `psql` command is not installed (Debian package postgresql-client)' : undefined
}

/** Runs SQL (or psql meta-commands) in one psql process, stopping at the first error; its output, unaligned. */
function psql(url: string, script: string): string {
  const result = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: script, encoding: 'utf8' })
  if (result.status !== 0) throw new BenchRunError(`psql exited with ${result.status}: ${(result.stderr || String(result.error ?? '')).trim().slice(0, 400)}`)
  return result.stdout
}

/** Rows in the tables of a schema but cachesync's own (`sync_*`). */
function countRows(url: string, schema: string, tables: readonly string[]): number {
  const counts = tables.map((t) => `SELECT count(*) FROM "${schema}"."${t}"`).join(' UNION ALL ')
  return psql(url, `SELECT sum(count) FROM (${counts}) AS c;`)
    .trim()
    .split('\n')
    .reduce((n, line) => n + Number(line), 0)
}

function dropSchemas(url: string): void {
  psql(url, `SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${SYNC_SCHEMA} CASCADE; DROP SCHEMA IF EXISTS ${COPY_SCHEMA} CASCADE;`)
}

/**
 * PostgreSQL in the same sitting (issue 16 §3, §4): a parallel first sync into an empty schema, then
 * `psql \copy` of the very rows that sync left into empty tables of the same shape (primary key
 * included: the server's own ceiling for these rows, one process, one transaction), then a 1 % change
 * re-sync over the first sync's tables. Each round in that order; the schemas are dropped before every
 * round. The URL never appears in the report: it may hold a password.
 */
export function postgresConfigs(url: string, data: BenchData, dbDir: string): BenchConfig[] {
  const missing = psqlMissing()
  const tables = data.base.sources.map((s) => s.spec.table)
  const run = (id: string, label: string, records: number): BenchRun => ({
    id,
    label,
    records,
    samples: [],
    ...(missing === undefined ? {} : { unavailable: missing }),
  })
  const first = run('pg-first', 'PostgreSQL, first sync (parallel)', data.base.records)
  const copy = run('pg-copy', 'PostgreSQL, psql \\copy of the same rows', data.base.records)
  const resync = run('pg-resync-changed', 'PostgreSQL, re-sync, 1 % changed (parallel)', data.changed.records)
  const sink = { url, schema: SYNC_SCHEMA }
  const needsFirst = (): void => {
    if (first.samples.length === 0 || first.failed !== undefined) throw new BenchRunError('the first sync of this round did not finish')
  }
  return [
    {
      run: first,
      slow: false,
      once: async () => {
        dropSchemas(url)
        const sample = await runOurSync({
          cacheDir: data.base.dir,
          db: '',
          postgres: sink,
          mode: 'parallel',
          expectRows: undefined,
          expectRead: data.base.records,
        })
        return checkedRows(sample, countRows(url, SYNC_SCHEMA, tables), data.base.records, 'the PostgreSQL first sync')
      },
    },
    {
      run: copy,
      slow: false,
      once: async () => {
        needsFirst()
        const files = tables.map((t) => join(dbDir, `${t}.copy`))
        try {
          psql(
            url,
            [
              `CREATE SCHEMA ${COPY_SCHEMA};`,
              ...tables.map(
                (t, i) => `CREATE TABLE ${COPY_SCHEMA}."${t}" (LIKE ${SYNC_SCHEMA}."${t}" INCLUDING ALL);\n\\copy ${SYNC_SCHEMA}."${t}" TO '${files[i]}'`,
              ),
            ].join('\n'),
          )
          const script = join(dbDir, 'copy.sql')
          writeFileSync(script, `${tables.map((t, i) => `\\copy ${COPY_SCHEMA}."${t}" FROM '${files[i]}'`).join('\n')}\n`)
          const result = await measureProcess('psql', ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', script])
          if (result.code !== 0) throw new BenchRunError(`psql \\copy exited with ${result.code}: ${result.stderr.trim().slice(0, 400)}`)
          const rows = countRows(url, COPY_SCHEMA, tables)
          return checkedRows({ wallMs: result.wallMs, rssMb: result.rssMb, rows }, rows, data.base.records, 'psql \\copy')
        } finally {
          for (const file of [...files, join(dbDir, 'copy.sql')]) rmSync(file, { force: true })
        }
      },
    },
    {
      run: resync,
      slow: false,
      once: async () => {
        needsFirst()
        try {
          return await runOurSync({
            cacheDir: data.changed.dir,
            db: '',
            postgres: sink,
            mode: 'parallel',
            expectRows: undefined,
            expectRead: recordsToResync(data.base, data.changed),
          })
        } finally {
          dropSchemas(url)
        }
      },
    },
  ]
}

function checkedRows(sample: BenchSample, rows: number, expected: number, what: string): BenchSample {
  if (rows !== expected) throw new BenchRunError(`${what} left ${rows} rows, expected ${expected}`)
  return { ...sample, rows }
}
