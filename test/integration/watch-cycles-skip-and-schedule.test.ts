import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import type { Logger } from '../../src/util/logger.js'
import { runWatch, type WatchCycle } from '../../src/watch/run-watch.js'
import { testConfig } from '../helpers/config.js'
import { useTempDir } from '../helpers/temp-dir.js'

/** A logger that keeps what it was given: the watch's one line a cycle is part of its contract. */
function recordingLogger(): Logger & { lines: { level: string; obj: object; msg: string }[] } {
  const lines: { level: string; obj: object; msg: string }[] = []
  const at = (level: string) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg })
  }
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }
}

/**
 * runWatch in this process with the real runSync on real SQLite files; only the sleep is recorded. The
 * built-in sources have urls (the real RadioID and BrandMeister): these tests do not warm.
 */
describe('runWatch: cycles, skips and the schedule', () => {
  const tmp = useTempDir()

  it('syncs, then skips while the cache holds what it loaded, then syncs a changed cache; one log line a cycle', async () => {
    const cacheDir = join(tmp(), 'skip-cache')
    await generateDmrCache({ records: 1000, cacheDir, seed: 7 })
    const config = testConfig({ db: join(tmp(), 'skip.db'), cacheDir })
    const logger = recordingLogger()
    const cycles: WatchCycle[] = []
    const sleeps: number[] = []
    const result = await runWatch(config, {
      intervalMs: 60_000,
      maxCycles: 4,
      warm: false,
      logger,
      sleep: async (ms) => {
        sleeps.push(ms)
      },
      onCycle: async (cycle) => {
        cycles.push(cycle)
        // The same records written again (new files, same bytes), then a changed data set.
        if (cycle.n === 2) await generateDmrCache({ records: 1000, cacheDir, seed: 7 })
        if (cycle.n === 3) await generateDmrCache({ records: 1000, cacheDir, seed: 7, changeRate: 0.1 })
      },
    })
    expect(result).toEqual({ cycles: 4, stopped: false })
    expect(cycles.map((c) => c.sync.kind)).toEqual(['synced', 'skipped', 'skipped', 'synced'])
    const last = cycles[3]?.sync
    expect(last?.kind === 'synced' && last.report.records.updated + last.report.records.inserted).toBeGreaterThan(0)
    expect(cycles.every((c) => c.warm === undefined && !c.overran)).toBe(true)
    // Measured from each cycle's start: the sleep is the interval less the cycle.
    expect(sleeps).toHaveLength(3)
    for (const [i, ms] of sleeps.entries()) {
      expect(ms).toBeLessThanOrEqual(60_000 - (cycles[i] as WatchCycle).ms)
      expect(ms).toBeGreaterThan(0)
    }
    expect(logger.lines.filter((l) => l.msg === 'watch cycle')).toHaveLength(4)
    expect(logger.lines[1]?.obj).toMatchObject({ cycle: 2, warm: 'off', sync: 'skipped: the cache holds what the last sync loaded' })
    expect(existsSync(`${config.db}.lock`)).toBe(false)
  })

  it('a cycle longer than the interval is followed at once, and says so', async () => {
    const cacheDir = join(tmp(), 'overrun-cache')
    await generateDmrCache({ records: 500, cacheDir })
    const logger = recordingLogger()
    const cycles: WatchCycle[] = []
    const sleeps: number[] = []
    // A 1 ms interval: every real sync takes longer (force: no skipping).
    await runWatch(testConfig({ db: join(tmp(), 'overrun.db'), cacheDir }), {
      intervalMs: 1,
      maxCycles: 2,
      warm: false,
      syncOptions: { force: true },
      logger,
      sleep: async (ms) => {
        sleeps.push(ms)
      },
      onCycle: (cycle) => {
        cycles.push(cycle)
      },
    })
    expect(cycles.map((c) => [c.sync.kind, c.overran, c.nextInMs])).toEqual([
      ['synced', true, 0],
      ['synced', true, 0],
    ])
    expect(sleeps).toEqual([])
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'watch cycle took longer than the interval: the next starts at once',
      'watch cycle took longer than the interval: the next starts at once',
    ])
  })

  it('an abort during the sleep ends the loop at once, with the lock released', async () => {
    const cacheDir = join(tmp(), 'stop-cache')
    await generateDmrCache({ records: 500, cacheDir })
    const config = testConfig({ db: join(tmp(), 'stop.db'), cacheDir })
    const stop = new AbortController()
    const result = await runWatch(config, {
      intervalMs: 3_600_000,
      warm: false,
      signal: stop.signal,
      // The real sleep: an hour, unless the abort ends it.
      onCycle: () => {
        setTimeout(() => stop.abort(new Error('SIGTERM')), 20)
      },
    })
    expect(result).toEqual({ cycles: 1, stopped: true })
    expect(existsSync(`${config.db}.lock`)).toBe(false)
  })

  it('a failed sync is logged and the loop goes on; it is not taken for the state to skip from', async () => {
    const config = testConfig({ db: join(tmp(), 'failing.db'), cacheDir: join(tmp(), 'no-such-cache') })
    const logger = recordingLogger()
    const cycles: WatchCycle[] = []
    await runWatch(config, { intervalMs: 60_000, maxCycles: 2, warm: false, logger, sleep: async () => {}, onCycle: (c) => void cycles.push(c) })
    // Every source is missing: the sync reports them failed (not ok), so the second cycle tries again.
    expect(cycles.map((c) => c.sync.kind)).toEqual(['synced', 'synced'])
    expect(cycles.every((c) => c.sync.kind === 'synced' && !c.sync.report.ok)).toBe(true)
    expect(logger.lines.map((l) => l.level)).toEqual(['error', 'error'])
  })
})
