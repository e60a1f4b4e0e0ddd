import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { liveRowsDir } from '../../src/sink/sqlite/database-files.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { checksumAll, DMR_TABLES, query } from '../helpers/database.js'
import { DUPLICATE_KEY_LINES, DUPLICATE_KEY_RECORDS, ITEMS_CONFIG } from '../helpers/duplicate-keys.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 6_000
const SEED = 23

/** The cache of each step: changes, then back to the first file (rows come back), then more changes. */
const STEPS = [
  { name: 'first', changeRate: 0 },
  { name: '5 % changed', changeRate: 0.05 },
  { name: 'back to the first', changeRate: 0 },
  { name: '10 % changed', changeRate: 0.1 },
] as const

type Saved = { source: string; table_name: string; file: string; rows: number }

/**
 * A complete sync keeps each table's live rows in a file beside the database (named by a row of
 * `sync_live_rows`, committed with the sync), so that the next sync need not read the table. Whatever it
 * loads must leave what reading the table leaves: every step is synced twice, into a database that keeps
 * its saved rows and into one whose saved rows are thrown away before each sync, and the two must agree
 * in tables and counts. A torn or missing file must read as none.
 */
describe('saved live rows: a re-sync that starts from them leaves what reading the table leaves', () => {
  const tmp = useTempDir()
  const kept = new Map<string, SyncReport>()
  const scanned = new Map<string, SyncReport>()
  const sums = new Map<string, unknown>()
  const saved = new Map<string, { rows: Saved[]; live: Record<string, number>; files: string[] }>()

  const forget = (path: string): void => {
    const db = new Database(path)
    try {
      db.exec('DELETE FROM sync_live_rows')
    } finally {
      db.close()
    }
    rmSync(liveRowsDir(path), { recursive: true, force: true })
  }

  beforeAll(async () => {
    const caches = new Map<number, string>()
    for (const step of STEPS) {
      if (caches.has(step.changeRate)) continue
      const dir = join(tmp(), `cache-${step.changeRate}`)
      await generateDmrCache({ records: RECORDS, cacheDir: dir, seed: SEED, changeRate: step.changeRate })
      caches.set(step.changeRate, dir)
    }
    for (const mode of MODES) {
      const keptDb = join(tmp(), `${mode}-kept.db`)
      const scannedDb = join(tmp(), `${mode}-scanned.db`)
      for (const step of STEPS) {
        const cacheDir = caches.get(step.changeRate) as string
        kept.set(`${mode} ${step.name}`, await runSync(testConfig({ db: keptDb, cacheDir, mode }), { force: true }))
        sums.set(`${mode} ${step.name} kept`, checksumAll(keptDb))
        const live = Object.fromEntries(
          DMR_TABLES.map((t) => [t, query<{ n: number }>(keptDb, `SELECT count(*) AS n FROM ${t} WHERE _deleted_at IS NULL`)[0]?.n ?? -1]),
        )
        const files = existsSync(liveRowsDir(keptDb)) ? readdirSync(liveRowsDir(keptDb)).sort() : []
        saved.set(`${mode} ${step.name}`, {
          rows: query<Saved>(keptDb, 'SELECT source, table_name, file, rows FROM sync_live_rows ORDER BY source'),
          live,
          files,
        })
        if (existsSync(scannedDb)) forget(scannedDb)
        scanned.set(`${mode} ${step.name}`, await runSync(testConfig({ db: scannedDb, cacheDir, mode }), { force: true }))
        sums.set(`${mode} ${step.name} scanned`, checksumAll(scannedDb))
      }
    }
  })

  it.each(MODES)('%s mode: every step leaves the same tables and counts as reading the table does', (mode: Mode) => {
    for (const step of STEPS) {
      const at = `${mode} ${step.name}`
      expect(kept.get(at)?.ok, at).toBe(true)
      expect(kept.get(at)?.records, at).toEqual(scanned.get(at)?.records)
      expect(sums.get(`${at} kept`), at).toEqual(sums.get(`${at} scanned`))
    }
  })

  it('the change steps really changed rows, and the step back brought deleted keys back', () => {
    expect(kept.get('parallel 5 % changed')?.records).toMatchObject({ inserted: expect.any(Number), deleted: expect.any(Number) })
    const back = kept.get('parallel back to the first')?.records
    expect(back?.inserted).toBeGreaterThan(0)
    expect(back?.updated).toBeGreaterThan(0)
    expect(back?.deleted).toBeGreaterThan(0)
  })

  it.each(MODES)(
    '%s mode: after each complete sync one row per source names a file, of as many rows as the table has live ones; no other file is left',
    (mode: Mode) => {
      for (const step of STEPS) {
        const at = `${mode} ${step.name}`
        const state = saved.get(at)
        // Streaming keeps nothing that grows with the file on a first sync: its first re-sync reads the table.
        if (mode === 'streaming' && step.name === 'first') {
          expect(state?.rows, at).toEqual([])
          continue
        }
        expect(state?.rows.map((r) => r.source).sort(), at).toEqual([...DMR_TABLES].sort())
        for (const row of state?.rows ?? []) expect(row.rows, `${at} ${row.source}`).toBe(state?.live[row.table_name])
        expect(state?.files, at).toEqual((state?.rows ?? []).map((r) => r.file).sort())
      }
    },
  )

  it('a torn file (its state zeroed past the header) and a missing one read as none: the sync reads the table and is right', async () => {
    const cacheDir = join(tmp(), 'cache-0.05')
    const db = join(tmp(), 'torn.db')
    const reference = join(tmp(), 'torn-reference.db')
    for (const target of [db, reference]) await runSync(testConfig({ db: target, cacheDir: join(tmp(), 'cache-0'), mode: 'parallel' }))
    const rows = query<Saved>(db, 'SELECT source, table_name, file, rows FROM sync_live_rows ORDER BY source')
    const users = rows.find((r) => r.source === 'users') as Saved
    const path = join(liveRowsDir(db), users.file)
    const fd = openSync(path, 'r+')
    const tail = Math.min(4096, statSync(path).size - 32)
    writeSync(fd, Buffer.alloc(tail), 0, tail, statSync(path).size - tail)
    closeSync(fd)
    rmSync(join(liveRowsDir(db), (rows.find((r) => r.source === 'rptrs') as Saved).file))
    forget(reference)
    const report = await runSync(testConfig({ db, cacheDir, mode: 'parallel' }))
    const expected = await runSync(testConfig({ db: reference, cacheDir, mode: 'parallel' }))
    expect(report.ok).toBe(true)
    expect(report.records).toEqual(expected.records)
    expect(checksumAll(db)).toEqual(checksumAll(reference))
  })

  it.each(MODES)(
    '%s mode: a key met three times in one range and chunk is saved once, with its last row: a later file with its first line keeps the row',
    async (mode: Mode) => {
      const configFile = join(tmp(), 'items.json')
      writeFileSync(configFile, JSON.stringify(ITEMS_CONFIG))
      const [, , third, ...rest] = DUPLICATE_KEY_LINES.slice(0, DUPLICATE_KEY_RECORDS)
      const repeats = DUPLICATE_KEY_LINES.slice(DUPLICATE_KEY_RECORDS)
      // Key 3's three records first, in the first worker range and the first chunk: the staging keeps the
      // last, and the merge sees one insert (no update tells that a rowid was written twice).
      const twice = join(tmp(), `twice-${mode}`)
      const once = join(tmp(), `once-${mode}`)
      mkdirSync(twice)
      mkdirSync(once)
      writeFileSync(join(twice, 'items.ndjson'), `${[third, ...repeats, ...DUPLICATE_KEY_LINES.slice(0, 2), ...rest].join('\n')}\n`)
      writeFileSync(join(once, 'items.ndjson'), `${DUPLICATE_KEY_LINES.slice(0, DUPLICATE_KEY_RECORDS).join('\n')}\n`)
      const db = join(tmp(), `items-${mode}.db`)
      expect((await runSync(testConfig({ db, cacheDir: twice, mode }, configFile))).ok).toBe(true)
      expect(query(db, 'SELECT v FROM items WHERE id = 3')).toEqual([{ v: 'last 3' }])
      expect(query(db, 'SELECT rows FROM sync_live_rows')).toEqual(mode === 'streaming' ? [] : [{ rows: DUPLICATE_KEY_RECORDS }])
      const report = await runSync(testConfig({ db, cacheDir: once, mode }, configFile))
      expect(report.records).toMatchObject({ read: DUPLICATE_KEY_RECORDS, updated: 1, deleted: 0 })
      expect(query(db, 'SELECT count(*) AS n, (SELECT v FROM items WHERE id = 3) AS v FROM items')).toEqual([{ n: DUPLICATE_KEY_RECORDS, v: 'first 3' }])
    },
  )

  it('a table whose key is not its rowid as it stands (made when the key was text) keeps none, whatever the configuration says now', async () => {
    const configFile = join(tmp(), 'items.json')
    writeFileSync(configFile, JSON.stringify(ITEMS_CONFIG))
    const cacheDir = join(tmp(), 'text-key')
    mkdirSync(cacheDir)
    writeFileSync(join(cacheDir, 'items.ndjson'), `${DUPLICATE_KEY_LINES.slice(0, DUPLICATE_KEY_RECORDS).join('\n')}\n`)
    const path = join(tmp(), 'text-key.db')
    const db = new Database(path)
    db.exec('CREATE TABLE items (id TEXT NOT NULL, v TEXT, _hash BLOB NOT NULL, _deleted_at TEXT, PRIMARY KEY (id))')
    db.close()
    expect((await runSync(testConfig({ db: path, cacheDir, mode: 'parallel' }, configFile))).ok).toBe(true)
    expect(query(path, 'SELECT count(*) AS n FROM items')).toEqual([{ n: DUPLICATE_KEY_RECORDS }])
    expect(query(path, 'SELECT count(*) AS n FROM sync_live_rows')).toEqual([{ n: 0 }])
  })

  it('a VACUUM (--vacuum full) forgets them: rowids may move', async () => {
    const db = join(tmp(), 'vacuum.db')
    await runSync(testConfig({ db, cacheDir: join(tmp(), 'cache-0'), mode: 'parallel' }))
    expect(query(db, 'SELECT count(*) AS n FROM sync_live_rows')).toEqual([{ n: 3 }])
    await runSync(testConfig({ db, cacheDir: join(tmp(), 'cache-0.05'), mode: 'parallel' }), { vacuum: 'full' })
    expect(query(db, 'SELECT count(*) AS n FROM sync_live_rows')).toEqual([{ n: 0 }])
    expect(readdirSync(liveRowsDir(db))).toEqual([])
  })
})
