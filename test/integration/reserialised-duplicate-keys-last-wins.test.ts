import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { testConfig } from '../helpers/config.js'
import { query } from '../helpers/database.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * A re-serialised record (new bytes, the same values) is found unchanged by the database's comparison
 * in the merge (issue 14 §3). These tests feed that shortcut, in parallel mode on SQLite (saved live
 * rows, rows named by rowid), what could go wrong with it: a key twice in one file (the last record must
 * still win, in one worker range or across two), a row deleted and then back with its old values, and a
 * mapping change; after every sync the table must be the one a fresh sequential sync of the same file
 * makes.
 */
const RECORDS = 3000
const CONFIG = { sources: [{ name: 'items', key: 'id', columns: { id: 'integer', v: 'text', n: 'integer' } }] }

type Item = { id: number; v: string; n: number }
const items: Item[] = Array.from({ length: RECORDS }, (_, i) => ({ id: i + 1, v: `value ${i + 1}`, n: i % 7 }))

/** The same values under other bytes: keys reversed, the id as a string, a field the mapping does not use. */
const reserialised = (item: Item): string => JSON.stringify({ unused: 'x', n: item.n, v: item.v, id: String(item.id) })
const plain = (item: Item): string => JSON.stringify(item)

describe('re-serialised records and keys met twice: the last record wins (parallel mode, SQLite)', () => {
  const tmp = useTempDir()
  const db = (): string => join(tmp(), 'items.db')
  const cacheDir = (): string => join(tmp(), 'cache')
  let configFile = ''
  const reports: Record<string, SyncReport> = {}
  const matchesFresh: Record<string, boolean> = {}

  /** Syncs `lines` in parallel mode, then checks the table against a fresh sequential sync of them. */
  async function step(name: string, lines: readonly string[], config = configFile): Promise<void> {
    writeFileSync(join(cacheDir(), 'items.ndjson'), `${lines.join('\n')}\n`)
    // Forced: a file the same as the last one would be skipped whole.
    reports[name] = await runSync(testConfig({ db: db(), cacheDir: cacheDir(), mode: 'parallel' }, config), { force: true })
    const fresh = join(tmp(), `fresh-${name}.db`)
    await runSync(testConfig({ db: fresh, cacheDir: cacheDir(), mode: 'sequential' }, config))
    // The values, not `_hash`: a row left alone keeps the hash of the bytes that wrote it.
    const rows = (path: string): unknown => query(path, 'SELECT id, v, n, typeof(n) AS t, _deleted_at FROM items ORDER BY id')
    matchesFresh[name] = JSON.stringify(rows(db())) === JSON.stringify(rows(fresh))
  }

  const valuesAfter: Record<string, unknown> = {}

  beforeAll(async () => {
    configFile = join(tmp(), 'items.json')
    writeFileSync(configFile, JSON.stringify(CONFIG))
    mkdirSync(cacheDir())
    await step('first', items.map(plain))
    await step('reserialised', items.map(reserialised))
    await step('again', items.map(reserialised))
    // Key 5 changed early, then its old values late (another worker range): the old values win.
    const five = items[4] as Item
    await step('twice across ranges', [plain({ ...five, v: 'changed 5' }), ...items.filter((item) => item !== five).map(plain), plain(five)])
    valuesAfter.five = query(db(), 'SELECT v FROM items WHERE id = 5')
    // Key 7 changed, then at once its old values re-serialised (one range): the old values win.
    const withSeven = items.flatMap((item) => (item.id === 7 ? [plain({ ...item, v: 'changed 7' }), reserialised(item)] : [plain(item)]))
    await step('twice in one range', withSeven)
    valuesAfter.seven = query(db(), 'SELECT v FROM items WHERE id = 7')
    // Key 9: its old values first, then a change: the change wins.
    await step(
      'old then changed',
      items.flatMap((item) => (item.id === 9 ? [reserialised(item), plain({ ...item, v: 'changed 9' })] : [plain(item)])),
    )
    valuesAfter.nine = query(db(), 'SELECT v FROM items WHERE id = 9')
    await step('back to plain', items.map(plain))
    // Row 10 vanishes, then comes back with the values it had: it must be inserted again.
    await step('without 10', items.filter((item) => item.id !== 10).map(plain))
    await step('10 back, re-serialised', items.map(reserialised))
    // A mapping change rewrites every row: the shortcut must not stand in for it.
    const renamed = join(tmp(), 'items-upper.json')
    const upper = { id: 'integer', v: { type: 'text', normalize: 'upper' }, n: 'integer' }
    writeFileSync(renamed, JSON.stringify({ sources: [{ name: 'items', key: 'id', columns: upper }] }))
    await step('mapping changed', items.map(reserialised), renamed)
  }, 240_000)

  it('every sync succeeds and leaves the table a fresh sync of its file makes', () => {
    for (const [name, report] of Object.entries(reports)) {
      expect(report.ok, name).toBe(true)
      expect(matchesFresh[name], name).toBe(true)
    }
  })

  it('a re-serialised upstream counts every record unchanged, and the next sync knows the new bytes', () => {
    expect(reports.reserialised?.records).toMatchObject({ read: RECORDS, inserted: 0, updated: 0, unchanged: RECORDS, deleted: 0 })
    expect(reports.again?.sources[0]?.knownRecords).toBe(RECORDS)
  })

  it('a key twice in a file: the last record wins, in one range or across two', () => {
    expect(valuesAfter).toEqual({ five: [{ v: 'value 5' }], seven: [{ v: 'value 7' }], nine: [{ v: 'changed 9' }] })
  })

  it('a row that vanished and came back with its old values is inserted again', () => {
    expect(reports['without 10']?.records.deleted).toBe(1)
    expect(reports['10 back, re-serialised']?.records).toMatchObject({ inserted: 1, updated: 0, deleted: 0 })
  })

  it('a mapping change still rewrites the rows it changes', () => {
    expect(reports['mapping changed']?.records).toMatchObject({ updated: RECORDS, unchanged: 0 })
    expect(query(db(), 'SELECT v FROM items WHERE id = 1')).toEqual([{ v: 'VALUE 1' }])
  })
})
