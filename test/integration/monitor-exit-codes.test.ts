import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { fileSha256 } from '../helpers/database.js'
import { newestRun } from '../helpers/db-checks.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 3_000

interface MonitorJson {
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
 * `cachesync monitor` from the built CLI against real databases: exit 0 OK, 2 ALERT, 1 when the sync
 * itself failed; thresholds set to force each.
 */
describe('cachesync monitor exit codes', () => {
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  const db = (): string => join(tmp(), 'data', 'prod.db')
  const monitor = (...args: string[]) => runCli(['monitor', '--db', db(), '--cache-dir', cache(), ...args])

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: cache(), seed: 2 })
    const sync = await runCli(['sync', '--db', db(), '--cache-dir', cache(), '--log-level', 'silent'])
    expect(sync.code, sync.stderr).toBe(0)
  })

  it('exit 0 and `OK: sync took … (threshold … s)` when the sync is within the threshold; the production file is not touched', async () => {
    const before = fileSha256(db())
    const runsBefore = newestRun(db())?.id
    const result = await monitor('--threshold', '600')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^OK: sync took \d+\.\d\d s \(threshold 600 s\)\n/)
    expect(result.stdout).toMatch(new RegExp(`${RECORDS.toLocaleString('en-US')} records read, [\\d,]+ records/s, peak RSS \\d+ MB`))
    expect(fileSha256(db())).toBe(before)
    expect(newestRun(db())?.id).toBe(runsBefore)
    // The scratch copy and its lock are gone.
    expect(readdirSync(join(tmp(), 'data')).filter((name) => name.includes('dry-run') || name.endsWith('.lock'))).toEqual([])
  })

  it('exit 2 and `ALERT: sync performance degraded` past the threshold', async () => {
    const result = await monitor('--threshold', '0.000001')
    expect(result.code, result.stderr).toBe(2)
    expect(result.stdout).toMatch(/^ALERT: sync performance degraded: \d+\.\d\d s \(threshold 0\.000001 s\)\n/)
  })

  it('names every rule that fires: rate, memory, staleness; --json carries them', async () => {
    const result = await monitor('--threshold', '600', '--min-rate', '1e12', '--max-rss-mb', '1', '--max-staleness', '1ms', '--json')
    expect(result.code, result.stderr).toBe(2)
    const verdict = JSON.parse(result.stdout) as MonitorJson
    expect(verdict.status).toBe('alert')
    expect(verdict.alerts.map((a) => a.rule)).toEqual(['min-rate', 'max-rss', 'staleness'])
    expect(verdict.alerts[0]?.message).toMatch(/^throughput too low: [\d,]+ records\/s \(minimum 1,000,000,000,000\)$/)
    expect(verdict.alerts[1]?.message).toMatch(/^memory too high: peak RSS [\d,]+ MB \(maximum 1 MB\)$/)
    expect(verdict.alerts[2]?.message).toMatch(/^data stale: last successful sync .+ ago, at \d{4}-\d\d-\d\dT.+ \(maximum 1 ms\)$/)
    expect(verdict.measured).toMatchObject({ kind: 'run', ok: true, records: { read: RECORDS } })
  })

  it('--last judges the newest recorded run without syncing', async () => {
    const last = newestRun(db())
    const result = await monitor('--last', '--threshold', '600', '--json')
    expect(result.code, result.stderr).toBe(0)
    const verdict = JSON.parse(result.stdout) as MonitorJson
    expect(verdict.measured).toMatchObject({ kind: 'last', ok: true, runId: last?.id, records: { read: RECORDS } })
    expect(newestRun(db())?.id).toBe(last?.id)
  })

  it('--records N times a first sync of N generated records, beside the database, and leaves nothing behind', async () => {
    const result = await monitor('--records', '1500', '--threshold', '600', '--json')
    expect(result.code, result.stderr).toBe(0)
    const verdict = JSON.parse(result.stdout) as MonitorJson
    expect(verdict.measured).toMatchObject({ kind: 'synthetic', ok: true, records: { read: 1500 } })
    expect(readdirSync(join(tmp(), 'data')).filter((name) => name.startsWith('.cachesync-monitor-'))).toEqual([])
  })

  it('exit 1 when the timed sync fails (a truncated cache file), the failure named; also an ALERT line', async () => {
    const broken = join(tmp(), 'broken-cache')
    await generateDmrCache({ records: 600, cacheDir: broken, seed: 3 })
    rmSync(join(broken, 'devices.ndjson'))
    rmSync(join(broken, 'devices.meta.json'))
    writeFileSync(join(broken, 'devices.json'), '[{"id": 1, "callsign": "X')
    const result = await runCli(['monitor', '--db', join(tmp(), 'data', 'other.db'), '--cache-dir', broken, '--threshold', '600'])
    expect(result.code, result.stderr).toBe(1)
    expect(result.stdout).toMatch(/^ALERT: sync failed: devices: .+/)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(existsSync(join(tmp(), 'data', 'other.db'))).toBe(false)
  })

  it('--last: exit 1 when the last run failed, exit 2 when there is no database to judge', async () => {
    const dir = join(tmp(), 'failing')
    mkdirSync(dir)
    await generateDmrCache({ records: 600, cacheDir: dir, seed: 3 })
    writeFileSync(join(dir, 'users.ndjson'), '{"radio_id": 1}\nnot json\n')
    rmSync(join(dir, 'users.meta.json'))
    const failedDb = join(tmp(), 'data', 'failing.db')
    const sync = await runCli(['sync', '--db', failedDb, '--cache-dir', dir, '--log-level', 'silent'], { CACHESYNC_MAX_REJECTS: '0' })
    expect(sync.code).toBe(1)
    const last = await runCli(['monitor', '--last', '--db', failedDb, '--threshold', '600'])
    expect(last.code, last.stderr).toBe(1)
    expect(last.stdout).toMatch(/^ALERT: sync failed: run \d+ ended partial: users: /)

    const none = await runCli(['monitor', '--last', '--db', join(tmp(), 'data', 'absent.db')])
    expect(none.code).toBe(2)
    expect(none.stdout).toContain(`ALERT: no sync to judge: no database at ${join(tmp(), 'data', 'absent.db')} yet`)
    expect(existsSync(join(tmp(), 'data', 'absent.db'))).toBe(false)
  })

  it('a timed sync that succeeds still alerts when the production database last failed', async () => {
    const failedDb = join(tmp(), 'data', 'failing.db')
    const result = await runCli(['monitor', '--db', failedDb, '--cache-dir', cache(), '--threshold', '600'])
    expect(result.code, result.stderr).toBe(2)
    expect(result.stdout).toMatch(/^ALERT: last sync of the database \(run \d+, .+\) ended partial: users: /)
    expect(result.stdout).toMatch(/\nsync took \d+\.\d\d s \(threshold 600 s\)\n/)
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
