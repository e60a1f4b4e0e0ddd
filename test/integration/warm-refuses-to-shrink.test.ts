import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { scalar } from '../helpers/database.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { FAST_RETRY, itemsSource, readNdjson, snapshotDir, startServer, type TestServer, warmConfig } from '../helpers/warm.js'

// An upstream that answers 200 with fewer records than it had (an empty array during maintenance, half a
// restored database) must not replace a good cache: the next sync would delete the missing rows.
const dir = useTempDir()
let upstream: TestServer
let served = 100

beforeAll(async () => {
  upstream = await startServer((_req, res) => {
    const items = Array.from({ length: served }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` }))
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items }))
  })
})
afterAll(() => upstream.close())

function config(cacheDir: string, extra: Record<string, unknown> = {}, warm: Record<string, unknown> = {}, db?: string) {
  const file = {
    sources: [itemsSource('items', `${upstream.url}/items`, { columns: { id: 'integer', name: 'text' }, ...extra })],
    warm: { retry: FAST_RETRY, ...warm },
  }
  return warmConfig(dir(), file, { cacheDir, ...(db === undefined ? {} : { db, mode: 'sequential' }) })
}

/** A cache directory warmed with `records` records. */
async function warmedWith(name: string, records: number, extra: Record<string, unknown> = {}): Promise<string> {
  const cacheDir = join(dir(), name)
  served = records
  const report = await runWarm(config(cacheDir, extra))
  expect(report.sources[0]).toMatchObject({ outcome: 'fetched', records })
  return cacheDir
}

describe('warm refuses a fetch that would shrink a source past its limits, keeping the old cache', () => {
  it('an empty upstream array: refused, the cache kept byte for byte, and a sync after it deletes nothing', async () => {
    const cacheDir = await warmedWith('empty', 100)
    const db = join(dir(), 'empty.db')
    const first = await runSync(config(cacheDir, {}, {}, db))
    expect(first.sources[0]?.records.inserted).toBe(100)
    const before = snapshotDir(cacheDir)

    served = 0
    const report = await runWarm(config(cacheDir))
    expect(report.ok).toBe(false)
    expect(report.sources[0]).toMatchObject({ outcome: 'failed', code: 'ERR_SHRINK', records: 0 })
    const source = report.sources[0]
    expect(source !== undefined && 'error' in source ? source.error : '').toBe(
      'upstream returned 0 records, fewer than the 1 record the source must have (minRecords); kept the old cache. ' +
        'If upstream really shrank, run `cachesync warm --allow-shrink --source items` once',
    )
    expect(snapshotDir(cacheDir)).toEqual(before)

    const second = await runSync(config(cacheDir, {}, {}, db))
    expect(second.sources[0]?.records.deleted ?? 0).toBe(0)
    expect(scalar(db, 'SELECT count(*) FROM items')).toBe(100)
  })

  it('a drop within maxShrink (40 % of 100, default 50 %) is an ordinary fetch', async () => {
    const cacheDir = await warmedWith('within', 100)
    served = 60
    const report = await runWarm(config(cacheDir))
    expect(report.sources[0]).toMatchObject({ outcome: 'fetched', records: 60 })
    expect(readNdjson(join(cacheDir, 'items.ndjson'))).toHaveLength(60)
  })

  it('a drop past maxShrink is refused; --allow-shrink (allowShrink) takes it', async () => {
    const cacheDir = await warmedWith('past', 100)
    served = 30
    const refused = await runWarm(config(cacheDir))
    const source = refused.sources[0]
    expect(source).toMatchObject({ outcome: 'failed', code: 'ERR_SHRINK' })
    expect(source !== undefined && 'error' in source ? source.error : '').toMatch(
      /^upstream returned 30 records where the cache holds 100 records: a drop of 70 %, more than the 50 % allowed \(maxShrink\); kept the old cache/,
    )
    expect(readNdjson(join(cacheDir, 'items.ndjson'))).toHaveLength(100)

    const accepted = await runWarm(config(cacheDir), { allowShrink: true })
    expect(accepted.sources[0]).toMatchObject({ outcome: 'fetched', records: 30 })
    expect(readNdjson(join(cacheDir, 'items.ndjson'))).toHaveLength(30)
  })

  it('maxShrink per source and in the warm settings; 1 accepts any shrink', async () => {
    const cacheDir = await warmedWith('settings', 100)
    served = 85
    const strict = await runWarm(config(cacheDir, { maxShrink: 0.1 }))
    expect(strict.sources[0]).toMatchObject({ outcome: 'failed', code: 'ERR_SHRINK' })
    const strictWarm = await runWarm(config(cacheDir, {}, { maxShrink: 0.1 }))
    expect(strictWarm.sources[0]).toMatchObject({ outcome: 'failed', code: 'ERR_SHRINK' })
    served = 0
    const loose = await runWarm(config(cacheDir, { maxShrink: 1, minRecords: 0 }))
    expect(loose.sources[0]).toMatchObject({ outcome: 'fetched', records: 0 })
  })

  it('minRecords holds for a first fetch too, when there is no cache to compare with', async () => {
    const cacheDir = join(dir(), 'first')
    served = 10
    const report = await runWarm(config(cacheDir, { minRecords: 50 }))
    expect(report.sources[0]).toMatchObject({ outcome: 'failed', code: 'ERR_SHRINK' })
    expect(snapshotDir(cacheDir)).toEqual({})
  })

  it('a cache file without a meta file (put there by hand) is counted by its lines', async () => {
    const cacheDir = await warmedWith('no-meta', 100)
    rmSync(join(cacheDir, 'items.meta.json'))
    writeFileSync(join(cacheDir, 'items.ndjson'), `${Array.from({ length: 80 }, (_, i) => JSON.stringify({ id: i })).join('\n')}`)
    served = 20
    const report = await runWarm(config(cacheDir))
    const source = report.sources[0]
    expect(source !== undefined && 'error' in source ? source.error : '').toMatch(/^upstream returned 20 records where the cache holds 80 records/)
  })

  it('a source without columns is warmed, then synced with its columns inferred', async () => {
    const cacheDir = await warmedWith('unmapped', 5)
    const unmapped = warmConfig(dir(), { sources: [itemsSource('items', `${upstream.url}/items`)] }, { cacheDir, db: join(dir(), 'unmapped.db') })
    const report = await runSync(unmapped)
    expect(report.ok).toBe(true)
    expect(report.sources[0]).toMatchObject({ state: 'synced', records: { read: 5, inserted: 5, rejected: 0 } })
  })

  it('the CLI: exit 1 with the reason and no stack trace; --allow-shrink accepts', async () => {
    const cacheDir = await warmedWith('cli', 100)
    const file = join(dir(), 'cli.json')
    writeFileSync(file, JSON.stringify({ sources: [itemsSource('items', `${upstream.url}/items`)], warm: { retry: FAST_RETRY } }))
    served = 0
    const args = ['warm', '--config', file, '--cache-dir', cacheDir, '--log-level', 'silent', '--no-progress']
    const refused = await runCli(args)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('fewer than the 1 record the source must have (minRecords); kept the old cache')
    expect(refused.stdout + refused.stderr).not.toMatch(STACK_LINE)
    const accepted = await runCli([...args, '--allow-shrink'])
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0)
    expect(readNdjson(join(cacheDir, 'items.ndjson'))).toHaveLength(0)
  })
})
