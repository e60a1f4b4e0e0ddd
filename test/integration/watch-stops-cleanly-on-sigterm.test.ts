import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { MODES, type Mode } from '../helpers/config.js'
import { checksumAll, scalar } from '../helpers/database.js'
import { integrityCheck, newestRun } from '../helpers/db-checks.js'
import { waitWhileRunning } from '../helpers/kill.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import type { ReportJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 200_000
const MODE_ARGS: Record<Mode, readonly string[]> = {
  streaming: ['--mode', 'streaming', '--chunk', '2000'],
  parallel: ['--mode', 'parallel'],
  sequential: ['--mode', 'sequential', '--chunk', '2000'],
}

/** Resolves with the first stdout line matching `pattern`; rejects if the child exits first. */
function lineOn(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (text: Buffer | string) => {
      out += String(text)
      const line = out.split('\n').find((l) => pattern.test(l))
      if (line !== undefined) resolve(line)
    })
    child.on('exit', (code) => reject(new Error(`exited (${code}) before printing ${pattern}: ${out}`)))
  })
}

/** Committed chunks so far (0 while the database or its tables are still being made). */
function checkpoints(db: string): number {
  return scalar<number>(db, 'SELECT count(*) FROM sync_checkpoints')
}

describe('SIGTERM stops sync and sync --watch cleanly', () => {
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  const referenceDb = (): string => join(tmp(), 'reference.db')
  let api: DemoApi

  beforeAll(async () => {
    api = await startDemoApi({ records: 2000 })
    await generateDmrCache({ records: RECORDS, cacheDir: cache(), seed: 11 })
    const reference = await runCli(['sync', ...MODE_ARGS.streaming, '--db', referenceDb(), '--cache-dir', cache(), '--json'])
    expect(reference.code, reference.stderr).toBe(0)
  })
  afterAll(async () => {
    await api?.close()
  })

  it('--watch against the demo API: warms and syncs, writes --metrics-file, then SIGTERM during the sleep exits 0 at once, lock released', async () => {
    const db = join(tmp(), 'watch-demo.db')
    const metrics = join(tmp(), 'watch-demo.prom')
    const args = ['sync', '--watch', '--interval', '1h', '--json', '--metrics-file', metrics, '--db', db, '--cache-dir', join(tmp(), 'demo-cache')]
    const child = spawnCli(args, { CACHESYNC_BASE_URL: api.url })
    const done = finished(child)
    const cycle = JSON.parse(await lineOn(child, /^\{"cycle":1,/))
    expect(cycle.warm.sources.map((s: { outcome: string }) => s.outcome)).toEqual(['fetched', 'fetched', 'fetched'])
    expect(cycle).toMatchObject({ sync: 'synced', overran: false, report: { ok: true, records: { inserted: 2000 } } })
    child.kill('SIGTERM')
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(result.signal).toBeNull()
    expect(result.stderr).toMatch(/"msg":"watch cycle"/)
    expect(result.stderr).toMatch(/"cycles":1,"signal":"SIGTERM","msg":"watch stopped"/)
    expect(newestRun(db)?.outcome).toBe('ok')
    expect(existsSync(`${db}.lock`)).toBe(false)
    expect(existsSync(join(tmp(), 'demo-cache', '.cachesync-warm.lock'))).toBe(false)
    // --metrics-file: rewritten after the cycle's sync.
    const prom = readFileSync(metrics, 'utf8')
    expect(prom).toMatch(/^cachesync_sync_success 1$/m)
    expect(prom).toMatch(/^cachesync_sync_records\{outcome="inserted"\} 2000$/m)
  })

  it.each(MODES)('SIGTERM in the middle of a %s sync of 200,000 records: exit 0, sound database, run interrupted, resumed to the same tables', async (mode) => {
    const db = join(tmp(), `stopped-${mode}.db`)
    // Streaming goes through --watch (its first cycle); the others through a plain sync.
    const args =
      mode === 'streaming'
        ? ['sync', '--watch', '--no-warm', '--interval', '1h', ...MODE_ARGS[mode], '--db', db, '--cache-dir', cache()]
        : ['sync', ...MODE_ARGS[mode], '--db', db, '--cache-dir', cache(), '--json']
    const child = spawnCli(args)
    const done = finished(child)
    expect(await waitWhileRunning(child, () => checkpoints(db) > 0)).toBe(true)
    child.kill('SIGTERM')
    const stopped = await done
    expect(stopped.code, stopped.stderr).toBe(0)
    expect(stopped.stderr).toContain('"msg":"stop requested: finishing the chunk in flight"')
    if (mode === 'streaming') expect(stopped.stderr).toMatch(/"cycle":1,"warm":"off","sync":"stopped on request".*"msg":"watch cycle"/)
    else expect(stopped.stderr).toContain('cachesync: sync stopped (SIGTERM): the committed chunks are kept and the next sync resumes after them')
    expect(integrityCheck(db)).toEqual(['ok'])
    const run = newestRun(db)
    expect(run?.outcome).toBe('interrupted')
    expect(run?.error).toMatch(/^sync stopped \(SIGTERM\)/)
    expect(existsSync(`${db}.lock`)).toBe(false)
    expect(checkpoints(db)).toBeGreaterThan(0)

    const resumed = await runCli(['sync', ...MODE_ARGS[mode], '--db', db, '--cache-dir', cache(), '--json'])
    expect(resumed.code, resumed.stderr).toBe(0)
    const report = JSON.parse(resumed.stdout) as ReportJson
    expect(report.sources.reduce((sum, s) => sum + Number(s.resumedRecords), 0)).toBeGreaterThan(0)
    expect(newestRun(db)?.outcome).toBe('ok')
    expect(checksumAll(db)).toEqual(checksumAll(referenceDb()))
  })
})
