import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { MODES } from '../helpers/config.js'
import { type CliResult, runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type SinkKind, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 5_000
const COUNT_KEYS = ['read', 'inserted', 'updated', 'unchanged', 'deleted', 'rejected'] as const
const PHASE_KEYS = ['dbInit', 'read', 'transform', 'write', 'maintenance', 'finalize', 'total'] as const
/** A recorded run, in `status --json` (`db.lastRun`) and `history --json` (`runs`). */
const RUN_KEYS = [
  'id',
  'startedAt',
  'endedAt',
  'outcome',
  'mode',
  'chunk',
  'workers',
  'records',
  'phases',
  'recordsPerSec',
  'peakRssMb',
  'error',
  'pid',
  'host',
  'sources',
] as const
const STATUS_DB_KEYS = ['kind', 'target', 'path', 'schema', 'exists', 'bytes', 'pages', 'pageSize', 'freePages', 'lastRun', 'syncLock'] as const
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/**
 * The skeleton of a JSON value: an object's keys in order with theirs, an array's first element's, a
 * primitive's type. Two outputs with equal skeletons have the same shape.
 */
function shapeOf(value: unknown): unknown {
  if (value === null) return 'null'
  if (Array.isArray(value)) return [value.length === 0 ? 'empty' : shapeOf(value[0])]
  if (typeof value === 'object') return Object.entries(value).map(([key, inner]) => [key, shapeOf(inner)])
  return typeof value
}

/** Shapes of each command's --json by sink, compared across sinks at the end. */
const shapes = new Map<string, unknown>()

interface JsonReport {
  mode: string
  reason: string
  chunk: number
  workers: number
  records: Record<(typeof COUNT_KEYS)[number], number>
  phases: Record<(typeof PHASE_KEYS)[number], number>
  recordsPerSec: number
  peakRssMb: number
  runId: number
  sources: { name: string; table: string; file: string; state: string; records: Record<string, number> }[]
}

describe.each(SINK_KINDS)('on %s', (kind: SinkKind) => {
  describe('`sync --json` prints the contract object on stdout, and logs only on stderr', requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const cacheDir = (): string => join(tmp(), 'cache')
    const runs = new Map<string, CliResult>()
    const cli = (db: TestDatabase, args: readonly string[]): Promise<CliResult> => runCli([...args, ...db.args], db.env)

    beforeAll(async () => {
      await generateDmrCache({ records: RECORDS, cacheDir: cacheDir(), seed: 4 })
      for (const mode of MODES) {
        runs.set(mode, await cli(database(mode), ['sync', '--cache-dir', cacheDir(), '--mode', mode, '--json']))
      }
    })

    describe.each(MODES)('%s mode', (mode) => {
      const run = (): CliResult => runs.get(mode) as CliResult
      const report = (): JsonReport => JSON.parse(run().stdout) as JsonReport

      it('exits 0 and prints exactly one line on stdout: one JSON object', () => {
        expect(run().code).toBe(0)
        const lines = run().stdout.split('\n')
        expect(lines).toHaveLength(2)
        expect(lines[1]).toBe('')
        const parsed: unknown = JSON.parse(lines[0] as string)
        expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true)
      })

      it('carries every key of the contract, with the right types', () => {
        const out = report()
        for (const key of ['mode', 'reason', 'chunk', 'workers', 'records', 'phases', 'recordsPerSec', 'peakRssMb', 'sources']) {
          expect(out, key).toHaveProperty(key)
        }
        expect(out.mode).toBe(mode)
        expect(out.reason).toEqual(expect.any(String))
        expect(out.reason.length).toBeGreaterThan(0)
        expect(Number.isInteger(out.chunk) && out.chunk > 0).toBe(true)
        expect(Number.isInteger(out.workers)).toBe(true)
        expect(out.workers > 0).toBe(mode === 'parallel')
        expect(Object.keys(out.records).sort()).toEqual([...COUNT_KEYS].sort())
        for (const key of COUNT_KEYS) expect(Number.isInteger(out.records[key]), key).toBe(true)
        expect(out.records).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
        expect(Object.keys(out.phases).sort()).toEqual([...PHASE_KEYS].sort())
        for (const key of PHASE_KEYS) {
          expect(typeof out.phases[key], key).toBe('number')
          expect(out.phases[key], key).toBeGreaterThanOrEqual(0)
        }
        expect(out.phases.total).toBeGreaterThan(0)
        expect(out.recordsPerSec).toBeGreaterThan(0)
        expect(out.peakRssMb).toBeGreaterThan(0)
        expect(out.sources.map((s) => [s.name, s.table, s.state])).toEqual([
          ['rptrs', 'rptrs', 'synced'],
          ['users', 'users', 'synced'],
          ['devices', 'devices', 'synced'],
        ])
        for (const s of out.sources) expect(s.file).toBe(join(cacheDir(), `${s.name}.ndjson`))
        const sum = Object.fromEntries(COUNT_KEYS.map((k) => [k, out.sources.reduce((total, s) => total + (s.records[k] ?? 0), 0)]))
        expect(sum).toEqual(out.records)
      })

      it('phases add up to the total (within rounding to 0.1 ms)', () => {
        const { phases } = report()
        const parts = phases.dbInit + phases.read + phases.transform + phases.write + phases.maintenance + phases.finalize
        expect(Math.abs(parts - phases.total)).toBeLessThanOrEqual(0.4)
      })

      it('agrees with the run recorded in the database', () => {
        const out = report()
        const rows = database(mode).query<Record<string, number | string>>(
          'SELECT id, mode, chunk, workers, records_read, inserted, updated, unchanged, deleted, rejected, total_ms, outcome FROM sync_runs',
        )
        expect(rows).toHaveLength(1)
        const row = rows[0] as Record<string, number | string>
        expect(row).toMatchObject({
          id: out.runId,
          mode: out.mode,
          chunk: out.chunk,
          workers: out.workers,
          records_read: out.records.read,
          inserted: out.records.inserted,
          updated: out.records.updated,
          unchanged: out.records.unchanged,
          deleted: out.records.deleted,
          rejected: out.records.rejected,
          outcome: 'ok',
        })
        // The row is written before the run's last step (writing that row) ends: its total can only be smaller.
        expect(row.total_ms as number).toBeGreaterThan(0)
        expect(row.total_ms as number).toBeLessThanOrEqual(out.phases.total + 0.05)
      })

      it('the logs go to stderr, as JSON lines (not a terminal), and name the mode chosen', () => {
        const lines = run()
          .stderr.split('\n')
          .filter((line) => line.trim() !== '')
        expect(lines.length).toBeGreaterThan(0)
        const entries = lines.map((line) => JSON.parse(line) as { msg: string; level: number })
        expect(entries.map((e) => e.msg)).toContain('mode chosen')
        expect(entries.filter((e) => e.msg === 'source synced')).toHaveLength(3)
        expect(run().stdout).not.toContain('"msg"')
      })
    })

    it('a re-run with nothing changed still prints the whole object, sources unchanged', async () => {
      const again = await cli(database('sequential'), ['sync', '--cache-dir', cacheDir(), '--mode', 'sequential', '--json'])
      expect(again.code).toBe(0)
      expect(again.stdout.trim().split('\n')).toHaveLength(1)
      const out = JSON.parse(again.stdout) as JsonReport
      expect(out.sources.map((s) => s.state)).toEqual(['unchanged', 'unchanged', 'unchanged'])
      expect(out.records).toEqual({ read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
      expect(Object.keys(out.phases).sort()).toEqual([...PHASE_KEYS].sort())
    })

    it('status, history and monitor --last: the documented keys, times as ISO 8601 UTC', async () => {
      const db = database('sequential')
      shapes.set(`${kind} sync`, shapeOf(JSON.parse(runs.get('sequential')?.stdout ?? '')))

      const status = await cli(db, ['status', '--cache-dir', cacheDir(), '--json'])
      expect(status.code, status.stderr).toBe(0)
      const statusJson = JSON.parse(status.stdout) as { db: Record<string, unknown> & { lastRun: Record<string, unknown> }; sources: Record<string, unknown>[] }
      expect(Object.keys(statusJson)).toEqual(['db', 'cacheDir', 'warmLock', 'openBreakers', 'sources', 'at'])
      expect(Object.keys(statusJson.db)).toEqual([...STATUS_DB_KEYS])
      expect(statusJson.db).toMatchObject({ kind, target: db.target, exists: true })
      expect(Object.keys(statusJson.db.lastRun)).toEqual([...RUN_KEYS])
      expect(Object.keys(statusJson.sources[0] ?? {})).toEqual(['name', 'table', 'rows', 'lastSync', 'syncedAt', 'cache', 'lastWarm', 'incremental'])
      expect(statusJson.sources[0]?.syncedAt).toMatch(ISO_UTC)
      // Only these differ by design: the SQLite file and its pages, or the PostgreSQL schema (null on the other sink).
      const bySink = { path: 'sink', schema: 'sink', pages: 'sink', pageSize: 'sink', freePages: 'sink' }
      shapes.set(`${kind} status`, shapeOf({ ...statusJson, db: { ...statusJson.db, ...bySink } }))

      const history = await cli(db, ['history', '--json'])
      expect(history.code, history.stderr).toBe(0)
      const historyJson = JSON.parse(history.stdout) as { runs: (Record<string, unknown> & { records: object; phases: object })[] }
      expect(Object.keys(historyJson)).toEqual(['db', 'runs', 'plot'])
      expect(historyJson.runs).toHaveLength(2)
      for (const run of historyJson.runs) {
        expect(Object.keys(run)).toEqual([...RUN_KEYS])
        expect(run.startedAt).toMatch(ISO_UTC)
        expect(run.endedAt).toMatch(ISO_UTC)
        expect(Object.keys(run.records)).toEqual([...COUNT_KEYS])
        expect(Object.keys(run.phases)).toEqual(['dbInit', 'read', 'transform', 'write', 'finalize', 'total'])
        expect(typeof run.pid).toBe('number')
        expect(typeof run.host).toBe('string')
      }
      shapes.set(`${kind} history`, shapeOf(historyJson))

      const monitor = await cli(db, ['monitor', '--last', '--threshold', '600', '--json'])
      expect(monitor.code, monitor.stderr).toBe(0)
      const monitorJson = JSON.parse(monitor.stdout) as { db: string; measured: object }
      expect(Object.keys(monitorJson)).toEqual(['status', 'exitCode', 'message', 'alerts', 'measured', 'rules', 'db', 'host', 'checkedAt', 'webhook'])
      expect(monitorJson.db).toBe(db.target)
      shapes.set(`${kind} monitor`, shapeOf(monitorJson))
    })
  })
})

describe('on both sinks', requireSink('postgres'), () => {
  it.each(['sync', 'status', 'history', 'monitor'])('%s --json has the same shape: keys, order, types, nulls', (command) => {
    expect(shapes.get(`sqlite ${command}`)).toBeDefined()
    expect(shapes.get(`postgres ${command}`)).toEqual(shapes.get(`sqlite ${command}`))
  })
})
