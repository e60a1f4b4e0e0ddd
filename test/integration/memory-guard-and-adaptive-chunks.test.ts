import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { checksumAll, scalar } from '../helpers/database.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

interface Report {
  chunk: number
  chunkSizes: number[]
  memory: { thresholdMb: number; peakRssMb: number; peakHeapMb: number; backOffs: string[] }
}

describe('the memory guard backs off instead of dying, and `--chunk auto` sizes the transactions', () => {
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  const reference = (): string => join(tmp(), 'reference.db')

  async function sync(db: string, args: string[], env: Record<string, string> = {}): Promise<Report> {
    const result = await runCli(['sync', '--db', db, '--cache-dir', cache(), '--json', '--log-level', 'warn', ...args], env)
    expect(result.code, result.stderr).toBe(0)
    return JSON.parse(result.stdout) as Report
  }

  beforeAll(async () => {
    await generateDmrCache({ records: 20_000, cacheDir: cache(), seed: 21 })
    await sync(reference(), ['--mode', 'sequential'])
  })

  it('records the threshold and the peaks of a run under it, with no back-off', async () => {
    const report = await sync(join(tmp(), 'calm.db'), ['--mode', 'streaming', '--chunk', '1000'])
    expect(report.memory.thresholdMb).toBe(500)
    expect(report.memory.peakRssMb).toBeGreaterThan(0)
    expect(report.memory.peakHeapMb).toBeGreaterThan(0)
    expect(report.memory.backOffs).toEqual([])
    expect(report.chunkSizes).toEqual([1000])
  })

  it('streaming over the threshold halves its chunks, logs it, records it in the run, and still ends right', async () => {
    const db = join(tmp(), 'tight-streaming.db')
    const report = await sync(db, ['--mode', 'streaming', '--chunk', '2000', '--memory-threshold-mb', '1'])
    expect(report.memory.thresholdMb).toBe(1)
    expect(report.memory.backOffs[0]).toBe('streaming chunk 2000 → 1000')
    expect(report.chunkSizes.slice(0, 2)).toEqual([2000, 1000])
    expect(Math.min(...report.chunkSizes)).toBeGreaterThanOrEqual(100)
    expect(checksumAll(db)).toEqual(checksumAll(reference()))
    const recorded = JSON.parse(scalar<string>(db, 'SELECT report FROM sync_runs ORDER BY id DESC LIMIT 1')) as Report
    expect(recorded.memory.backOffs).toEqual(report.memory.backOffs)
  })

  it('parallel over the threshold (set by the environment) keeps one task in flight, and still ends right', async () => {
    const db = join(tmp(), 'tight-parallel.db')
    const report = await sync(db, ['--mode', 'parallel'], { CACHESYNC_MEMORY_THRESHOLD_MB: '1' })
    expect(report.memory.thresholdMb).toBe(1)
    expect(report.memory.backOffs).toHaveLength(1)
    expect(report.memory.backOffs[0]).toMatch(/^parallel tasks in flight \d+ → 1$/)
    expect(checksumAll(db)).toEqual(checksumAll(reference()))
  })

  it('--chunk auto keeps every size within 500..50,000 and leaves the same tables', async () => {
    for (const mode of ['streaming', 'sequential']) {
      const db = join(tmp(), `auto-${mode}.db`)
      const report = await sync(db, ['--mode', mode, '--chunk', 'auto'])
      expect(report.chunkSizes.length).toBeGreaterThanOrEqual(1)
      for (const size of report.chunkSizes) {
        expect(size).toBeGreaterThanOrEqual(500)
        expect(size).toBeLessThanOrEqual(50_000)
      }
      expect(checksumAll(db)).toEqual(checksumAll(reference()))
    }
  })

  it('CACHESYNC_CHUNK=auto works like --chunk auto; a chunk that is neither is a usage error', async () => {
    const report = await sync(join(tmp(), 'env-auto.db'), ['--mode', 'streaming'], { CACHESYNC_CHUNK: 'auto' })
    for (const size of report.chunkSizes) expect(size).toBeGreaterThanOrEqual(500)
    const bad = await runCli(['sync', '--db', join(tmp(), 'bad.db'), '--cache-dir', cache(), '--chunk', 'lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--chunk must be a positive integer or auto, got "lots"')
    expect(bad.stderr).not.toMatch(STACK_LINE)
    const badEnv = await runCli(['sync', '--db', join(tmp(), 'bad.db'), '--cache-dir', cache()], { CACHESYNC_MEMORY_THRESHOLD_MB: 'much' })
    expect(badEnv.code).toBe(2)
    expect(badEnv.stderr).toContain('CACHESYNC_MEMORY_THRESHOLD_MB must be a positive number of MiB')
  })
})
