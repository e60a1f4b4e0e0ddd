import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { archivedRows, cli, expectOk, softDeletedDevices, syncArchives } from '../helpers/archive.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 40_000
const SEED = 153

/**
 * The rest of what `cachesync archive` takes, on each sink: `--older-than COLUMN=D`, `--history D`
 * (runs and their rejects), batches that shrink on a slow target and grow on a fast one, `--vacuum`,
 * the run recorded in `sync_archive_runs` with its phases, and `--metrics-file`.
 */
describe.each(SINK_KINDS)('archive options, %s', (kind) => {
  describe('', requireSink(kind), () => {
    const tmp = useTempDir()
    const databases = useTestSink(kind, tmp)
    let db: TestDatabase
    let deleted: number[] = []
    const count = (sql: string): number => Number(db.query<{ n: number }>(`SELECT count(*) AS n FROM ${sql}`)[0]?.n)

    beforeAll(async () => {
      db = databases('options')
      deleted = await softDeletedDevices(db, tmp(), RECORDS, SEED)
    }, 240_000)

    it('batches grow towards --batch-max when faster than --batch-target, and stay within the bounds', async () => {
      expect(deleted.length).toBeGreaterThan(800)
      const batches = ['--batch-size', '100', '--batch-min', '50', '--batch-max', '400']
      const fast = await cli(db, ['archive', '--deleted-before', '30d', '--dry-run', '--json', ...batches, '--batch-target', '1h'])
      expectOk(fast)
      expect(JSON.parse(fast.stdout).tables[0].batchSizes).toEqual([100, 200, 400])
      // How much a batch shrinks depends on its time: test/unit/archive/batch-sizer.test.ts pins that down.
      const slow = await cli(db, ['archive', '--deleted-before', '30d', '--dry-run', '--json', ...batches, '--batch-target', '1ms'])
      expectOk(slow)
      const sizes = JSON.parse(slow.stdout).tables[0].batchSizes as number[]
      expect(sizes[0]).toBe(100)
      expect(sizes.every((size) => size >= 50 && size <= 400)).toBe(true)
    })

    it('--older-than COLUMN=D takes the rows whose column is older, live or not, and restore gives them back', async () => {
      db.exec(`UPDATE devices SET last_seen = '2020-01-01T00:00:00Z' WHERE id % 7 = 0`)
      db.exec(`UPDATE devices SET last_seen = '2026-11-30T00:00:00Z' WHERE id % 7 <> 0`)
      const old = db.query<{ id: number }>('SELECT id FROM devices WHERE id % 7 = 0 ORDER BY id').map((r) => Number(r.id))
      const before = db.checksum(['devices'])
      const to = join(tmp(), 'older')
      const result = await cli(db, ['archive', '--older-than', 'last_seen=365d', '--source', 'devices', '--to', to, '--json'])
      expectOk(result)
      expect(JSON.parse(result.stdout).tables).toMatchObject([{ table: 'devices', rows: old.length, filter: expect.stringMatching(/^last_seen < /) }])
      expect(count('devices WHERE id % 7 = 0')).toBe(0)
      const keys = syncArchives(db)
        .filter((r) => r.dir === to)
        .flatMap((r) => archivedRows(join(to, r.file)).map((row) => Number(row[0])))
      expect(keys.sort((a, b) => a - b)).toEqual(old)
      expectOk(await cli(db, ['restore', to]))
      expect(db.checksum(['devices'])).toEqual(before)
    })

    it('--history D takes the runs that ended before, with their rejects, and leaves the newer ones', async () => {
      const runs = db.query<{ id: number }>('SELECT id FROM sync_runs ORDER BY id').map((r) => Number(r.id))
      expect(runs.length).toBeGreaterThanOrEqual(2)
      const oldRun = runs[0] as number
      db.exec(`UPDATE sync_runs SET ended_at = '2025-01-01T00:00:00.000Z' WHERE id = ${oldRun}`)
      db.exec(`INSERT INTO sync_rejects (run_id, source, line, reason, raw) VALUES (${oldRun}, 'devices', 7, 'a reject of the old run', '{}')`)
      db.exec(`INSERT INTO sync_rejects (run_id, source, line, reason, raw) VALUES (${runs.at(-1)}, 'devices', 8, 'a reject of a new run', '{}')`)
      const before = db.checksum(['sync_runs', 'sync_rejects'])
      const to = join(tmp(), 'history')
      const result = await cli(db, ['archive', '--history', '30d', '--to', to, '--json'])
      expectOk(result)
      const tables = JSON.parse(result.stdout).tables as { table: string; rows: number }[]
      expect(tables.filter((t) => t.table !== 'sync_archive_runs')).toEqual([
        expect.objectContaining({ table: 'sync_rejects', rows: 1 }),
        expect.objectContaining({ table: 'sync_runs', rows: 1 }),
      ])
      expect(db.query<{ id: number }>('SELECT id FROM sync_runs ORDER BY id').map((r) => Number(r.id))).toEqual(runs.slice(1))
      expect(db.query<{ reason: string }>('SELECT reason FROM sync_rejects')).toEqual([{ reason: 'a reject of a new run' }])
      expectOk(await cli(db, ['restore', to]))
      expect(db.checksum(['sync_runs', 'sync_rejects'])).toEqual(before)
    })

    it("the configuration's archive section says what to archive and where; flags win; a bad value is named", async () => {
      const config = join(tmp(), 'archive.yaml')
      writeFileSync(config, `archive:\n  deletedBefore: 30d\n  dir: ${join(tmp(), 'from-config')}\n  vacuum: none\n  level: 9\n`)
      const fromFile = await cli(db, ['archive', '--config', config, '--dry-run', '--json'])
      expectOk(fromFile)
      expect(JSON.parse(fromFile.stdout)).toMatchObject({ rows: deleted.length, dir: join(tmp(), 'from-config') })
      const flagged = await cli(db, ['archive', '--config', config, '--to', join(tmp(), 'from-flag'), '--dry-run', '--json'])
      expectOk(flagged)
      expect(JSON.parse(flagged.stdout).dir).toBe(join(tmp(), 'from-flag'))
      writeFileSync(config, 'archive:\n  olderThan:\n    last_seen: soon\n')
      const bad = await cli(db, ['archive', '--config', config])
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('archive.olderThan.last_seen: must be a duration')
    })

    it('each run is recorded in sync_archive_runs with its phases; --vacuum full runs; --metrics-file says what went', async () => {
      const metrics = join(tmp(), 'archive.prom')
      const to = join(tmp(), 'deleted')
      const result = await cli(db, ['archive', '--deleted-before', '30d', '--to', to, '--vacuum', 'full', '--metrics-file', metrics, '--json'])
      expectOk(result)
      const report = JSON.parse(result.stdout)
      expect(report.vacuum).toBe('full')
      expect(report.phases.vacuum).toBeGreaterThan(0)
      const run = db.query<{ kind: string; outcome: string; rows: number; phases: unknown }>(
        `SELECT kind, outcome, rows, phases FROM sync_archive_runs WHERE id = ${report.runId}`,
      )[0]
      expect(run).toMatchObject({ kind: 'archive', outcome: 'ok' })
      expect(Number(run?.rows)).toBe(deleted.length)
      const phases = typeof run?.phases === 'string' ? JSON.parse(run.phases) : run?.phases
      expect(Object.keys(phases).sort()).toEqual(['compress', 'delete', 'query', 'serialise', 'total', 'vacuum', 'verify', 'write'])
      const text = readFileSync(metrics, 'utf8')
      expect(text).toContain('cachesync_archive_success 1')
      expect(text).toContain(`cachesync_archive_rows{table="devices"} ${deleted.length}`)
      expect(text).toMatch(/cachesync_archive_phase_duration_seconds\{phase="verify"\} [0-9.]+/)

      const failed = await cli(db, ['archive', '--older-than', 'nope=1d', '--source', 'devices', '--metrics-file', metrics])
      expect(failed.code).toBe(2)
      expect(readFileSync(metrics, 'utf8')).toContain('cachesync_archive_success 0')
    })
  })
})
