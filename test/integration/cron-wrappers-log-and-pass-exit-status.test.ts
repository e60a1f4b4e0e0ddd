import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { scalar } from '../helpers/database.js'
import { newestRun } from '../helpers/db-checks.js'
import { runScript } from '../helpers/run-script.js'
import { useTempDir } from '../helpers/temp-dir.js'

/** The cron wrappers run for real: bash, the built CLI, a generated cache, the demo API, a temp log dir. */
describe('scripts/sync.sh, warm.sh, backup.sh and perf-monitor.sh', () => {
  const tmp = useTempDir()
  const logs = (): string => join(tmp(), 'logs')
  const db = (): string => join(tmp(), 'data', 'cachesync.db')
  const env = (more: Record<string, string> = {}): Record<string, string> => ({
    CACHESYNC_LOG_DIR: logs(),
    CACHESYNC_DB: db(),
    CACHESYNC_CACHE_DIR: join(tmp(), 'cache'),
    ...more,
  })
  /** The one log file of a wrapper (they are named `<job>-<UTC date>.log`). */
  const logOf = (job: string): string => {
    const names = readdirSync(logs()).filter((name) => new RegExp(`^${job}-\\d{4}-\\d\\d-\\d\\d\\.log$`).test(name))
    expect(names).toHaveLength(1)
    return readFileSync(join(logs(), names[0] as string), 'utf8')
  }
  let api: DemoApi

  beforeAll(async () => {
    await generateDmrCache({ records: 2000, cacheDir: join(tmp(), 'cache') })
    api = await startDemoApi({ records: 1000 })
  })
  afterAll(async () => {
    await api?.close()
  })

  it('sync.sh syncs in auto mode, appends the JSON summary between a start and an exit line, and says nothing', async () => {
    const result = await runScript('sync.sh', [], env())
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout + result.stderr).toBe('')
    const log = logOf('sync')
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ sync start \(pid \d+\): cachesync sync --json --no-progress$/m)
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ sync exit 0 after \d+s$/m)
    const summary = JSON.parse(log.split('\n').find((line) => line.startsWith('{"ok"')) as string)
    expect(summary.ok).toBe(true)
    expect(summary.reason).toMatch(/^auto: /)
    expect(summary.records.inserted).toBe(2000)
    expect(newestRun(db())?.outcome).toBe('ok')
  })

  it('a --mode given to sync.sh wins over its auto mode', async () => {
    const result = await runScript('sync.sh', ['--mode', 'streaming', '--chunk', '500'], env())
    expect(result.code, result.stderr).toBe(0)
    const summaries = logOf('sync')
      .split('\n')
      .filter((line) => line.startsWith('{"ok"'))
      .map((line) => JSON.parse(line))
    expect(summaries.at(-1)).toMatchObject({ ok: true, mode: 'streaming', chunk: 500 })
  })

  it('passes the exit status through: 1 a source failed, 2 a usage error, 3 the database locked (quietly)', async () => {
    const failed = await runScript('sync.sh', [], env({ CACHESYNC_CACHE_DIR: join(tmp(), 'no-cache'), CACHESYNC_DB: join(tmp(), 'other.db') }))
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^cachesync sync exited with status 1; see .*\/logs\/sync-\d{4}-\d\d-\d\d\.log$/m)

    const usage = await runScript('sync.sh', ['--mode', 'fastest'], env())
    expect(usage.code).toBe(2)
    expect(logOf('sync')).toContain('Argument: mode, Given: "fastest"')

    // This test process holds the lock, as a sync still running would.
    writeFileSync(`${db()}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }))
    try {
      const locked = await runScript('sync.sh', [], env())
      expect(locked.code).toBe(3)
      expect(locked.stdout + locked.stderr).toBe('')
      expect(logOf('sync')).toContain(`is locked by another sync: pid ${process.pid}`)
    } finally {
      spawnSync('rm', ['-f', `${db()}.lock`])
    }
  })

  it("prunes a wrapper's own logs older than the retention (7 days, CACHESYNC_LOG_RETENTION_DAYS), nothing else", async () => {
    const old = (name: string, age: string): string => {
      const path = join(logs(), name)
      writeFileSync(path, 'old\n')
      expect(spawnSync('touch', ['-d', age, path]).status).toBe(0)
      return path
    }
    const eightDays = old('sync-2026-01-01.log', '8 days ago')
    const sixDays = old('sync-2026-01-03.log', '6 days ago')
    const otherJob = old('warm-2025-01-01.log', '30 days ago')
    const notALog = old('notes-2025-01-01.txt', '30 days ago')
    expect((await runScript('sync.sh', [], env())).code).toBe(0)
    expect([eightDays, sixDays, otherJob, notALog].map(existsSync)).toEqual([false, true, true, true])

    expect((await runScript('sync.sh', [], env({ CACHESYNC_LOG_RETENTION_DAYS: '5' }))).code).toBe(0)
    expect(existsSync(sixDays)).toBe(false)
    expect(existsSync(otherJob)).toBe(true)

    const bad = await runScript('sync.sh', [], env({ CACHESYNC_LOG_RETENTION_DAYS: 'a week' }))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("CACHESYNC_LOG_RETENTION_DAYS must be a whole number of days, 1 or more, got 'a week'")
  })

  it('warm.sh warms from the API, logs the warm, then syncs through sync.sh; --no-sync only warms', async () => {
    const warmEnv = env({ CACHESYNC_BASE_URL: api.url, CACHESYNC_CACHE_DIR: join(tmp(), 'warm-cache'), CACHESYNC_DB: join(tmp(), 'warm.db') })
    const result = await runScript('warm.sh', ['--max-age', '1h'], warmEnv)
    expect(result.code, result.stderr).toBe(0)
    const warm = JSON.parse(
      logOf('warm')
        .split('\n')
        .find((line) => line.startsWith('{"ok"')) as string,
    )
    expect(warm.sources.map((s: { outcome: string }) => s.outcome)).toEqual(['fetched', 'fetched', 'fetched'])
    expect(logOf('warm')).toMatch(/warm start \(pid \d+\): cachesync warm --json --no-progress --max-age 1h$/m)
    expect(scalar(join(tmp(), 'warm.db'), 'SELECT count(*) FROM users')).toBe(843)
    const runs = scalar(join(tmp(), 'warm.db'), 'SELECT count(*) FROM sync_runs')

    const noSync = await runScript('warm.sh', ['--max-age', '1h', '--no-sync'], warmEnv)
    expect(noSync.code, noSync.stderr).toBe(0)
    expect(scalar(join(tmp(), 'warm.db'), 'SELECT count(*) FROM sync_runs')).toBe(runs)

    const usage = await runScript('warm.sh', ['--source', 'nosuch'], warmEnv)
    expect(usage.code).toBe(2)
    expect(scalar(join(tmp(), 'warm.db'), 'SELECT count(*) FROM sync_runs')).toBe(runs)
    expect(logOf('warm')).toContain('Unknown source nosuch')
  })

  it('backup.sh takes a verified backup and logs it', async () => {
    const result = await runScript('backup.sh', ['--keep', '2'], env())
    expect(result.code, result.stderr).toBe(0)
    const backup = JSON.parse(
      logOf('backup')
        .split('\n')
        .find((line) => line.startsWith('{')) as string,
    )
    expect(existsSync(backup.path)).toBe(true)
    expect(readdirSync(join(tmp(), 'data', 'backups')).filter((name) => name.endsWith('.db'))).toHaveLength(1)
  })

  it('perf-monitor.sh: OK exits 0 quietly; ALERT exits 2 and prints the verdict for cron; the webhook URL never logged', async () => {
    mkdirSync(logs(), { recursive: true })
    const ok = await runScript('perf-monitor.sh', ['--last'], env({ CACHESYNC_MONITOR_THRESHOLD: '600' }))
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout + ok.stderr).toBe('')
    expect(logOf('monitor')).toMatch(/^OK: sync took [\d.]+ m?s \(threshold 600 s\)$/m)

    // A receiver that refuses the connection: the monitor reports it, the verdict stands.
    const webhook = 'http://127.0.0.1:9/hooks/T000/B000/s3cr3t'
    const alert = await runScript('perf-monitor.sh', ['--last'], env({ CACHESYNC_MONITOR_WEBHOOK: webhook, CACHESYNC_MONITOR_THRESHOLD: '0.001' }))
    expect(alert.code).toBe(2)
    expect(alert.stdout).toMatch(/^ALERT: sync performance degraded: [\d.]+ m?s \(threshold 0.001 s\)\n$/)
    expect(alert.stderr).toMatch(/^cachesync monitor exited with status 2; see .*\/monitor-\d{4}-\d\d-\d\d\.log$/m)
    const log = logOf('monitor')
    expect(log).toMatch(/monitor start \(pid \d+\): cachesync monitor --threshold 0.001 --webhook \[webhook\] --last$/m)
    expect(log).toMatch(/monitor exit 2 after \d+s$/m)
    expect(log).not.toContain('s3cr3t')
  })
})
