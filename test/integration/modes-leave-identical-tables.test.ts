import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { diffSource, expectedCounts } from '../helpers/change-set.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { checksumAll, DMR_TABLES } from '../helpers/database.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 12_000
const SEED = 7

describe('the three modes leave identical tables', () => {
  const tmp = useTempDir()
  const first = new Map<Mode, SyncReport>()
  const second = new Map<Mode, SyncReport>()
  const firstSums = new Map<Mode, ReturnType<typeof checksumAll>>()
  const secondSums = new Map<Mode, ReturnType<typeof checksumAll>>()

  beforeAll(async () => {
    const base = join(tmp(), 'base')
    const changed = join(tmp(), 'changed')
    await generateDmrCache({ records: RECORDS, cacheDir: base, seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: changed, seed: SEED, changeRate: 0.03 })
    for (const mode of MODES) {
      const db = join(tmp(), `${mode}.db`)
      first.set(mode, await runSync(testConfig({ db, cacheDir: base, mode })))
      firstSums.set(mode, checksumAll(db))
      second.set(mode, await runSync(testConfig({ db, cacheDir: changed, mode })))
      secondSums.set(mode, checksumAll(db))
    }
  })

  it('runs each mode as asked, and every source syncs', () => {
    for (const mode of MODES) {
      for (const report of [first.get(mode), second.get(mode)]) {
        expect(report?.mode).toBe(mode)
        expect(report?.ok).toBe(true)
        expect(report?.sources.map((s) => [s.name, s.state])).toEqual([
          ['rptrs', 'synced'],
          ['users', 'synced'],
          ['devices', 'synced'],
        ])
      }
    }
  })

  it('first sync: all three tables have the same checksum in every mode, with every record in them', () => {
    const reference = firstSums.get('sequential')
    expect(Object.values(reference ?? {}).reduce((sum, t) => sum + t.rows, 0)).toBe(RECORDS)
    for (const mode of MODES) expect(firstSums.get(mode), mode).toEqual(reference)
  })

  it('after a 3 % change set: all three tables again have the same checksum in every mode', () => {
    const reference = secondSums.get('sequential')
    for (const table of DMR_TABLES) expect(reference?.[table]?.sha256).not.toBe(firstSums.get('sequential')?.[table]?.sha256)
    for (const mode of MODES) expect(secondSums.get(mode), mode).toEqual(reference)
  })

  it('reports the same counts in every mode, and they are those of the change set', () => {
    const base = join(tmp(), 'base')
    const changed = join(tmp(), 'changed')
    for (const table of DMR_TABLES) {
      const expected = expectedCounts(diffSource(base, changed, table))
      // A 3 % change set of this size touches every source: the comparison below is not vacuous.
      expect(expected.inserted + expected.updated + expected.deleted, table).toBeGreaterThan(0)
      for (const mode of MODES) {
        expect(second.get(mode)?.sources.find((s) => s.name === table)?.records, `${mode} ${table}`).toEqual(expected)
      }
    }
    const totals = MODES.map((mode) => second.get(mode)?.records)
    expect(totals[1]).toEqual(totals[0])
    expect(totals[2]).toEqual(totals[0])
    const total = totals[0]
    expect(total?.read).toBe(RECORDS)
    // About 1 % each of altered, added and removed records.
    expect(total?.updated).toBeGreaterThan(RECORDS * 0.005)
    expect(total?.updated).toBeLessThan(RECORDS * 0.02)
    expect(total?.inserted).toBe(total?.deleted)
  })

  it('first sync counts: everything inserted, in every mode', () => {
    for (const mode of MODES) {
      expect(first.get(mode)?.records, mode).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
    }
  })
})
