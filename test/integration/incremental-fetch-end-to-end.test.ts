import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { MODES, type Mode } from '../helpers/config.js'
import { runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/**
 * An incremental source against the demo API, through the CLI, in every mode on both sinks: a full fetch
 * first, then deltas of what changed since the cursor, applied as upserts (a delete upstream is not seen),
 * records at the cursor's boundary met again and counted unchanged, records without a cursor value seen
 * only by a full fetch, and a full fetch bringing the deletes in and superseding the deltas.
 *
 * A warm neither knows the sink nor the mode, and a sync does not write in the cache: each warm of a
 * story is synced in every mode, each mode into a database of its own, all checked alike.
 */

/** 10,000 records over the demo's three sources: 1,193 devices, positions 998 and 999 without a cursor value. */
const RECORDS = 10_000
const DEVICES = 1193
const START = Date.UTC(2026, 5, 1)

interface WarmJson {
  sources: { name: string; outcome: string; records: number; error: string | null; incremental: { fetch: string; nullCursor: number; deltas: number } | null }[]
}
interface SyncJson {
  sources: { name: string; state: string; records: { read: number; inserted: number; updated: number; unchanged: number; deleted: number } }[]
}

describe.each(SINK_KINDS)('incremental fetch, %s sink', (kind) => {
  describe(`${kind}, every mode`, requireSink(kind), () => {
    const tmp = useTempDir()
    const db = useTestSink(kind, tmp)
    let api: DemoApi
    let clock = START
    let runs = 0

    beforeEach(async () => {
      clock = START
      runs++
      api = await startDemoApi({ records: RECORDS, now: () => clock })
    })
    afterEach(() => api.close())

    const configFile = (): string => {
      const path = join(tmp(), 'incremental.json')
      const source = {
        name: 'devices',
        url: `${api.url}/v2/device`,
        pagination: { style: 'offset', limitMax: 100 },
        key: 'id',
        columns: { id: 'integer', callsign: 'text', last_seen: 'text', updated_at: 'text' },
        incremental: { param: 'updated_since', field: 'updated_at', lag: '0s' },
      }
      writeFileSync(path, JSON.stringify({ sources: [source] }))
      return path
    }
    const cacheDir = (): string => join(tmp(), `cache-${runs}`)
    /** A database per mode, named after the test and the mode. */
    const databases = (name: string): Record<Mode, TestDatabase> =>
      Object.fromEntries(MODES.map((mode) => [mode, db(`${name}_${mode}`)])) as Record<Mode, TestDatabase>

    async function warm(...extra: string[]): Promise<WarmJson['sources'][number]> {
      const run = await runCli(['warm', '--config', configFile(), '--cache-dir', cacheDir(), '--json', '--log-level', 'warn', '--no-progress', ...extra])
      expect(run.code, run.stderr + run.stdout).toBe(0)
      return (JSON.parse(run.stdout) as WarmJson).sources[0] as WarmJson['sources'][number]
    }
    async function sync(database: TestDatabase, mode: Mode): Promise<SyncJson['sources'][number]> {
      const args = ['sync', '--config', configFile(), '--cache-dir', cacheDir(), ...database.args, '--mode', mode, '--chunk', '50', '--json', '--no-progress']
      const run = await runCli([...args, '--log-level', 'warn'], database.env)
      expect(run.code, `${mode}: ${run.stderr}${run.stdout}`).toBe(0)
      return (JSON.parse(run.stdout) as SyncJson).sources[0] as SyncJson['sources'][number]
    }
    /** Syncs the cache as it stands in every mode, each into its own database, and checks each report. */
    async function syncEach(dbs: Record<Mode, TestDatabase>, expected: Record<string, unknown>): Promise<void> {
      for (const mode of MODES) expect(await sync(dbs[mode], mode), mode).toMatchObject(expected)
    }
    /** Checks each mode's database. */
    function expectEach(dbs: Record<Mode, TestDatabase>, check: (database: TestDatabase, mode: Mode) => void): void {
      for (const mode of MODES) check(dbs[mode], mode)
    }
    const lastSeen = (database: TestDatabase, id: number): unknown =>
      database.query<{ last_seen: unknown }>(`SELECT last_seen FROM devices WHERE id = ${id}`)[0]?.last_seen
    const count = (database: TestDatabase): number => Number(database.query<{ n: unknown }>('SELECT count(*) AS n FROM devices')[0]?.n)
    const idAt = (position: number): number =>
      (JSON.parse(readFileSync(join(cacheDir(), 'devices.ndjson'), 'utf8').split('\n')[position] as string) as { id: number }).id
    const deltaFiles = (): string[] => readdirSync(join(cacheDir(), '.cachesync-deltas', 'devices')).filter((name) => name.endsWith('.ndjson'))

    it('applies deltas as upserts, meets boundary records again as unchanged, and a full fetch brings deletes and null-cursor changes in', async () => {
      const dbs = databases('inc')
      const first = await warm()
      expect(first).toMatchObject({ outcome: 'fetched', records: DEVICES, incremental: { fetch: 'full', nullCursor: 2, deltas: 0 } })
      await syncEach(dbs, { state: 'synced', records: { read: DEVICES, inserted: DEVICES } })
      const [changed1, changed2, removed, nullCursor, late] = [1, 2, 10, 999, 3].map(idAt) as number[]

      // Two records change and one vanishes upstream; a record whose updated_at is null changes too.
      clock += 60_000
      api.devices.change([1, 2, 999])
      api.devices.remove([10])
      const delta = await warm()
      // The two changed, and the newest record of the full fetch, met again at the cursor (>=).
      expect(delta).toMatchObject({ outcome: 'fetched', records: 3, incremental: { fetch: 'delta', deltas: 1 } })
      expect(deltaFiles()).toHaveLength(1)
      await syncEach(dbs, { state: 'synced', records: { read: 3, inserted: 0, updated: 2, unchanged: 1, deleted: 0 } })
      const stamp = new Date(clock).toISOString().slice(0, 19).replace('T', ' ')
      expectEach(dbs, (database, mode) => {
        expect([lastSeen(database, changed1 as number), lastSeen(database, changed2 as number)], mode).toEqual([stamp, stamp])
        // A delta cannot see deletes, nor a record without a cursor value.
        expect(count(database), mode).toBe(DEVICES)
        expect(lastSeen(database, nullCursor as number), mode).not.toBe(stamp)
      })

      // Nothing new: the records at the boundary come again, and are neither lost nor counted as changes.
      const again = await warm()
      expect(again).toMatchObject({ records: 2, incremental: { fetch: 'delta', deltas: 2 } })
      await syncEach(dbs, { records: { read: 2, inserted: 0, updated: 0, unchanged: 2 } })
      // A record changed within the same second as the cursor is not lost.
      api.devices.change([3])
      expect(await warm()).toMatchObject({ records: 3, incremental: { deltas: 3 } })
      await syncEach(dbs, { records: { read: 3, updated: 1, unchanged: 2 } })
      expectEach(dbs, (database, mode) => expect(lastSeen(database, late as number), mode).toBe(stamp))
      // A sync with no new delta has nothing to do.
      await syncEach(dbs, { state: 'unchanged' })

      // The full fetch sees the delete and the null-cursor change, and supersedes the deltas.
      const full = await warm('--full')
      expect(full).toMatchObject({ records: DEVICES - 1, incremental: { fetch: 'full', deltas: 0 } })
      expect(deltaFiles()).toEqual([])
      await syncEach(dbs, { state: 'synced', records: { read: DEVICES - 1, deleted: 1 } })
      expectEach(dbs, (database, mode) => {
        expect(count(database), mode).toBe(DEVICES - 1)
        expect(database.query(`SELECT id FROM devices WHERE id = ${removed}`), mode).toEqual([])
        expect(lastSeen(database, nullCursor as number), mode).toBe(stamp)
      })

      for (const mode of MODES) {
        const database = dbs[mode]
        const status = await runCli(['status', '--config', configFile(), '--cache-dir', cacheDir(), ...database.args, '--json'], database.env)
        expect(status.code, `${mode}: ${status.stderr}`).toBe(0)
        const incremental = (JSON.parse(status.stdout) as { sources: { incremental: Record<string, unknown> }[] }).sources[0]?.incremental
        expect(incremental, mode).toMatchObject({ cursor: new Date(clock - (clock % 1000)).toISOString(), deltas: 0, deltaRecords: 0, nullCursorRecords: 2 })
      }
    })

    it('a full file and deltas the table has not seen are synced as one: deletes from the full file, changes from the deltas', async () => {
      const dbs = databases('inc_fresh')
      await warm()
      clock += 60_000
      api.devices.change([5])
      await warm()
      api.devices.change([6])
      clock += 1000
      await warm()
      expect(existsSync(join(cacheDir(), '.cachesync-deltas', 'devices', 'state.json'))).toBe(true)
      // The full file, then the two deltas: 5 twice, 6 and the boundary record once more.
      await syncEach(dbs, { state: 'synced', records: { read: DEVICES + 4 } })
      const stamp = new Date(START + 60_000).toISOString().slice(0, 19).replace('T', ' ')
      expectEach(dbs, (database, mode) => {
        expect(lastSeen(database, idAt(5)), mode).toBe(stamp)
        expect(lastSeen(database, idAt(6)), mode).toBe(stamp)
        expect(count(database), mode).toBe(DEVICES)
      })
    })
  })
})
