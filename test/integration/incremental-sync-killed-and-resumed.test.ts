import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { MODES } from '../helpers/config.js'
import { killAfter, waitWhileRunning } from '../helpers/kill.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/**
 * A sync of deltas SIGKILLed once it committed a chunk resumes after its checkpoint and ends as an
 * uninterrupted one: the deltas alone (upserts) on a table that holds the full file, and the full file with
 * its delta on a table that holds neither.
 */

const START = Date.UTC(2026, 5, 1)
/** 200,000 records over the demo's three sources: 23,861 devices. */
const RECORDS = 200_000
const CHANGED = Array.from({ length: 10_000 }, (_, i) => i * 2)
/** One in a thousand has a null `updated_at`, one has none: a delta does not see them. */
const WITH_CURSOR = CHANGED.filter((position) => position % 1000 < 998).length

interface SyncJson {
  sources: { name: string; state: string; resumedRecords: number; records: { read: number; updated: number; deleted: number } }[]
}

describe.each(SINK_KINDS)('a sync of deltas killed and resumed, %s sink', (kind) => {
  describe('', requireSink(kind), () => {
    const tmp = useTempDir()
    const db = useTestSink(kind, tmp)
    let api: DemoApi
    const clock = START + 60_000
    const cacheDir = (): string => join(tmp(), 'cache')
    const configFile = (): string => join(tmp(), 'devices.json')
    const syncArgs = (database: TestDatabase, mode: string): string[] => [
      'sync',
      '--config',
      configFile(),
      '--cache-dir',
      cacheDir(),
      ...database.args,
      '--mode',
      mode,
      '--chunk',
      '100',
      '--workers',
      '2',
      '--json',
      '--no-progress',
      '--log-level',
      'warn',
    ]
    async function sync(database: TestDatabase, mode: string): Promise<SyncJson['sources'][number]> {
      const run = await runCli(syncArgs(database, mode), database.env)
      expect(run.code, run.stderr).toBe(0)
      return (JSON.parse(run.stdout) as SyncJson).sources[0] as SyncJson['sources'][number]
    }
    const committed = (database: TestDatabase): number => {
      try {
        return Number(database.query<{ n: unknown }>('SELECT coalesce(sum(records_done), 0) AS n FROM sync_checkpoints')[0]?.n ?? 0)
      } catch {
        return 0
      }
    }

    async function killedThenResumed(database: TestDatabase, mode: string): Promise<SyncJson['sources'][number]> {
      const release = await holdTheLastStep(database)
      const child = spawnCli(syncArgs(database, mode), database.env)
      const done = finished(child)
      let sawCommit: boolean
      let killed: Awaited<typeof done>
      try {
        sawCommit = await waitWhileRunning(child, () => committed(database) > 0, 10)
        killAfter(child, 0)
        killed = await done
      } finally {
        await release()
      }
      // A run too quick to be caught proves nothing: the test must have killed it mid-way.
      expect(sawCommit, killed.stderr).toBe(true)
      expect(killed.signal).toBe('SIGKILL')
      return sync(database, mode)
    }

    /**
     * On PostgreSQL each poll of the checkpoint is a psql process, slower than a whole sync of the deltas
     * alone: a SHARE lock on `sync_sources`, which only a source's last step writes, holds the sync there
     * (its checkpoints committed, still to be seen) until it is killed. Where the table is not there yet
     * (nothing synced), the run is long enough to be caught without it.
     */
    async function holdTheLastStep(database: TestDatabase): Promise<() => Promise<void>> {
      if (database.kind !== 'postgres') return async () => {}
      const client = new pg.Client({ connectionString: database.target })
      await client.connect()
      const table = `"${database.schema}".sync_sources`
      const exists = (await client.query<{ t: string | null }>(`SELECT to_regclass('${table}')::text AS t`)).rows[0]?.t != null
      if (exists) {
        await client.query('BEGIN')
        await client.query(`LOCK TABLE ${table} IN SHARE MODE`)
      }
      return async () => {
        await client.query(exists ? 'ROLLBACK' : 'SELECT 1')
        await client.end()
      }
    }

    beforeAll(async () => {
      api = await startDemoApi({ records: RECORDS, now: () => clock })
      const source = {
        name: 'devices',
        url: `${api.url}/v2/device`,
        pagination: { style: 'offset', limitMax: 1000 },
        key: 'id',
        delete: 'soft',
        columns: { id: 'integer', callsign: 'text', last_seen: 'text', updated_at: 'text' },
        incremental: { param: 'updated_since', field: 'updated_at', lag: '0s' },
      }
      writeFileSync(configFile(), JSON.stringify({ sources: [source] }))
      const warm = (): Promise<unknown> => runCli(['warm', '--config', configFile(), '--cache-dir', cacheDir(), '--log-level', 'warn', '--no-progress'])
      await warm()
      // The reference and each mode's table hold the full file; the reference then takes the delta, uninterrupted.
      const reference = db('reference')
      for (const database of [reference, ...MODES.map((mode) => db(`deltas_${mode}`))]) await sync(database, 'sequential')
      api.devices.change(CHANGED)
      await warm()
      expect(await sync(reference, 'sequential')).toMatchObject({ state: 'synced', records: { updated: WITH_CURSOR } })
    })
    afterAll(() => api?.close())

    it.each(MODES)('%s: the deltas alone, killed after a commit, resumed, equal to an uninterrupted run', async (mode) => {
      const database = db(`deltas_${mode}`)
      const resumed = await killedThenResumed(database, mode)
      expect(resumed).toMatchObject({ state: 'synced', records: { deleted: 0 } })
      expect(resumed.resumedRecords).toBeGreaterThan(0)
      expect(database.checksum(['devices'])).toEqual(db('reference').checksum(['devices']))
      expect(await sync(database, mode)).toMatchObject({ state: 'unchanged' })
    })

    it.each(MODES)('%s: the full file and its delta on an empty table, killed after a commit, resumed, equal to an uninterrupted run', async (mode) => {
      const database = db(`fresh_${mode}`)
      const resumed = await killedThenResumed(database, mode)
      expect(resumed).toMatchObject({ state: 'synced', records: { deleted: 0 } })
      expect(resumed.resumedRecords).toBeGreaterThan(0)
      expect(database.checksum(['devices'])).toEqual(db('reference').checksum(['devices']))
      expect(await sync(database, mode)).toMatchObject({ state: 'unchanged' })
    })
  })
})
