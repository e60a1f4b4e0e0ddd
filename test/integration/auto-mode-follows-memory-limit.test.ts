import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { testConfig } from '../helpers/config.js'
import { query } from '../helpers/database.js'
import { runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 4_000

describe('auto mode under CACHESYNC_MEMORY_LIMIT_MB', () => {
  const tmp = useTempDir()
  const cacheDir = (): string => join(tmp(), 'cache')

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: cacheDir(), seed: 2 })
  })

  it('runSync with a 300 MB limit picks streaming, chunk 500, says why, and records it in sync_runs', async () => {
    const db = join(tmp(), 'auto-300.db')
    const report = await runSync(testConfig({ db, cacheDir: cacheDir(), mode: 'auto' }), { env: { CACHESYNC_MEMORY_LIMIT_MB: '300' } })
    expect(report.ok).toBe(true)
    expect(report.mode).toBe('streaming')
    expect(report.chunk).toBe(500)
    expect(report.workers).toBe(0)
    expect(report.reason).toMatch(/^auto: 300 MiB available \(override\), .* of cache → streaming, chunk 500 \(under 512 MiB\)$/)
    expect(report.records.inserted).toBe(RECORDS)
    const runs = query<{ mode: string; chunk: number; reason: string; outcome: string }>(db, 'SELECT mode, chunk, reason, outcome FROM sync_runs')
    expect(runs).toEqual([{ mode: 'streaming', chunk: 500, reason: report.reason, outcome: 'ok' }])
  })

  it('runSync with a 16 GB limit and this small cache picks one thread, streaming, and says why', async () => {
    const report = await runSync(testConfig({ db: join(tmp(), 'auto-16g.db'), cacheDir: cacheDir(), mode: 'auto' }), {
      env: { CACHESYNC_MEMORY_LIMIT_MB: '16384' },
    })
    expect(report.ok).toBe(true)
    expect(report.mode).toBe('streaming')
    expect(report.workers).toBe(0)
    expect(report.reason).toMatch(
      /^auto: 16\.0 GiB available \(override\), .* of cache → streaming, chunk 2000 \(under 64 MiB of cache: one thread is faster than a pool\)$/,
    )
    expect(report.records.inserted).toBe(RECORDS)
  })

  it('the CLI reads the limit from its environment, and logs the choice on stderr', async () => {
    const db = join(tmp(), 'cli.db')
    const cli = await runCli(['sync', '--db', db, '--cache-dir', cacheDir(), '--json'], { CACHESYNC_MEMORY_LIMIT_MB: '1024' })
    expect(cli.code).toBe(0)
    const out = JSON.parse(cli.stdout) as { mode: string; chunk: number; reason: string }
    expect(out).toMatchObject({ mode: 'streaming', chunk: 1000 })
    const logged = cli.stderr
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { msg?: string; mode?: string; chunk?: number; reason?: string })
      .find((entry) => entry.msg === 'mode chosen')
    expect(logged).toMatchObject({ mode: 'streaming', chunk: 1000, reason: out.reason })
    expect(out.reason).toContain('1.0 GiB available (override)')
  })
})
