import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SourceReport, SyncReport } from '../../src/engine/sync-report.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { diffSource, expectedCounts, type SourceDiff } from '../helpers/change-set.js'
import { MODES, testConfig } from '../helpers/config.js'
import { DMR_TABLES, query } from '../helpers/database.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 10_000
const SEED = 11

function source(report: SyncReport, name: string): SourceReport {
  const found = report.sources.find((s) => s.name === name)
  if (found === undefined) throw new Error(`no source ${name} in the report`)
  return found
}

/** Keys of a table, as strings, split into live and soft-deleted rows. */
function keysOf(db: string, table: string, key: string): { live: Set<string>; softDeleted: Set<string> } {
  const rows = query<{ k: number; d: string | null }>(db, `SELECT "${key}" AS k, "_deleted_at" AS d FROM "${table}"`)
  return {
    live: new Set(rows.filter((r) => r.d === null).map((r) => String(r.k))),
    softDeleted: new Set(rows.filter((r) => r.d !== null).map((r) => String(r.k))),
  }
}

const KEY: Record<string, string> = { rptrs: 'id', users: 'radio_id', devices: 'id' }

describe.each(MODES)('sync counts against a generated change set (%s mode)', (mode) => {
  const tmp = useTempDir()
  const diffs = new Map<string, SourceDiff>()
  const dir = (name: string): string => join(tmp(), name)
  const db = (): string => join(tmp(), 'sync.db')
  const sync = (cacheDir: string, force = false): Promise<SyncReport> => runSync(testConfig({ db: db(), cacheDir: dir(cacheDir), mode }), { force, env: {} })

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: dir('a'), seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: dir('b'), seed: SEED, changeRate: 0.03 })
    for (const table of DMR_TABLES) diffs.set(table, diffSource(dir('a'), dir('b'), table))
  })

  // The tests below run in order against one database: a → b → a → a (unchanged) → a --force.

  it('first sync inserts every record', async () => {
    const report = await sync('a')
    expect(report.ok).toBe(true)
    for (const table of DMR_TABLES) {
      const s = source(report, table)
      expect(s.state).toBe('synced')
      expect(s.records.inserted).toBe(s.records.read)
      expect(s.records.read).toBeGreaterThan(0)
    }
    expect(report.records).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
  })

  it('the change set: exact inserted, updated, unchanged and deleted counts per source, computed from the two files', async () => {
    const report = await sync('b')
    expect(report.ok).toBe(true)
    for (const table of DMR_TABLES) {
      const diff = diffs.get(table) as SourceDiff
      expect(diff.inserted.size, `${table} has additions`).toBeGreaterThan(0)
      expect(diff.updated.size, `${table} has alterations`).toBeGreaterThan(0)
      expect(diff.deleted.size, `${table} has removals`).toBeGreaterThan(0)
      expect(source(report, table).records, table).toEqual(expectedCounts(diff))
    }
  })

  it('hard delete: rptrs and users hold exactly the keys of the new files', () => {
    for (const table of ['rptrs', 'users']) {
      const diff = diffs.get(table) as SourceDiff
      const { live, softDeleted } = keysOf(db(), table, KEY[table] as string)
      expect(softDeleted.size).toBe(0)
      expect(live).toEqual(new Set([...diff.inserted, ...diff.updated, ...diff.unchanged]))
    }
  })

  it('soft delete: devices keeps the vanished rows, with _deleted_at set, and only those', () => {
    const diff = diffs.get('devices') as SourceDiff
    const { live, softDeleted } = keysOf(db(), 'devices', 'id')
    expect(softDeleted).toEqual(diff.deleted)
    expect(live).toEqual(new Set([...diff.inserted, ...diff.updated, ...diff.unchanged]))
    const stamps = query<{ d: string }>(db(), 'SELECT "_deleted_at" AS d FROM devices WHERE "_deleted_at" IS NOT NULL')
    for (const { d } of stamps) expect(Number.isNaN(Date.parse(d)), d).toBe(false)
  })

  it('going back to the first files: soft-deleted devices come back live and count as updated', async () => {
    const report = await sync('a')
    expect(report.ok).toBe(true)
    const diff = diffs.get('devices') as SourceDiff
    // Back from b to a: b's removals reappear, b's alterations revert, b's additions vanish.
    expect(source(report, 'devices').records).toEqual({
      read: diff.deleted.size + diff.updated.size + diff.unchanged.size,
      inserted: 0,
      updated: diff.deleted.size + diff.updated.size,
      unchanged: diff.unchanged.size,
      deleted: diff.inserted.size,
      rejected: 0,
    })
    const { live, softDeleted } = keysOf(db(), 'devices', 'id')
    for (const key of diff.deleted) expect(live.has(key), `device ${key} is live again`).toBe(true)
    expect(softDeleted).toEqual(diff.inserted)
    // Hard-deleted rows that reappear are inserted anew.
    const rptrs = diffs.get('rptrs') as SourceDiff
    expect(source(report, 'rptrs').records).toMatchObject({ inserted: rptrs.deleted.size, updated: rptrs.updated.size, deleted: rptrs.inserted.size })
  })

  it('a re-sync of unchanged files reports every source unchanged and reads nothing', async () => {
    const report = await sync('a')
    expect(report.ok).toBe(true)
    expect(report.sources.map((s) => [s.name, s.state])).toEqual(DMR_TABLES.map((t) => [t, 'unchanged']))
    expect(report.records).toEqual({ read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
  })

  it('--force re-reads the unchanged files and reports every record unchanged', async () => {
    const report = await sync('a', true)
    expect(report.ok).toBe(true)
    expect(report.sources.map((s) => [s.name, s.state])).toEqual(DMR_TABLES.map((t) => [t, 'synced']))
    expect(report.records).toEqual({ read: RECORDS, inserted: 0, updated: 0, unchanged: RECORDS, deleted: 0, rejected: 0 })
    // The soft-deleted devices stay soft-deleted: nothing in the file names them.
    const diff = diffs.get('devices') as SourceDiff
    expect(keysOf(db(), 'devices', 'id').softDeleted).toEqual(diff.inserted)
  })
})
