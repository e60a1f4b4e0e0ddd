import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { DMR_KEYS } from '../helpers/change-set.js'
import { checksumAll, DMR_TABLES } from '../helpers/database.js'
import { integrityCheck, keysInFileOrder, newestRun, recordsInFile, rowCounts, rowsMatchingNone, tableKeys } from '../helpers/db-checks.js'
import { waitWhileRunning } from '../helpers/kill.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import type { ReportJson, SourceJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * The resume contract, black box through the CLI: a streaming sync SIGKILLed once
 * some chunks are committed; the next sync of the unchanged file continues after them. Its `--json`
 * report gives per source `resumedRecords` (records an earlier killed run committed and this run did not
 * redo) and counts only this run's work.
 */

const RECORDS = 50_000
const CHUNK = '1000'
const SEED = 31

const streamingSync = (db: string, cacheDir: string): string[] => [
  'sync',
  '--mode',
  'streaming',
  '--chunk',
  CHUNK,
  '--db',
  db,
  '--cache-dir',
  cacheDir,
  '--json',
]

/**
 * Starts a streaming sync and SIGKILLs it as soon as `table` (any table if none is named) holds a row
 * (read through read-only connections); returns the rows each table then held.
 */
async function killOnceCommitted(db: string, cacheDir: string, table?: string): Promise<Record<string, number>> {
  const child = spawnCli(streamingSync(db, cacheDir))
  const done = finished(child)
  const committed = await waitWhileRunning(child, () => {
    const counts = rowCounts(db, DMR_TABLES)
    return table === undefined ? Object.values(counts).some((rows) => rows > 0) : (counts[table] ?? 0) > 0
  })
  child.kill('SIGKILL')
  const result = await done
  expect(committed, `the sync ended before a row was committed:\n${result.stderr}`).toBe(true)
  expect(result.signal).toBe('SIGKILL')
  expect(integrityCheck(db)).toEqual(['ok'])
  expect(newestRun(db)?.outcome).toBe('running')
  return rowCounts(db, DMR_TABLES)
}

async function completeSync(db: string, cacheDir: string): Promise<ReportJson> {
  const cli = await runCli(streamingSync(db, cacheDir))
  expect(cli.code, cli.stderr).toBe(0)
  const report = JSON.parse(cli.stdout) as ReportJson
  expect(report.ok).toBe(true)
  expect(integrityCheck(db)).toEqual(['ok'])
  expect(newestRun(db)?.outcome).toBe('ok')
  return report
}

function source(report: ReportJson, name: string): SourceJson {
  const found = report.sources.find((s) => s.name === name)
  if (found === undefined) throw new Error(`no source ${name} in the report`)
  return found
}

