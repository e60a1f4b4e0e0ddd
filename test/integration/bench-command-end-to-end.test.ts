import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BenchReport } from '../../src/bench/bench-report.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { type CliResult, runCli, STACK_LINE } from '../helpers/run-cli.js'
import { requireTools } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 5_000
const NAIVE = 200
const SIDE_BY_SIDE = ['plain', 'duckdb', 'naive', 'sqlite3-import', 'sqlite3-json-each', 'sqlite-utils', 'ceiling'] as const

describe('`cachesync bench` runs every table end to end on a small data set', () => {
  const tmp = useTempDir()
  let run: CliResult
  let report: BenchReport

  beforeAll(async () => {
    const args = ['bench', '--records', String(RECORDS), '--repeat', '1', '--chunks', '500,1000', '--naive-records', String(NAIVE), '--json']
    run = await runCli([...args, '--out', join(tmp(), 'out'), '--work', join(tmp(), 'work')])
    report = JSON.parse(run.stdout) as BenchReport
  }, 240_000)

  it('exits 0 with one JSON object on stdout, describing the machine and the data set', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(report.machine.cores).toBeGreaterThan(0)
    expect(report.machine.sqlite).toMatch(/^3\.\d+/)
    expect(report.data.records).toBe(RECORDS)
    expect(report.data.subsetRecords).toBe(NAIVE)
  })

  it('measures every mode, streaming at each chunk size, and inferred columns, with a real row count each run', () => {
    expect(report.tables.modes.map((r) => r.mode)).toEqual(['parallel', 'sequential', 'streaming', 'inferred'])
    expect(report.tables.chunks.map((r) => r.chunk)).toEqual([500, 1000])
    for (const row of [...report.tables.modes, ...report.tables.chunks]) {
      expect(row.status, `${row.id}: ${row.reason}`).toBe('measured')
      expect(row.recordsPerSec).toBeGreaterThan(0)
      expect(row.rssMb).toBeGreaterThan(0)
    }
    for (const id of ['parallel', 'sequential', 'streaming-500', 'streaming-1000', 'inferred']) {
      const samples = report.runs.find((r) => r.id === id)?.samples ?? []
      expect(samples.map((s) => s.rows)).toEqual([RECORDS])
    }
  })

  it('breaks the fastest configuration into phases that add up to its total', () => {
    const rows = report.tables.phases.rows
    expect(report.tables.phases.id).toBe(report.tables.best)
    expect(rows.map((r) => r.phase)).toEqual(expect.arrayContaining(['dbInit', 'read', 'transform', 'write', 'finalize', 'total']))
    const total = rows.find((r) => r.phase === 'total')?.ms ?? 0
    const parts = rows.filter((r) => r.phase !== 'total').reduce((sum, r) => sum + r.ms, 0)
    expect(total).toBeGreaterThan(0)
    expect(parts).toBeLessThanOrEqual(total * 1.01 + 1)
  })

  it('re-syncs nothing changed without reading a record, and 1 % changed with the change set applied', () => {
    const [first, unchanged, changed] = report.tables.incremental
    expect(first?.counts?.inserted).toBe(RECORDS)
    expect(unchanged?.status).toBe('measured')
    expect(unchanged?.counts?.read).toBe(0)
    expect(unchanged?.totalRatio).toBeGreaterThan(0)
    expect(changed?.status).toBe('measured')
    expect(changed?.counts?.read).toBe(report.data.changedRecords)
    expect((changed?.counts?.updated ?? 0) + (changed?.counts?.inserted ?? 0) + (changed?.counts?.deleted ?? 0)).toBeGreaterThan(0)
    expect(changed?.counts?.unchanged).toBeGreaterThan(RECORDS * 0.9)
  })

  it('has a side-by-side row for every competitor: measured with its rows checked, or unavailable with a reason', () => {
    const rows = report.tables.sideBySide
    expect(rows[0]?.id).toBe(report.tables.best)
    expect(rows.slice(1).map((r) => r.id)).toEqual([...SIDE_BY_SIDE])
    for (const row of rows.slice(1)) {
      if (row.status === 'measured') {
        expect(row.oursRatio, row.id).toBeGreaterThan(0)
        expect(report.runs.find((r) => r.id === row.id)?.samples.every((s) => s.rows === row.records)).toBe(true)
      } else expect(row.reason, row.id).toMatch(/\S/)
    }
    // What needs no other tool must really run: a failure here is a broken competitor, not a missing one.
    expect(rows.find((r) => r.id === 'naive')?.status).toBe('measured')
    expect(rows.find((r) => r.id === 'ceiling')?.status).toBe('measured')
    // DuckDB is a development dependency: installed wherever these tests run.
    expect(rows.find((r) => r.id === 'duckdb')?.status).toBe('measured')
    expect(rows.find((r) => r.id === 'naive')?.scaledMs).toBeCloseTo(((rows.find((r) => r.id === 'naive')?.ms ?? 0) * RECORDS) / NAIVE)
  })

  // Where a tool is installed its rows must be measured; without it they say so (the last describe).
  it('measures both sqlite3 shell rows', requireTools('sqlite3'), () => {
    for (const id of ['sqlite3-import', 'sqlite3-json-each']) {
      const row = report.tables.sideBySide.find((r) => r.id === id)
      expect(row?.status, `${id}: ${row?.reason}`).toBe('measured')
    }
  })

  it('measures the sqlite-utils row', requireTools('sqlite-utils'), () => {
    const row = report.tables.sideBySide.find((r) => r.id === 'sqlite-utils')
    expect(row?.status, row?.reason).toBe('measured')
  })

  it('writes the same report as JSON and Markdown to --out, and removes its databases', () => {
    const files = readdirSync(join(tmp(), 'out')).sort()
    expect(files).toHaveLength(2)
    const [json, md] = files as [string, string]
    expect(json).toMatch(/^bench-\d{4}-\d\d-\d\dT\d{4}\.json$/)
    expect((JSON.parse(readFileSync(join(tmp(), 'out', json), 'utf8')) as BenchReport).tables).toEqual(report.tables)
    const markdown = readFileSync(join(tmp(), 'out', md), 'utf8')
    for (const heading of ['## Modes', '## Streaming chunk sizes', '## Phases', '## Incremental', '## Side by side']) expect(markdown).toContain(heading)
    expect(readdirSync(join(tmp(), 'work')).filter((f) => f.startsWith('db-'))).toEqual([])
    expect(existsSync(join(tmp(), 'work', `dmr-${RECORDS}-seed1`, 'users.ndjson'))).toBe(true)
  })
})

