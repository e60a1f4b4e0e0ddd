import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { query } from '../helpers/database.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { allElements, parseXml } from '../helpers/xml.js'

interface RunJson {
  id: number
  outcome: string
  mode: string | null
  chunk: number | null
  records: { read: number; inserted: number }
  phases: { total: number } | null
  recordsPerSec: number | null
  peakRssMb: number | null
  error: string | null
}

interface StatusJson {
  db: { path: string; exists: boolean; bytes: number; pages: number; pageSize: number; lastRun: { id: number; outcome: string } | null; syncLock: unknown }
  warmLock: unknown
  sources: {
    name: string
    rows: { live: number; deleted: number } | null
    lastSync: { runId: number; state: string; records: { read: number; deleted: number } } | null
    cache: { file: string | null; bytes: number | null; ageMs: number | null; maxAgeMs: number | null; fresh: boolean | null; missing: string | null }
    lastWarm: { outcome: string; error?: string; records: number } | null
  }[]
}

const MODES = ['parallel', 'sequential', 'streaming'] as const

/**
 * A database with several runs (three modes, a change set, a failed run) and a cache warmed from the demo
 * API (one source failing on the second warm): `status` and `history`, as text and as --json.
 */
describe('status and history on a database with several runs', () => {
  const tmp = useTempDir()
  const db = (): string => join(tmp(), 'data', 'dmr.db')
  const cache = (): string => join(tmp(), 'cache')
  let api: DemoApi
  let failing: DemoApi

  beforeAll(async () => {
    api = await startDemoApi({ records: 2_000, seed: 7 })
    failing = await startDemoApi({ records: 2_000, seed: 7, faults: { '/static/users.json': { status: 404 } } })
    const warm = await runCli(['warm', '--base-url', api.url, '--cache-dir', cache(), '--log-level', 'silent'])
    expect(warm.code, warm.stderr).toBe(0)
    for (const mode of MODES) {
      const sync = await runCli(['sync', '--db', db(), '--cache-dir', cache(), '--mode', mode, '--force', '--log-level', 'silent'])
      expect(sync.code, sync.stderr).toBe(0)
    }
    // The second warm: users fails (404), the others are fetched again; the old users cache is kept.
    const again = await runCli(['warm', '--base-url', failing.url, '--cache-dir', cache(), '--log-level', 'silent'])
    expect(again.code).toBe(1)
    // A failed run: a broken record in rptrs with no rejects allowed.
    const rptrs = join(cache(), 'rptrs.ndjson')
    writeFileSync(rptrs, `${readFileSync(rptrs, 'utf8')}{"id": "not a number"\n`)
    const failed = await runCli(['sync', '--db', db(), '--cache-dir', cache(), '--log-level', 'silent'], { CACHESYNC_MAX_REJECTS: '0' })
    expect(failed.code).toBe(1)
  })
  afterAll(async () => {
    await api?.close()
    await failing?.close()
  })

  it('history --json: every run, newest first, with mode, chunk, records, records/s, phases, peak RSS and outcome', async () => {
    const result = await runCli(['history', '--db', db(), '--json'])
    expect(result.code, result.stderr).toBe(0)
    const { runs } = JSON.parse(result.stdout) as { runs: RunJson[] }
    expect(runs.map((r) => r.outcome)).toEqual(['partial', 'ok', 'ok', 'ok'])
    expect(runs.map((r) => r.mode)).toEqual([expect.any(String), 'streaming', 'sequential', 'parallel'])
    expect(runs.map((r) => r.id)).toEqual([...runs.map((r) => r.id)].sort((a, b) => b - a))
    const stored = query<{ id: number; total_ms: number; records_per_sec: number; peak_rss_mb: number }>(
      db(),
      'SELECT id, total_ms, records_per_sec, peak_rss_mb FROM sync_runs ORDER BY id DESC',
    )
    for (const [i, run] of runs.entries()) {
      expect(run.phases?.total).toBe(stored[i]?.total_ms)
      expect(run.recordsPerSec).toBe(stored[i]?.records_per_sec)
      expect(run.peakRssMb).toBe(stored[i]?.peak_rss_mb)
      expect(run.chunk).toBeGreaterThan(0)
    }
    expect(runs[3]?.records).toMatchObject({ read: 2_000, inserted: 2_000 })
    expect(runs[0]?.error).toMatch(/^rptrs: /)
  })

  it('history prints a table, oldest first, and the failed run’s error; --limit keeps the newest N', async () => {
    const result = await runCli(['history', '--db', db()])
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(
      /^run\s+started \(UTC\)\s+mode\s+outcome\s+chunk\s+records\s+rec\/s\s+db init\s+read\s+transform\s+write\s+finalize\s+total\s+peak RSS$/,
    )
    expect(lines.slice(1, 5).map((line) => line.split(/\s+/)[4])).toEqual(['parallel', 'sequential', 'streaming', expect.any(String)])
    expect(lines.slice(1, 5).map((line) => line.split(/\s+/)[5])).toEqual(['ok', 'ok', 'ok', 'partial'])
    expect(lines[1]).toMatch(/ 2,000 +[\d,]+ +.* \d+ MB$/)
    expect(lines[5]).toMatch(/^ {2}✗ run \d+: rptrs: /)
    const limited = await runCli(['history', '--db', db(), '--limit', '2', '--json'])
    expect((JSON.parse(limited.stdout) as { runs: RunJson[] }).runs.map((r) => r.outcome)).toEqual(['partial', 'ok'])
  })

  it('history --plot FILE.svg draws a well-formed SVG with one point per run in each panel', async () => {
    const plot = join(tmp(), 'history.svg')
    const result = await runCli(['history', '--db', db(), '--plot', plot])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`plot: ${plot} (4 runs)`)
    const ids = query<{ id: number }>(db(), 'SELECT id FROM sync_runs ORDER BY id').map((r) => String(r.id))
    const circles = allElements(parseXml(readFileSync(plot, 'utf8'))).filter((e) => e.name === 'circle')
    expect(circles.filter((c) => c.attributes.class === 'time').map((c) => c.attributes['data-run'])).toEqual(ids)
    expect(circles.filter((c) => c.attributes.class === 'rate').map((c) => c.attributes['data-run'])).toEqual(ids)
    expect(readdirSync(tmp()).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  it('history --plot FILE.png is refused before anything is read, with the command that converts an SVG', async () => {
    const png = join(tmp(), 'history.png')
    const result = await runCli(['history', '--db', db(), '--plot', png])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`--plot ${png}: cachesync draws SVG only; write ${join(tmp(), 'history.svg')} and convert it, e.g. \`rsvg-convert`)
    expect(result.stdout).toBe('')
    expect(existsSync(png)).toBe(false)
  })

  it('status --json: per source rows, last sync, cache age and freshness, last warm; database size and pages; nothing running', async () => {
    const result = await runCli(['status', '--db', db(), '--cache-dir', cache(), '--json'], { CACHESYNC_MAX_AGE: '1h' })
    expect(result.code, result.stderr).toBe(0)
    const status = JSON.parse(result.stdout) as StatusJson
    expect(status.db).toMatchObject({ path: db(), exists: true, lastRun: { outcome: 'partial' }, syncLock: null })
    expect(status.db.pages * status.db.pageSize).toBeLessThanOrEqual(status.db.bytes)
    expect(status.db.pages).toBeGreaterThan(0)
    expect(status.warmLock).toBeNull()
    const byName = Object.fromEntries(status.sources.map((s) => [s.name, s]))
    const rows = query<{ n: number }>(db(), 'SELECT count(*) AS n FROM users WHERE _deleted_at IS NULL')[0]?.n
    expect(byName.users?.rows).toEqual({ live: rows, deleted: 0 })
    expect(byName.rptrs?.lastSync).toMatchObject({ runId: status.db.lastRun?.id, state: 'failed' })
    expect(byName.users?.lastSync).toMatchObject({ state: 'unchanged' })
    expect(byName.users?.lastWarm).toMatchObject({ outcome: 'failed', records: 0 })
    expect(byName.users?.lastWarm?.error).toContain('HTTP 404')
    expect(byName.devices?.lastWarm).toMatchObject({ outcome: 'fetched' })
    for (const source of status.sources) {
      expect(source.cache).toMatchObject({ maxAgeMs: 3_600_000, fresh: true, missing: null })
      expect(source.cache.ageMs).toBeGreaterThanOrEqual(0)
    }
  })

  it('status as text: the database line, what runs, one row per source, the failures named', async () => {
    const result = await runCli(['status', '--db', db(), '--cache-dir', cache()])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^database ${db()}: [\\d.]+ [kM]?B, [\\d,]+ pages of 4,096 B \\(\\d+ free\\)\\n`))
    expect(result.stdout).toContain('\nsync: not running\n')
    expect(result.stdout).toMatch(/\nusers +[\d,]+ s ago +unchanged +[\d,]+ +0 .* no max-age +failed, \d+ s ago\n/)
    expect(result.stdout).toMatch(/ {2}✗ users, last warm: HTTP 404 from /)
    expect(result.stdout).toMatch(/ {2}✗ rptrs, last sync: /)
  })

  it('status shows a sync holding the lock as running, and a dead holder as a stale lock', async () => {
    writeFileSync(`${db()}.lock`, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), startedAt: '2026-01-01T00:00:00Z' }))
    try {
      const live = await runCli(['status', '--db', db(), '--cache-dir', cache()])
      expect(live.stdout).toContain(`\nsync: RUNNING: pid ${process.pid} on `)
      writeFileSync(`${db()}.lock`, JSON.stringify({ pid: 2 ** 22 + 12_345, host: (await import('node:os')).hostname(), startedAt: '2026-01-01T00:00:00Z' }))
      const dead = await runCli(['status', '--db', db(), '--cache-dir', cache(), '--json'])
      expect((JSON.parse(dead.stdout) as StatusJson).db.syncLock).toMatchObject({ pid: 2 ** 22 + 12_345, alive: false })
    } finally {
      rmSync(`${db()}.lock`, { force: true })
    }
  })
})

describe('status and history before anything exists', () => {
  const tmp = useTempDir()

  it('status on a database that does not exist yet and a cache without meta files: a clear message, exit 0', async () => {
    const cache = join(tmp(), 'hand-made')
    await generateDmrCache({ records: 300, cacheDir: cache, seed: 1 })
    for (const name of ['rptrs', 'users', 'devices']) rmSync(join(cache, `${name}.meta.json`))
    rmSync(join(cache, 'devices.ndjson'))
    const db = join(tmp(), 'nothing', 'yet.db')
    const result = await runCli(['status', '--db', db, '--cache-dir', cache])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`database ${db}: does not exist yet — \`cachesync sync\` creates it`)
    expect(result.stdout).toMatch(/\nusers +never +- +- +- .* no max-age +not recorded\n/)
    expect(result.stdout).toContain('! No cache file for source devices')
    const json = JSON.parse((await runCli(['status', '--db', db, '--cache-dir', cache, '--json'])).stdout) as StatusJson
    expect(json.db).toMatchObject({ exists: false, bytes: 0, lastRun: null })
    expect(json.sources.find((s) => s.name === 'users')?.cache).toMatchObject({ records: null, fresh: null, missing: null })
    expect(json.sources.find((s) => s.name === 'devices')?.cache).toMatchObject({ file: null, bytes: null })
  })

  it('history on a database that does not exist yet: exit 2, naming it, no stack', async () => {
    const db = join(tmp(), 'absent.db')
    const result = await runCli(['history', '--db', db])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`No database at ${db} yet`)
    expect(result.stderr).not.toMatch(STACK_LINE)
  })
})