describe('a resumed sync does not redo committed chunks', () => {
  const tmp = useTempDir()
  const cacheDir = (): string => join(tmp(), 'cache')
  const referenceDb = (): string => join(tmp(), 'reference.db')
  const total = new Map<string, number>()
  let reference: ReportJson

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: cacheDir(), seed: SEED })
    for (const table of DMR_TABLES) total.set(table, recordsInFile(join(cacheDir(), `${table}.ndjson`)))
    reference = await completeSync(referenceDb(), cacheDir())
    // The exact arithmetic below holds for a data set without rejects or duplicate keys.
    expect(reference.records).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
  })

  it('a sync that follows no kill reports resumedRecords 0 for every source', () => {
    for (const s of reference.sources) expect(s.resumedRecords, `${s.name}: resumedRecords of a fresh start`).toBe(0)
  })

  it('the resume reports resumedRecords = the rows committed before the kill, and reads and inserts only the rest', async () => {
    const db = join(tmp(), 'resumed.db')
    const committed = await killOnceCommitted(db, cacheDir())
    const rowsCommitted = Object.values(committed).reduce((a, b) => a + b, 0)
    expect(rowsCommitted).toBeGreaterThan(0)
    expect(rowsCommitted, 'the kill came after the whole file was written').toBeLessThan(RECORDS)
    // Whole chunks of the file's first records, and nothing else.
    for (const table of DMR_TABLES) {
      expect(rowsMatchingNone(db, table, [referenceDb()]), table).toBe(0)
      const present = new Set(tableKeys(db, table))
      const first = keysInFileOrder(join(cacheDir(), `${table}.ndjson`), DMR_KEYS[table] as string).slice(0, present.size)
      expect(
        first.every((key) => present.has(key)),
        `${table}: the committed rows are the file's first ${present.size}`,
      ).toBe(true)
    }

    const report = await completeSync(db, cacheDir())
    for (const table of DMR_TABLES) {
      const s = source(report, table)
      const all = total.get(table) as number
      const done = committed[table] as number
      if (s.state === 'unchanged') {
        // The killed run had finished this source; nothing of it is left to do.
        expect(done, `${table} is unchanged, so the killed run must have written all of it`).toBe(all)
        continue
      }
      expect(s.state).toBe('synced')
      expect.soft(s.resumedRecords, `${table}: resumedRecords (${done} rows were committed before the kill)`).toBe(done)
      expect.soft(s.records, table).toEqual({ read: all - done, inserted: all - done, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
    }
    expect.soft(report.records.inserted).toBe(RECORDS - rowsCommitted)
    expect.soft(report.records.read).toBe(RECORDS - rowsCommitted)
    expect(checksumAll(db)).toEqual(checksumAll(referenceDb()))
  })

  it('a cache file that changed between the kill and the resume is synced afresh, and ends as an uninterrupted sync of the new file', async () => {
    const dir = join(tmp(), 'changing')
    const db = join(tmp(), 'changed.db')
    await generateDmrCache({ records: RECORDS, cacheDir: dir, seed: SEED })
    const committed = await killOnceCommitted(db, dir)
    expect(Object.values(committed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    const oldKeys = new Map(DMR_TABLES.map((table) => [table, tableKeys(db, table)]))

    // Another seed: every file changes, content and size.
    await generateDmrCache({ records: RECORDS, cacheDir: dir, seed: SEED + 1 })
    const freshDb = join(tmp(), 'new-file-uninterrupted.db')
    await completeSync(freshDb, dir)

    const report = await completeSync(db, dir)
    for (const table of DMR_TABLES) {
      const s = source(report, table)
      expect(s.state, table).toBe('synced')
      expect.soft(s.resumedRecords, `${table}: resumedRecords after its file changed`).toBe(0)
      expect(s.records.read, table).toBe(recordsInFile(join(dir, `${table}.ndjson`)))
      expect(s.records.rejected, table).toBe(0)
    }
    // Live rows: exactly those of an uninterrupted sync of the new file. Rows the killed run had written
    // from the old file are gone, or soft-deleted where the source deletes softly (devices).
    const fresh = checksumAll(freshDb)
    for (const table of DMR_TABLES) {
      expect(tableKeys(db, table, '"_deleted_at" IS NULL'), table).toEqual(tableKeys(freshDb, table))
      const newKeys = new Set(tableKeys(freshDb, table))
      const vanished = (oldKeys.get(table) as string[]).filter((key) => !newKeys.has(key))
      if (table === 'devices') {
        expect(tableKeys(db, table, '"_deleted_at" IS NOT NULL').sort(), table).toEqual(vanished.sort())
        expect(rowsMatchingNone(db, table, [freshDb]), table).toBe(vanished.length)
        if (vanished.length === 0) expect(checksumAll(db, [table])[table]).toEqual(fresh[table])
      } else {
        expect(checksumAll(db, [table])[table], table).toEqual(fresh[table])
      }
    }
  })

  it("a change to one source's file starts that source afresh and leaves another's checkpoint in force", async () => {
    const dir = join(tmp(), 'one-changes')
    const other = join(tmp(), 'other-seed')
    const db = join(tmp(), 'mixed.db')
    await generateDmrCache({ records: RECORDS, cacheDir: dir, seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: other, seed: SEED + 2 })
    // Streaming goes rptrs, users, devices: killed once users has rows, rptrs is written whole.
    const committed = await killOnceCommitted(db, dir, 'users')
    expect(committed.rptrs).toBe(total.get('rptrs'))
    expect(committed.users as number, 'the kill came after users was written whole').toBeLessThan(total.get('users') as number)

    for (const name of ['rptrs.ndjson', 'rptrs.meta.json']) copyFileSync(join(other, name), join(dir, name))
    const mixedDb = join(tmp(), 'mixed-uninterrupted.db')
    await completeSync(mixedDb, dir)

    const report = await completeSync(db, dir)
    const rptrs = source(report, 'rptrs')
    expect(rptrs.state).toBe('synced')
    expect.soft(rptrs.resumedRecords, 'rptrs: its file changed').toBe(0)
    expect(rptrs.records.read).toBe(recordsInFile(join(dir, 'rptrs.ndjson')))
    const users = source(report, 'users')
    expect(users.state).toBe('synced')
    expect.soft(users.resumedRecords, 'users: its file did not change').toBe(committed.users)
    expect.soft(users.records.read).toBe((total.get('users') as number) - (committed.users as number))
    expect.soft(users.records.inserted).toBe((total.get('users') as number) - (committed.users as number))
    const devices = source(report, 'devices')
    expect.soft(devices.resumedRecords).toBe(committed.devices)
    expect(checksumAll(db)).toEqual(checksumAll(mixedDb))
  })
})
