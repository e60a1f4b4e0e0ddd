import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 3_000

interface MonitorJson {
  db: string
  status: string
  exitCode: number
  message: string
  alerts: { rule: string; message: string }[]
  measured: {
    kind: string
    ok: boolean
    seconds: number | null
    records: { read: number }
    recordsPerSec: number | null
    peakRssMb: number | null
    runId: number | null
    error: string | null
  }
}

/**
 * `cachesync monitor` from the built CLI against real databases of each sink: exit 0 OK, 2 ALERT, 1 when
 * the sync itself failed; thresholds set to force each. The timed sync goes into a scratch copy (a copy of
 * the SQLite file, a scratch schema of the PostgreSQL database) and leaves production as it was.
 */
describe.each(SINK_KINDS)('cachesync monitor exit codes on %s', (kind) => {
  describe(kind, requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const cache = (): string => join(tmp(), 'cache')
    const db = (): TestDatabase => database('prod')
    const on = (target: TestDatabase, args: readonly string[], env: Record<string, string> = {}) =>
      runCli(['monitor', ...target.args, ...args], { ...target.env, ...env })
    const monitor = (...args: string[]) => on(db(), ['--cache-dir', cache(), ...args])
    /** What a timed sync may leave behind: SQLite copies and lock files beside the file, or scratch schemas. */
    const scratchLeft = (): string[] =>
      kind === 'sqlite'
        ? readdirSync(dirname(db().path as string)).filter((name) => name.includes('dry-run') || name.endsWith('.lock'))
        : db()
            .query<{ name: string }>("SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'cachesync_monitor_%'")
            .map((r) => r.name)

    beforeAll(async () => {
      await generateDmrCache({ records: RECORDS, cacheDir: cache(), seed: 2 })
      const sync = await runCli(['sync', '--cache-dir', cache(), '--log-level', 'silent', ...db().args], db().env)
      expect(sync.code, sync.stderr).toBe(0)
    })

    it('exit 0 and `OK: sync took … (threshold … s)` when the sync is within the threshold; production is not touched', async () => {
      const before = db().fingerprint()
      const runsBefore = db().newestRun()?.id
      const result = await monitor('--threshold', '600')
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toMatch(/^OK: sync took [\d.]+ m?s \(threshold 600 s\)\n/)
      expect(result.stdout).toMatch(new RegExp(`${RECORDS.toLocaleString('en-US')} records read, [\\d,]+ records/s, peak RSS \\d+ MiB`))
      expect(db().fingerprint()).toBe(before)
      expect(db().newestRun()?.id).toBe(runsBefore)
      // The scratch copy and its lock are gone.
      expect(scratchLeft()).toEqual([])
    })

    it('exit 2 and `ALERT: sync performance degraded` past the threshold', async () => {
      const result = await monitor('--threshold', '0.000001')
      expect(result.code, result.stderr).toBe(2)
      expect(result.stdout).toMatch(/^ALERT: sync performance degraded: [\d.]+ m?s \(threshold 0\.000001 s\)\n/)
    })

    it('names every rule that fires: rate, memory, staleness; --json carries them and names the database', async () => {
      const result = await monitor('--threshold', '600', '--min-rate', '1e12', '--max-rss-mb', '1', '--max-staleness', '1ms', '--json')
      expect(result.code, result.stderr).toBe(2)
      const verdict = JSON.parse(result.stdout) as MonitorJson
      expect(verdict.status).toBe('alert')
      expect(verdict.db).toBe(db().target)
      expect(verdict.alerts.map((a) => a.rule)).toEqual(['min-rate', 'max-rss', 'staleness'])
      expect(verdict.alerts[0]?.message).toMatch(/^throughput too low: [\d,]+ records\/s \(minimum 1,000,000,000,000\)$/)
      expect(verdict.alerts[1]?.message).toMatch(/^memory too high: peak RSS [\d,]+ MiB \(maximum 1 MiB\)$/)
      expect(verdict.alerts[2]?.message).toMatch(/^data stale: last successful sync .+ ago, at \d{4}-\d\d-\d\dT.+ \(maximum 1 ms\)$/)
      expect(verdict.measured).toMatchObject({ kind: 'run', ok: true, records: { read: RECORDS } })
    })

    it('--last judges the newest recorded run without syncing', async () => {
      const last = db().newestRun()
      const result = await monitor('--last', '--threshold', '600', '--json')
      expect(result.code, result.stderr).toBe(0)
      const verdict = JSON.parse(result.stdout) as MonitorJson
      expect(verdict.measured).toMatchObject({ kind: 'last', ok: true, runId: last?.id, records: { read: RECORDS } })
      expect(db().newestRun()?.id).toBe(last?.id)
    })

    it('--records N times a first sync of N generated records into a scratch SQLite file, and leaves nothing behind', async () => {
      // Beside a SQLite database; in the temp directory when the sink is PostgreSQL.
      const scratchDir = kind === 'sqlite' ? dirname(db().path as string) : join(tmp(), 'tmpdir')
      mkdirSync(scratchDir, { recursive: true })
      const env = kind === 'sqlite' ? {} : { TMPDIR: scratchDir }
      const before = db().fingerprint()
      const result = await on(db(), ['--cache-dir', cache(), '--records', '1500', '--threshold', '600', '--json'], env)
      expect(result.code, result.stderr).toBe(0)
      const verdict = JSON.parse(result.stdout) as MonitorJson
      expect(verdict.measured).toMatchObject({ kind: 'synthetic', ok: true, records: { read: 1500 } })
      expect(readdirSync(scratchDir).filter((name) => name.startsWith('.cachesync-monitor-'))).toEqual([])
      expect(db().fingerprint()).toBe(before)
      const text = await on(db(), ['--cache-dir', cache(), '--records', '200', '--threshold', '600'], env)
      expect(text.stdout).toContain('(synthetic data, into a scratch SQLite file)')
    })

    it('exit 1 when the timed sync fails (a truncated cache file), the failure named; also an ALERT line; nothing created', async () => {
      const broken = join(tmp(), 'broken-cache')
      await generateDmrCache({ records: 600, cacheDir: broken, seed: 3 })
      rmSync(join(broken, 'devices.ndjson'))
      rmSync(join(broken, 'devices.meta.json'))
      writeFileSync(join(broken, 'devices.json'), '[{"id": 1, "callsign": "X')
      const other = database('other')
      const result = await on(other, ['--cache-dir', broken, '--threshold', '600'])
      expect(result.code, result.stderr).toBe(1)
      expect(result.stdout).toMatch(/^ALERT: sync failed: devices: .+/)
      expect(result.stderr).not.toMatch(STACK_LINE)
      expect(other.exists()).toBe(false)
      expect(scratchLeft()).toEqual([])
    })

    it('--last: exit 1 when the last run failed, exit 2 when there is no database to judge', async () => {
      const dir = join(tmp(), 'failing')
      mkdirSync(dir)
      await generateDmrCache({ records: 600, cacheDir: dir, seed: 3 })
      writeFileSync(join(dir, 'users.ndjson'), '{"radio_id": 1}\nnot json\n')
      rmSync(join(dir, 'users.meta.json'))
      const failing = database('failing')
      const sync = await runCli(['sync', '--cache-dir', dir, '--log-level', 'silent', ...failing.args], { ...failing.env, CACHESYNC_MAX_REJECTS: '0' })
      expect(sync.code).toBe(1)
      const last = await on(failing, ['--last', '--threshold', '600'])
      expect(last.code, last.stderr).toBe(1)
      expect(last.stdout).toMatch(/^ALERT: sync failed: run \d+ ended partial: users: /)

      const absent = database('absent')
      const none = await on(absent, ['--last'])
      expect(none.code).toBe(2)
      expect(none.stdout).toContain(
        kind === 'sqlite'
          ? `ALERT: no sync to judge: no database at ${absent.target} yet`
          : `ALERT: no sync to judge: no cachesync tables in schema absent of ${absent.target} yet`,
      )
      expect(absent.exists()).toBe(false)
    })

    it('a timed sync that succeeds still alerts when the production database last failed', async () => {
      const result = await on(database('failing'), ['--cache-dir', cache(), '--threshold', '600'])
      expect(result.code, result.stderr).toBe(2)
      expect(result.stdout).toMatch(/^ALERT: last sync of the database \(run \d+, .+\) ended partial: users: /)
      expect(result.stdout).toMatch(/\nsync took [\d.]+ m?s \(threshold 600 s\)\n/)
    })

    it.runIf(kind === 'postgres')('drops the scratch schema that a killed monitor left', async () => {
      const dead = 'cachesync_monitor_999999'
      db().exec(`CREATE SCHEMA ${dead}; CREATE TABLE ${dead}.users (id bigint)`)
      const result = await monitor('--threshold', '600')
      expect(result.code, result.stderr).toBe(0)
      expect(scratchLeft()).toEqual([])
    })

    it.runIf(kind === 'postgres')('without CREATE on the database: the timed run refuses, naming what to use instead; --last works', async () => {
      db().exec(`CREATE ROLE watcher LOGIN; GRANT USAGE ON SCHEMA prod TO watcher; GRANT SELECT ON ALL TABLES IN SCHEMA prod TO watcher`)
      const env = { CACHESYNC_SINK: db().target.replace('//postgres@', '//watcher:secretpw@') }
      const before = db().fingerprint()
      const refused = await on(db(), ['--cache-dir', cache(), '--threshold', '600'], env)
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/may not create it \(permission denied for database cachesync\)/)
      expect(refused.stderr).toContain('`cachesync monitor --last`')
      expect(refused.stderr).toContain('--records N')
      expect(refused.stderr).not.toContain('secretpw')
      expect(refused.stderr).not.toMatch(STACK_LINE)
      expect(refused.stdout).toBe('')
      const last = await on(db(), ['--last', '--threshold', '600'], env)
      expect(last.code, last.stderr).toBe(0)
      expect(db().fingerprint()).toBe(before)
      expect(scratchLeft()).toEqual([])
    })

    it.each([
      [['--max-staleness', 'soon'], '--max-staleness "soon": must be a duration such as 30m, 2h or 1d'],
      [['--threshold', '0'], '--threshold must be a positive number, got 0'],
      [['--records', '1.5'], '--records must be a positive integer, got 1.5'],
      [['--last', '--records', '10'], 'Arguments records and last are mutually exclusive'],
      [['--webhook', 'ftp://example.org/x'], '--webhook ftp://example.org…: must be an http or https URL'],
    ])('usage mistake %j: exit 2 with a clear message, no stack', async (args, message) => {
      const result = await monitor(...args)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(message)
      expect(result.stderr).not.toMatch(STACK_LINE)
      expect(result.stdout).toBe('')
    })
  })
})
