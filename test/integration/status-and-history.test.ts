import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'
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
  pid: number | null
  host: string | null
}

interface StatusJson {
  db: {
    kind: string
    target: string
    path: string | null
    schema: string | null
    exists: boolean
    bytes: number
    pages: number | null
    pageSize: number | null
    freePages: number | null
    lastRun: { id: number; outcome: string } | null
    syncLock: unknown
  }
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

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * On each sink, a database with several runs (three modes, a change set, a failed run) and a cache warmed
 * from the demo API (one source failing on the second warm): `status` and `history`, as text and as
 * --json, the same commands and shapes on both.
 */
describe.each(SINK_KINDS)('on %s', (kind) => {
  describe('status and history', requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)

    describe('on a database with several runs', () => {
      const db = (): TestDatabase => database('dmr')
      const cli = (args: readonly string[], env: Record<string, string> = {}) => runCli([...args, ...db().args], { ...db().env, ...env })
      const cache = (): string => join(tmp(), 'cache')
      let api: DemoApi
      let failing: DemoApi

      beforeAll(async () => {
        api = await startDemoApi({ records: 2_000, seed: 7 })
        failing = await startDemoApi({ records: 2_000, seed: 7, faults: { '/static/users.json': { status: 404 } } })
        const warm = await runCli(['warm', '--base-url', api.url, '--cache-dir', cache(), '--log-level', 'silent'])
        expect(warm.code, warm.stderr).toBe(0)
        for (const mode of MODES) {
          const sync = await cli(['sync', '--cache-dir', cache(), '--mode', mode, '--force', '--log-level', 'silent'])
          expect(sync.code, sync.stderr).toBe(0)
        }
        // The second warm: users fails (404), the others are fetched again; the old users cache is kept.
        const again = await runCli(['warm', '--base-url', failing.url, '--cache-dir', cache(), '--log-level', 'silent'])
        expect(again.code).toBe(1)
        // A failed run: a broken record in rptrs with no rejects allowed.
        const rptrs = join(cache(), 'rptrs.ndjson')
        writeFileSync(rptrs, `${readFileSync(rptrs, 'utf8')}{"id": "not a number"\n`)
        const failed = await cli(['sync', '--cache-dir', cache(), '--log-level', 'silent'], { CACHESYNC_MAX_REJECTS: '0' })
        expect(failed.code).toBe(1)
      })
      afterAll(async () => {
        await api?.close()
        await failing?.close()
      })

      it('history --json: every run, newest first, with mode, chunk, records, records/s, phases, peak RSS, outcome, host and pid', async () => {
        const result = await cli(['history', '--json'])
        expect(result.code, result.stderr).toBe(0)
        const { db: target, runs } = JSON.parse(result.stdout) as { db: string; runs: RunJson[] }
        expect(target).toBe(db().target)
        expect(runs.map((r) => r.outcome)).toEqual(['partial', 'ok', 'ok', 'ok'])
        expect(runs.map((r) => r.mode)).toEqual([expect.any(String), 'streaming', 'sequential', 'parallel'])
        expect(runs.map((r) => r.id)).toEqual([...runs.map((r) => r.id)].sort((a, b) => b - a))
        const stored = db().query<{ id: number; total_ms: number; records_per_sec: number; peak_rss_mb: number; pid: number; host: string }>(
          'SELECT id, total_ms, records_per_sec, peak_rss_mb, pid, host FROM sync_runs ORDER BY id DESC',
        )
        for (const [i, run] of runs.entries()) {
          expect(run.phases?.total).toBe(stored[i]?.total_ms)
          expect(run.recordsPerSec).toBe(stored[i]?.records_per_sec)
          expect(run.peakRssMb).toBe(stored[i]?.peak_rss_mb)
          expect(run.chunk).toBeGreaterThan(0)
          expect({ host: run.host, pid: run.pid }).toEqual({ host: hostname(), pid: stored[i]?.pid })
        }
        // Each sync was a process of its own.
        expect(new Set(runs.map((r) => r.pid)).size).toBe(4)
        expect(runs[3]?.records).toMatchObject({ read: 2_000, inserted: 2_000 })
        expect(runs[0]?.error).toMatch(/^rptrs: /)
      })

      it('history prints a table, oldest first, host and pid last, and the failed run’s error; --limit keeps the newest N', async () => {
        const result = await cli(['history'])
        expect(result.code, result.stderr).toBe(0)
        const lines = result.stdout.trimEnd().split('\n')
        expect(lines[0]).toMatch(
          /^run\s+started \(UTC\)\s+mode\s+outcome\s+chunk\s+records\s+rec\/s\s+db init\s+read\s+transform\s+write\s+finalize\s+total\s+peak RSS\s+host\s+pid$/,
        )
        expect(lines.slice(1, 5).map((line) => line.split(/\s+/)[4])).toEqual(['parallel', 'sequential', 'streaming', expect.any(String)])
        expect(lines.slice(1, 5).map((line) => line.split(/\s+/)[5])).toEqual(['ok', 'ok', 'ok', 'partial'])
        expect(lines[1]).toMatch(new RegExp(` 2,000 +[\\d,]+ +.* \\d+ MiB +${escapeRegExp(hostname())} +\\d+$`))
        expect(lines[5]).toMatch(/^ {2}✗ run \d+: rptrs: /)
        const limited = await cli(['history', '--limit', '2', '--json'])
        expect((JSON.parse(limited.stdout) as { runs: RunJson[] }).runs.map((r) => r.outcome)).toEqual(['partial', 'ok'])
      })

      it('history --plot FILE.svg draws a well-formed SVG with one point per run in each panel', async () => {
        const plot = join(tmp(), `history-${kind}.svg`)
        const result = await cli(['history', '--plot', plot])
        expect(result.code, result.stderr).toBe(0)
        expect(result.stdout).toContain(`plot: ${plot} (4 runs)`)
        const ids = db()
          .query<{ id: number }>('SELECT id FROM sync_runs ORDER BY id')
          .map((r) => String(r.id))
        const svg = readFileSync(plot, 'utf8')
        expect(svg).toContain(db().target)
        const circles = allElements(parseXml(svg)).filter((e) => e.name === 'circle')
        expect(circles.filter((c) => c.attributes.class === 'time').map((c) => c.attributes['data-run'])).toEqual(ids)
        expect(circles.filter((c) => c.attributes.class === 'rate').map((c) => c.attributes['data-run'])).toEqual(ids)
        expect(readdirSync(tmp()).filter((name) => name.endsWith('.tmp'))).toEqual([])
      })

      it('history --plot FILE.png is refused before anything is read, with the command that converts an SVG', async () => {
        const png = join(tmp(), 'history.png')
        const result = await cli(['history', '--plot', png])
        expect(result.code).toBe(2)
        expect(result.stderr).toContain(`--plot ${png}: cachesync draws SVG only; write ${join(tmp(), 'history.svg')} and convert it, e.g. \`rsvg-convert`)
        expect(result.stdout).toBe('')
        expect(existsSync(png)).toBe(false)
      })

      it('status --json: per source rows, last sync, cache age and freshness, last warm; the database and its size; nothing running', async () => {
        const result = await cli(['status', '--cache-dir', cache(), '--json'], { CACHESYNC_MAX_AGE: '1h' })
        expect(result.code, result.stderr).toBe(0)
        const status = JSON.parse(result.stdout) as StatusJson
        expect(Object.keys(status.db)).toEqual(['kind', 'target', 'path', 'schema', 'exists', 'bytes', 'pages', 'pageSize', 'freePages', 'lastRun', 'syncLock'])
        expect(status.db).toMatchObject({ kind, target: db().target, path: db().path ?? null, schema: db().schema ?? null, exists: true })
        expect(status.db).toMatchObject({ lastRun: { outcome: 'partial' }, syncLock: null })
        if (kind === 'sqlite') {
          expect((status.db.pages ?? 0) * (status.db.pageSize ?? 0)).toBeLessThanOrEqual(status.db.bytes)
          expect(status.db.pages).toBeGreaterThan(0)
          expect(status.db.freePages).toBeGreaterThanOrEqual(0)
        } else {
          expect(status.db).toMatchObject({ pages: null, pageSize: null, freePages: null })
          // Between the heap of the schema's tables and the whole database (autovacuum may add a map or two meanwhile).
          const [sizes] = db().query<{ heap: number; database: number }>(
            `SELECT (SELECT sum(pg_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = '${db().schema}' AND c.relkind = 'r')::float8 AS heap, pg_database_size(current_database())::float8 AS database`,
          )
          expect(status.db.bytes).toBeGreaterThan(sizes?.heap ?? Number.POSITIVE_INFINITY)
          expect(status.db.bytes).toBeLessThan(sizes?.database ?? 0)
        }
        expect(status.warmLock).toBeNull()
        const byName = Object.fromEntries(status.sources.map((s) => [s.name, s]))
        const rows = db().query<{ n: number }>('SELECT count(*) AS n FROM users WHERE _deleted_at IS NULL')[0]?.n
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
        const result = await cli(['status', '--cache-dir', cache()])
        expect(result.code, result.stderr).toBe(0)
        const line =
          kind === 'sqlite'
            ? `^database ${escapeRegExp(db().target)}: [\\d.,]+ (?:B|KiB|MiB|GiB), [\\d,]+ pages of 4,096 B \\(\\d+ free\\)\\n`
            : `^database ${escapeRegExp(db().target)} schema ${db().schema}: [\\d.,]+ (?:B|KiB|MiB|GiB)\\n`
        expect(result.stdout).toMatch(new RegExp(line))
        expect(result.stdout).toContain('\nsync: not running\n')
        expect(result.stdout).toMatch(/\nusers +[\d,]+ s ago +unchanged +[\d,]+ +0 .* no max-age +failed, \d+ s ago\n/)
        expect(result.stdout).toMatch(/ {2}✗ users, last warm: HTTP 404 from /)
        expect(result.stdout).toMatch(/ {2}✗ rptrs, last sync: /)
      })

      it('status shows a sync holding the database as running, and one that died holding it as stale', async () => {
        const live = await db().fakeRunningSync(process.pid, true)
        try {
          const result = await cli(['status', '--cache-dir', cache()])
          expect(result.stdout).toContain(`\nsync: RUNNING: pid ${process.pid} on ${hostname()}, since 2026-01-01 00:00:00\n`)
        } finally {
          await live.end()
        }
        const dead = await db().fakeRunningSync(2 ** 22 + 12_345, false)
        try {
          const result = await cli(['status', '--cache-dir', cache(), '--json'])
          expect((JSON.parse(result.stdout) as StatusJson).db.syncLock).toEqual({
            pid: 2 ** 22 + 12_345,
            host: hostname(),
            startedAt: kind === 'sqlite' ? '2026-01-01T00:00:00Z' : '2026-01-01T00:00:00.000Z',
            alive: false,
          })
          const text = await cli(['status', '--cache-dir', cache()])
          expect(text.stdout).toContain(`\nsync: not running (stale lock of pid ${2 ** 22 + 12_345} on ${hostname()}, since 2026-01-01 00:00:00: `)
        } finally {
          await dead.end()
        }
      })
    })

    describe('before anything exists', () => {
      it('status on a database that does not exist yet and a cache without meta files: a clear message, exit 0, nothing created', async () => {
        const cache = join(tmp(), 'hand-made')
        await generateDmrCache({ records: 300, cacheDir: cache, seed: 1 })
        for (const name of ['rptrs', 'users', 'devices']) rmSync(join(cache, `${name}.meta.json`))
        rmSync(join(cache, 'devices.ndjson'))
        const db = database('nothing_yet')
        const result = await runCli(['status', '--cache-dir', cache, ...db.args], db.env)
        expect(result.code, result.stderr).toBe(0)
        expect(result.stdout).toContain(
          kind === 'sqlite'
            ? `database ${db.target}: does not exist yet — \`cachesync sync\` creates it`
            : `database ${db.target} schema nothing_yet: no cachesync tables yet — \`cachesync sync\` creates them`,
        )
        expect(result.stdout).toMatch(/\nusers +never +- +- +- .* no max-age +not recorded\n/)
        expect(result.stdout).toContain('! No cache file for source devices')
        const json = JSON.parse((await runCli(['status', '--cache-dir', cache, '--json', ...db.args], db.env)).stdout) as StatusJson
        const pages = kind === 'sqlite' ? 0 : null
        expect(json.db).toEqual({
          kind,
          target: db.target,
          path: db.path ?? null,
          schema: db.schema ?? null,
          exists: false,
          bytes: 0,
          pages,
          pageSize: pages,
          freePages: pages,
          lastRun: null,
          syncLock: null,
        })
        expect(json.sources.find((s) => s.name === 'users')?.cache).toMatchObject({ records: null, fresh: null, missing: null })
        expect(json.sources.find((s) => s.name === 'devices')?.cache).toMatchObject({ file: null, bytes: null })
        expect(db.exists()).toBe(false)
      })

      it('history on a database that does not exist yet: exit 2, naming it, no stack, nothing created', async () => {
        const db = database('absent')
        const result = await runCli(['history', ...db.args], db.env)
        expect(result.code).toBe(2)
        expect(result.stderr).toContain(kind === 'sqlite' ? `No database at ${db.target} yet` : `No cachesync tables in schema absent of ${db.target} yet`)
        expect(result.stderr).not.toMatch(STACK_LINE)
        expect(db.exists()).toBe(false)
      })

      it.runIf(kind === 'postgres')('a schema without cachesync’s tables is no database yet: status says so, history exits 2', async () => {
        const db = database('theirs')
        db.exec('CREATE TABLE users (id bigint PRIMARY KEY, _deleted_at timestamptz)')
        const status = await runCli(['status', '--json', ...db.args], db.env)
        expect(status.code, status.stderr).toBe(0)
        const json = JSON.parse(status.stdout) as StatusJson
        expect(json.db).toMatchObject({ exists: false, bytes: 0, lastRun: null })
        expect(json.sources.find((s) => s.name === 'users')?.rows).toBeNull()
        const history = await runCli(['history', ...db.args], db.env)
        expect(history.code).toBe(2)
        expect(history.stderr).toContain(`No cachesync tables in schema theirs of ${db.target} yet`)
        expect(db.newestRun()).toBeUndefined()
      })
    })
  })
})