describe('`cachesync bench --postgres` times a first sync, psql \\copy and a re-sync on a real PostgreSQL', requirePostgres(), () => {
  const tmp = useTempDir()
  const { cluster } = usePostgres()
  const records = 2_000

  it('measures the three rows with their rows counted, gives both ratios, leaves no schema behind and never prints the URL', async () => {
    // A password in the URL (the cluster trusts local connections, so any will do) must not reach the report.
    const url = cluster().url().replace('postgres@', 'postgres:s3cret-in-url@')
    const args = ['bench', '--records', String(records), '--repeat', '2', '--modes', 'parallel', '--chunks', '500', '--naive-records', '20', '--json']
    const run = await runCli([...args, '--postgres', url, '--out', join(tmp(), 'out'), '--work', join(tmp(), 'work')])
    expect(run.code, run.stderr).toBe(0)
    const report = JSON.parse(run.stdout) as BenchReport
    const rows = report.tables.postgres
    expect(rows.map((r) => r.id)).toEqual(['pg-first', 'pg-copy', 'pg-resync-changed'])
    for (const row of rows) expect(row.status, `${row.id}: ${row.reason}`).toBe('measured')
    for (const id of ['pg-first', 'pg-copy']) expect(report.runs.find((r) => r.id === id)?.samples.map((s) => s.rows)).toEqual([records, records])
    const [first, copy, resync] = rows
    expect(first?.counts?.inserted).toBe(records)
    expect(first?.ratio).toBeCloseTo((copy?.ms ?? 0) / (first?.ms ?? 1))
    // The bench checked that it read the records of the changed files; some of them changed.
    expect(resync?.counts?.read).toBeGreaterThan(0)
    expect((resync?.counts?.updated ?? 0) + (resync?.counts?.inserted ?? 0) + (resync?.counts?.deleted ?? 0)).toBeGreaterThan(0)
    expect(resync?.ratio).toBeCloseTo((first?.totalMs ?? 0) / (resync?.totalMs ?? 1))
    expect(cluster().psql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'cachesync_bench%'").trim()).toBe('0')
    const markdown = readFileSync(join(tmp(), 'out', readdirSync(join(tmp(), 'out')).find((f) => f.endsWith('.md')) as string), 'utf8')
    expect(markdown).toContain('## PostgreSQL')
    for (const text of [run.stdout, run.stderr, markdown]) expect(text).not.toContain('s3cret-in-url')
  }, 240_000)

  it('refuses a --postgres that is not a PostgreSQL URL, naming the flag', async () => {
    const result = await runCli(['bench', '--postgres', 'localhost:5432', '--work', '/nonexistent-never-created'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--postgres takes a postgres:\/\/ or postgresql:\/\/ URL/)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })
})

describe('`cachesync bench` refuses bad flags with exit 2 and a message naming the flag', () => {
  it.each([
    [['--modes', 'parallel,fast'], /--modes: unknown mode "fast"; expected parallel, sequential, streaming/],
    [['--chunks', '500,abc'], /--chunks: "abc" is not a positive integer/],
    [['--repeat', '0'], /--repeat must be a positive integer, got 0/],
    [['--records', '-5'], /--records must be a positive integer, got -5/],
  ])('%j', async (flags, message) => {
    const result = await runCli(['bench', ...flags, '--work', '/nonexistent-never-created'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(existsSync('/nonexistent-never-created')).toBe(false)
  })
})

describe('`cachesync bench` on a machine without the competitors', () => {
  const tmp = useTempDir()

  it('gives each missing tool a row saying so, still measures the rest, and sweeps the databases of a killed bench', async () => {
    // What a bench killed mid-run leaves: its databases under db-<pid>, the pid gone (above Linux's pid_max).
    mkdirSync(join(tmp(), 'work', 'db-999999999'), { recursive: true })
    writeFileSync(join(tmp(), 'work', 'db-999999999', 'parallel.db'), 'left behind')
    // A PATH holding node alone: no sqlite3, no sqlite-utils (the children are started by absolute paths).
    const bin = join(tmp(), 'bin')
    mkdirSync(bin)
    symlinkSync(process.execPath, join(bin, 'node'))
    const args = ['bench', '--records', '600', '--repeat', '1', '--modes', 'sequential', '--naive-records', '30', '--json']
    const run = await runCli([...args, '--plain-loader', join(tmp(), 'absent.cjs'), '--out', join(tmp(), 'out'), '--work', join(tmp(), 'work')], { PATH: bin })
    expect(run.code, run.stderr).toBe(0)
    const rows = (JSON.parse(run.stdout) as BenchReport).tables.sideBySide
    const row = (id: string) => rows.find((r) => r.id === id)
    expect(row('plain')).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('absent.cjs not found') })
    expect(row('sqlite3-import')).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('`sqlite3` command is not installed') })
    expect(row('sqlite3-json-each')?.status).toBe('unavailable')
    expect(row('sqlite-utils')).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('`sqlite-utils` command is not installed') })
    expect(row('naive')?.status).toBe('measured')
    expect(row('ceiling')?.status).toBe('measured')
    expect(rows[0]?.id).toBe('sequential')
    expect(readdirSync(join(tmp(), 'work')).filter((f) => f.startsWith('db-'))).toEqual([])
  })
})
