import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, useTestSink } from '../helpers/test-sink.js'

interface Metric {
  help: string
  type: string
  samples: { labels: Record<string, string>; value: number }[]
}

/**
 * A strict little parser of the Prometheus text format: every sample's family announced by HELP and TYPE
 * first, names and labels well-formed, values numbers. Throws on anything else.
 */
function parseMetrics(text: string): Map<string, Metric> {
  const families = new Map<string, Metric>()
  expect(text.endsWith('\n')).toBe(true)
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP (cachesync_[a-z0-9_]+) (.+)$/.exec(line)
    if (help) {
      expect(families.has(help[1] as string), `family ${help[1]} twice`).toBe(false)
      families.set(help[1] as string, { help: help[2] as string, type: '', samples: [] })
      continue
    }
    const type = /^# TYPE (cachesync_[a-z0-9_]+) (gauge|counter)$/.exec(line)
    if (type) {
      const family = families.get(type[1] as string)
      if (family === undefined || family.type !== '') throw new Error(`TYPE without HELP, or twice: ${line}`)
      family.type = type[2] as string
      continue
    }
    const sample = /^(cachesync_[a-z0-9_]+)(?:\{((?:[a-z_]+="[^"\\]*",?)*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line)
    if (sample === null) throw new Error(`not a metric line: ${line}`)
    const family = families.get(sample[1] as string)
    if (family === undefined || family.type === '') throw new Error(`sample before its HELP and TYPE: ${line}`)
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    family.samples.push({ labels, value: Number(sample[3]) })
  }
  return families
}

function value(metrics: Map<string, Metric>, name: string, labels: Record<string, string> = {}): number {
  const family = metrics.get(name)
  if (family === undefined) throw new Error(`no metric ${name}`)
  const found = family.samples.filter(
    (s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length,
  )
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`)
  return (found[0] as { value: number }).value
}

const OUTCOMES = ['read', 'inserted', 'updated', 'unchanged', 'deleted', 'rejected'] as const

/** On each sink, with the database's size read through it: the file and its WAL, or the schema's tables with their indexes. */
describe.each(SINK_KINDS)('sync --metrics-file on %s agrees with the run’s --json report', (kind) => {
  describe(kind, requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)

    it('sync: last run time, phases, records by outcome overall and per source, records/s, peak RSS, failures, database size', async () => {
      const cache = join(tmp(), 'cache')
      await generateDmrCache({ records: 4_000, cacheDir: cache, seed: 8 })
      const file = join(tmp(), 'sync.prom')
      const db = database('a')
      const started = Date.now() / 1000
      const result = await runCli(['sync', '--cache-dir', cache, '--json', '--metrics-file', file, '--log-level', 'silent', ...db.args], db.env)
      expect(result.code, result.stderr).toBe(0)
      const report = JSON.parse(result.stdout)
      const metrics = parseMetrics(readFileSync(file, 'utf8'))
      expect(value(metrics, 'cachesync_sync_last_run_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(started))
      expect(value(metrics, 'cachesync_sync_last_run_timestamp_seconds')).toBeLessThanOrEqual(Date.now() / 1000)
      expect(value(metrics, 'cachesync_sync_success')).toBe(1)
      expect(value(metrics, 'cachesync_sync_failures')).toBe(0)
      for (const outcome of OUTCOMES) expect(value(metrics, 'cachesync_sync_records', { outcome }), outcome).toBe(report.records[outcome])
      for (const source of report.sources) {
        for (const outcome of OUTCOMES) expect(value(metrics, 'cachesync_sync_source_records', { source: source.name, outcome })).toBe(source.records[outcome])
        expect(value(metrics, 'cachesync_sync_source_state', { source: source.name, state: source.state })).toBe(1)
      }
      const phases = { db_init: 'dbInit', read: 'read', transform: 'transform', write: 'write', maintenance: 'maintenance', finalize: 'finalize' }
      for (const [phase, key] of Object.entries(phases)) {
        expect(value(metrics, 'cachesync_sync_phase_duration_seconds', { phase }) * 1000, phase).toBeCloseTo(report.phases[key], 0)
      }
      expect(value(metrics, 'cachesync_sync_duration_seconds') * 1000).toBeCloseTo(report.phases.total, 0)
      expect(value(metrics, 'cachesync_sync_records_per_second')).toBe(report.recordsPerSec)
      expect(value(metrics, 'cachesync_sync_peak_rss_bytes')).toBe(report.peakRssMb * 1024 * 1024)
      const bytes = value(metrics, 'cachesync_sync_database_bytes')
      if (kind === 'sqlite') {
        const path = db.path as string
        expect(bytes).toBe(statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0))
      } else {
        // More than the heap of the schema's tables, less than the whole database (autovacuum may add a map meanwhile).
        const [sizes] = db.query<{ heap: number; database: number }>(
          `SELECT (SELECT sum(pg_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = '${db.schema}' AND c.relkind = 'r')::float8 AS heap, pg_database_size(current_database())::float8 AS database`,
        )
        expect(bytes).toBeGreaterThan(sizes?.heap ?? Number.POSITIVE_INFINITY)
        expect(bytes).toBeLessThan(sizes?.database ?? 0)
      }
      for (const [name, family] of metrics) {
        expect(family.help.length, name).toBeGreaterThan(10)
        expect(family.type, name).toBe('gauge')
      }
      // Written through a temp file and renamed: nothing else is left in the directory.
      expect(readdirSync(tmp()).filter((name) => name.includes('.tmp'))).toEqual([])
    })
  })
})

describe('--metrics-file writes Prometheus text that agrees with the run’s --json report', () => {
  const tmp = useTempDir()
  let api: DemoApi

  beforeAll(async () => {
    api = await startDemoApi({ records: 1_500, seed: 8, faults: { '/static/users.json': { status: 500 } } })
  })
  afterAll(() => api?.close())

  it('sync that cannot run at all (the database locked) still writes success 0 and the time', async () => {
    const db = join(tmp(), 'locked.db')
    writeFileSync(`${db}.lock`, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), startedAt: '2026-01-01T00:00:00Z' }))
    const file = join(tmp(), 'locked.prom')
    const result = await runCli(['sync', '--db', db, '--cache-dir', join(tmp(), 'cache'), '--metrics-file', file, '--log-level', 'silent'])
    expect(result.code).toBe(3)
    const metrics = parseMetrics(readFileSync(file, 'utf8'))
    expect(value(metrics, 'cachesync_sync_success')).toBe(0)
    expect(value(metrics, 'cachesync_sync_last_run_timestamp_seconds')).toBeGreaterThan(0)
  })

  it('sync that cannot reach its PostgreSQL server still writes success 0 and the time', async () => {
    const file = join(tmp(), 'unreachable.prom')
    // Port 1 on the loopback: nothing listens there, the connection is refused at once.
    const result = await runCli(['sync', '--cache-dir', join(tmp(), 'cache'), '--metrics-file', file, '--log-level', 'silent'], {
      CACHESYNC_SINK: 'postgres://me:pw@127.0.0.1:1/db',
    })
    expect(result.code).toBe(1)
    const metrics = parseMetrics(readFileSync(file, 'utf8'))
    expect(value(metrics, 'cachesync_sync_success')).toBe(0)
    expect(value(metrics, 'cachesync_sync_last_run_timestamp_seconds')).toBeGreaterThan(0)
  })

  it('warm: cache hits and misses, retries, breaker opens, failures, per source outcome, as the --json report says', async () => {
    const config = join(tmp(), 'warm.json')
    // Three attempts a request and a breaker that opens on the third failure: users (always 500) opens it once.
    writeFileSync(
      config,
      JSON.stringify({ warm: { concurrency: 1, retry: { attempts: 3, initialDelay: 5, maxDelay: 10, jitter: 0 }, breaker: { failures: 3, openFor: '1h' } } }),
    )
    const cache = join(tmp(), 'warm-cache')
    const file = join(tmp(), 'warm.prom')
    const warm = (...more: string[]) =>
      runCli(['warm', '--config', config, '--base-url', api.url, '--cache-dir', cache, '--json', '--metrics-file', file, '--log-level', 'silent', ...more])
    const first = await warm('--source', 'rptrs,devices')
    expect(first.code, first.stderr).toBe(0)
    // Successes in between would reset the breaker's count: users alone fails three times in a row.
    const failing = await warm('--source', 'users')
    expect(failing.code).toBe(1)
    expect(value(parseMetrics(readFileSync(file, 'utf8')), 'cachesync_warm_breaker_opens')).toBe(1)
    // All three, rptrs and devices now fresh by max-age: two hits, users failing again.
    const result = await warm('--max-age', '1h')
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as { sources: { name: string; outcome: string; retries: number; records: number; bytes: number }[] }
    const metrics = parseMetrics(readFileSync(file, 'utf8'))
    expect(value(metrics, 'cachesync_warm_success')).toBe(0)
    expect(value(metrics, 'cachesync_warm_cache_hits')).toBe(2)
    expect(value(metrics, 'cachesync_warm_failures')).toBe(1)
    const count = (pick: (outcome: string) => boolean): number => report.sources.filter((s) => pick(s.outcome)).length
    expect(value(metrics, 'cachesync_warm_failures')).toBe(count((o) => o === 'failed'))
    expect(value(metrics, 'cachesync_warm_cache_misses')).toBe(count((o) => o === 'fetched'))
    expect(value(metrics, 'cachesync_warm_cache_hits')).toBe(count((o) => o === 'fresh' || o === 'not-modified'))
    expect(value(metrics, 'cachesync_warm_retries')).toBe(report.sources.reduce((sum, s) => sum + s.retries, 0))
    for (const s of report.sources) {
      expect(value(metrics, 'cachesync_warm_source_outcome', { source: s.name, outcome: s.outcome })).toBe(1)
      expect(value(metrics, 'cachesync_warm_source_retries', { source: s.name })).toBe(s.retries)
      expect(value(metrics, 'cachesync_warm_source_records', { source: s.name })).toBe(s.records)
      expect(value(metrics, 'cachesync_warm_source_bytes', { source: s.name })).toBe(s.bytes)
    }
  })

  it('a metrics file in a directory that does not exist: exit 2 before the run, naming it', async () => {
    const file = join(tmp(), 'no', 'such', 'dir', 'x.prom')
    const result = await runCli(['sync', '--db', join(tmp(), 'b.db'), '--cache-dir', join(tmp(), 'cache'), '--metrics-file', file])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`--metrics-file ${file}: directory ${join(tmp(), 'no', 'such', 'dir')} does not exist`)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(readdirSync(tmp())).not.toContain('b.db')
  })
})
