import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { checksumAll, query } from '../helpers/database.js'
import { DUPLICATE_KEY_LINES, DUPLICATE_KEY_RECORDS, ITEMS_CONFIG } from '../helpers/duplicate-keys.js'
import { itUnless } from '../helpers/known-bug.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * Upstream dumps are not always clean: a key can appear twice in one file. The engine's rule (see the
 * staging file: "a key staged twice keeps its last row, as a row-by-row upsert would") is that the last
 * record of a key wins. Key 3 appears three times, the last two near the end of the file, so that in
 * parallel mode two of them fall in the same worker range.
 */
const RECORDS = DUPLICATE_KEY_RECORDS
const lines = DUPLICATE_KEY_LINES
const CONFIG = ITEMS_CONFIG

/** Product bugs found by this file (see the test report). */
const PARALLEL_COUNTS =
  "parallel mode: a worker's staging file keeps one row per key (INSERT OR REPLACE), so a duplicate within one range is never counted as written and shows up as 'unchanged'"

describe('a key that appears more than once in a file: the last record wins', () => {
  const tmp = useTempDir()
  const db = (mode: Mode): string => join(tmp(), `${mode}.db`)
  const first = new Map<Mode, SyncReport>()
  const forced = new Map<Mode, SyncReport>()
  const sums = new Map<Mode, ReturnType<typeof checksumAll>>()
  const sumsAfterForce = new Map<Mode, ReturnType<typeof checksumAll>>()
  const afterFirst = new Map<Mode, { rows: unknown; key3: unknown }>()

  beforeAll(async () => {
    const configFile = join(tmp(), 'items.json')
    writeFileSync(configFile, JSON.stringify(CONFIG))
    mkdirSync(join(tmp(), 'cache'))
    writeFileSync(join(tmp(), 'cache', 'items.ndjson'), `${lines.join('\n')}\n`)
    for (const mode of MODES) {
      const config = testConfig({ db: db(mode), cacheDir: join(tmp(), 'cache'), mode, chunk: 50 }, configFile)
      first.set(mode, await runSync(config))
      sums.set(mode, checksumAll(db(mode), ['items']))
      afterFirst.set(mode, { rows: query(db(mode), 'SELECT count(*) AS n FROM items'), key3: query(db(mode), 'SELECT v FROM items WHERE id = 3') })
      forced.set(mode, await runSync(config, { force: true }))
      sumsAfterForce.set(mode, checksumAll(db(mode), ['items']))
    }
  })

  it.each(MODES)('%s mode: one row per key, holding the last record', (mode) => {
    expect(first.get(mode)?.ok).toBe(true)
    expect(afterFirst.get(mode)).toEqual({ rows: [{ n: RECORDS }], key3: [{ v: 'last 3' }] })
  })

  it('the three modes leave the same table', () => {
    expect(sums.get('parallel')).toEqual(sums.get('sequential'))
    expect(sums.get('streaming')).toEqual(sums.get('sequential'))
  })

  it('sequential and streaming count every write: 400 inserts, 2 updates', () => {
    for (const mode of ['sequential', 'streaming'] as const) {
      expect(first.get(mode)?.records, mode).toEqual({ read: RECORDS + 2, inserted: RECORDS, updated: 2, unchanged: 0, deleted: 0, rejected: 0 })
    }
  })

  itUnless(PARALLEL_COUNTS)('parallel mode reports the same counts as the other modes', () => {
    expect(first.get('parallel')?.records).toEqual(first.get('sequential')?.records)
  })

  it.each(MODES)('%s mode: a --force re-sync of the very same file leaves the table as it was', (mode) => {
    expect(forced.get(mode)?.ok).toBe(true)
    expect(query(db(mode), 'SELECT v FROM items WHERE id = 3')).toEqual([{ v: 'last 3' }])
    expect(sumsAfterForce.get(mode)).toEqual(sums.get(mode))
  })
})
