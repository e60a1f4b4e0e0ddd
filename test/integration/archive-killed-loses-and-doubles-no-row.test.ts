import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manifestPath } from '../../src/archive/archive-files.js'
import { archivedRows, cli, expectOk, listDir, sha256Of, softDeletedDevices, syncArchives } from '../helpers/archive.js'
import { killAfter, waitWhileRunning } from '../helpers/kill.js'
import { finished, spawnCli } from '../helpers/run-cli.js'
import { createRandom } from '../helpers/seeded-random.js'
import type { Checksums } from '../helpers/sink-checksum.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 60_000
const SEED = 151
const KILLS = 8
const KILL_SEED = 15
/** Small fixed batches: many commits, so that a kill lands between any two steps of one. */
const BATCH = ['--batch-size', '25', '--batch-min', '25', '--batch-max', '25', '--threads', '1', '--vacuum', 'none']

/**
 * The archive's promise under SIGKILL: real `cachesync archive` processes killed again and again, at
 * seeded-random moments after a random number of their batches were committed. After every kill each
 * soft-deleted row is either still in its table or in exactly one verified file that `sync_archives`
 * names as archived, never both and never in two; the files of a killed run's unfinished batch are
 * removed by the next run; a last run completes and a restore gives back the table as it was.
 */
describe.each(SINK_KINDS)('archive killed with SIGKILL, %s', (kind) => {
  describe('', requireSink(kind), () => {
    const tmp = useTempDir()
    const databases = useTestSink(kind, tmp)
    const dir = (): string => join(tmp(), 'archive')
    let db: TestDatabase
    let deleted: number[] = []
    let before: Checksums
    const tally = { kills: 0, completed: 0, midRun: 0, pendingLeft: 0, cleaned: 0 }
    const leftBehind = new Set<string>()

    beforeAll(async () => {
      db = databases('kills')
      deleted = await softDeletedDevices(db, tmp(), RECORDS, SEED)
      before = db.checksum(['devices'])
    }, 300_000)

    afterAll(() => {
      console.log(`archive kill loop, ${kind}: ${JSON.stringify(tally)} over ${deleted.length} soft-deleted rows`)
    })

    /** Every deleted key is in the table or in one archived file; none in both, none twice. */
    function checkNoLossNoDouble(): { archived: number; pending: string[] } {
      const inTable = db.query<{ id: number }>('SELECT id FROM devices WHERE "_deleted_at" IS NOT NULL').map((r) => Number(r.id))
      const inFiles: number[] = []
      const records = syncArchives(db)
      for (const record of records.filter((r) => r.state === 'archived')) {
        const path = join(record.dir, record.file)
        expect(existsSync(path), `${record.file} is named archived but missing`).toBe(true)
        expect(sha256Of(path), `${record.file}: sha256`).toBe(record.sha256)
        const rows = archivedRows(path)
        expect(rows.length, `${record.file}: rows`).toBe(record.rows)
        inFiles.push(...rows.map((r) => Number(r[0])))
      }
      const both = [...inTable, ...inFiles].sort((a, b) => a - b)
      expect(new Set(inFiles).size, 'a row archived twice').toBe(inFiles.length)
      expect(both, 'every row in its table or in exactly one archived file').toEqual(deleted)
      const pending = records.filter((r) => r.state === 'pending').map((r) => join(r.dir, r.file))
      return { archived: inFiles.length, pending }
    }

    it(`${KILLS} kills at random moments lose no row and archive none twice; the next run removes what they left`, async () => {
      expect(deleted.length).toBeGreaterThan(1000)
      const random = createRandom(KILL_SEED + SINK_KINDS.indexOf(kind))
      const batches = Math.ceil(deleted.length / 25)
      let archived = 0
      while (tally.kills < KILLS) {
        const child = spawnCli(['archive', '--deleted-before', '30d', '--to', dir(), ...BATCH, ...db.args], { ...db.env, CACHESYNC_LOG_LEVEL: 'warn' })
        const done = finished(child)
        // Wait for a random number of further commits, then kill after a random pause: anywhere in a batch.
        const spread = Math.max(1, Math.floor((batches - archived) / (KILLS - tally.kills + 1)))
        const target = archived + 1 + Math.floor(random() * spread)
        const committed = (): boolean => syncArchives(db).filter((r) => r.state === 'archived').length >= target
        await waitWhileRunning(child, committed, kind === 'postgres' ? 20 : 5)
        killAfter(child, Math.floor(random() * 40))
        const result = await done
        if (result.signal !== 'SIGKILL') {
          expectOk(result)
          tally.completed++
          break
        }
        tally.kills++
        const state = checkNoLossNoDouble()
        archived = syncArchives(db).filter((r) => r.state === 'archived').length
        if (state.archived > 0 && state.archived < deleted.length) tally.midRun++
        tally.pendingLeft += state.pending.length
        for (const path of state.pending) leftBehind.add(path)
      }
      expect(tally.midRun, 'kills that landed in the middle of the run').toBeGreaterThan(0)
      expect(tally.pendingLeft, 'kills that left a batch named but not committed').toBeGreaterThan(0)
    }, 900_000)

    it('a run after the kills completes, removes the unfinished files, and leaves only verified files', async () => {
      const result = await cli(db, ['archive', '--deleted-before', '30d', '--to', dir(), ...BATCH, '--json'])
      expectOk(result)
      const report = JSON.parse(result.stdout)
      tally.cleaned += report.cleaned.length
      const state = checkNoLossNoDouble()
      expect(state.archived).toBe(deleted.length)
      expect(state.pending).toEqual([])
      for (const path of leftBehind) {
        expect(existsSync(path), `${path} left by a killed run`).toBe(false)
        expect(existsSync(`${path}.part`)).toBe(false)
      }
      const names = syncArchives(db).map((r) => r.file)
      expect(listDir(dir())).toEqual([...names, ...names.map((n) => manifestPath(n))].sort())
    })

    it('restoring the files gives back the table as it was before the first run', async () => {
      expectOk(await cli(db, ['restore', dir()]))
      expect(db.checksum(['devices'])).toEqual(before)
    })
  })
})
