import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { DMR_SOURCES } from '../../src/config/dmr-sources.js'
import { runSync } from '../../src/engine/sync.js'
import type { SourceReport, SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { realRptrsDump, repoRoot } from '../helpers/paths.js'
import { changedBytes, type Rptr, readRealRptrs, reserialise, writeRptrsConfig } from '../helpers/reserialise.js'
import type { Checksums } from '../helpers/sink-checksum.js'
import { requireFile } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type SinkKind, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 10_613
/** Records that vanish in the last file: one of each way of re-serialising, one as it was. */
const VANISHED = [0, 1, 2, 3, 4, 5, 6, 7]
/** Records whose callsign changes in the last file, each also re-serialised; and one whose frequency does. */
const RENAMED = [10, 11, 12, 13, 14, 15, 16]
const RETUNED = 27

const COLUMNS = Object.keys((DMR_SOURCES.find((s) => s.name === 'rptrs') as { columns: object }).columns)

const needsDump = requireFile(realRptrsDump, `data: ${relative(repoRoot, realRptrsDump)} absent`)

/** A cache directory holding these records as the dump is: one gzipped JSON document. */
function writeCache(dir: string, records: readonly Rptr[]): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'rptrs.json.gz'), gzipSync(JSON.stringify({ rptrs: records })))
  return dir
}

/** The mapped values of the live rows, in key order: what a reader of the table sees. */
function liveRows(db: TestDatabase): unknown[] {
  return db.query(`SELECT ${COLUMNS.map((c) => `"${c}"`).join(', ')} FROM rptrs WHERE "_deleted_at" IS NULL ORDER BY id`)
}

function rptrs(report: SyncReport): SourceReport {
  return report.sources.find((s) => s.name === 'rptrs') as SourceReport
}

/**
 * `updated` means a stored value changed. Upstream re-serialising records (an id as a string, a number
 * as a string or the reverse, keys in another order, a field the mapping does not use) changes their
 * bytes, not their rows: such a record is `unchanged`, its row not written, and nothing is deleted. The
 * next sync of the same bytes knows them without parsing them where the sink keeps its live rows
 * (SQLite, integer keys); PostgreSQL parses them again and again finds them unchanged.
 */
describe.each(SINK_KINDS)('on %s', (kind: SinkKind) => {
  describe('a record re-serialised upstream, its values the same, is unchanged and not written', { ...requireSink(kind), ...needsDump }, () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const steps = new Map<string, SyncReport>()
    const sums = new Map<string, Checksums>()
    const versions = new Map<string, unknown>()
    const saved = new Map<string, { rows: number; live: number }[]>()
    let reserialised = 0
    /** Ids of the records the last file changes or drops. */
    let touched = new Set<number>()
    let reference: unknown[] = []

    const sync = (db: TestDatabase, cacheDir: string, mode: Mode, force = false, config = 'rptrs.json'): Promise<SyncReport> => {
      const target = kind === 'sqlite' ? { db: db.path as string } : { db: join(tmp(), 'unused.db'), sink: db.target, schema: db.schema as string }
      return runSync(testConfig({ ...target, cacheDir, mode }, join(tmp(), config)), { force })
    }
    /**
     * Each row's version where the database keeps one (PostgreSQL's xmin, and xmax): a row written has a
     * new xmin, a row locked (as `DO UPDATE … WHERE false` does) a new xmax.
     */
    const rowVersions = (db: TestDatabase): unknown =>
      kind === 'postgres' ? db.query("SELECT id, xmin::text || '/' || xmax::text AS v FROM rptrs ORDER BY id") : undefined

    beforeAll(async () => {
      writeRptrsConfig(tmp())
      writeRptrsConfig(tmp(), { textKey: true })
      const original = readRealRptrs()
      const again = reserialise(original)
      reserialised = changedBytes(original, again)
      touched = new Set([...VANISHED, ...RENAMED, RETUNED].map((i) => Number(original[i]?.id)))
      const mixed = again
        .map((r, i) => {
          if (RENAMED.includes(i)) return { ...r, callsign: `${String(r.callsign).trim()}X` }
          if (i === RETUNED) return { ...r, frequency: '999.00000' }
          return r
        })
        .filter((_, i) => !VANISHED.includes(i))
      const caches = {
        original: writeCache(join(tmp(), 'original'), original),
        reserialised: writeCache(join(tmp(), 'reserialised'), again),
        mixed: writeCache(join(tmp(), 'mixed'), mixed),
      }
      const fresh = database('reference')
      await sync(fresh, caches.mixed, 'sequential')
      reference = liveRows(fresh)
      for (const mode of MODES) {
        const db = database(`m_${mode}`)
        const plan = [
          ['first', caches.original, false],
          ['re-serialised', caches.reserialised, false],
          ['re-serialised again', caches.reserialised, true],
          ['changed and vanished', caches.mixed, false],
        ] as const
        for (const [step, cacheDir, force] of plan) {
          steps.set(`${mode} ${step}`, await sync(db, cacheDir, mode, force))
          sums.set(`${mode} ${step}`, db.checksum(['rptrs']))
          versions.set(`${mode} ${step}`, rowVersions(db))
          if (kind === 'sqlite') {
            const live = (db.query<{ n: number }>('SELECT count(*) AS n FROM rptrs WHERE "_deleted_at" IS NULL')[0] as { n: number }).n
            saved.set(
              `${mode} ${step}`,
              db.query<{ rows: number }>("SELECT rows FROM sync_live_rows WHERE source = 'rptrs'").map((r) => ({ rows: r.rows, live })),
            )
          }
        }
        versions.set(`${mode} rows`, liveRows(db))
        // SQLite keeps no live rows for a key that is not the rowid: rows are deleted by rowid and hash.
        if (kind === 'sqlite') {
          const textKey = database(`k_${mode}`)
          for (const [step, cacheDir] of [
            ['first', caches.original],
            ['re-serialised', caches.reserialised],
            ['changed and vanished', caches.mixed],
          ] as const) {
            steps.set(`${mode} text key ${step}`, await sync(textKey, cacheDir, mode, false, 'rptrs-text-key.json'))
            sums.set(`${mode} text key ${step}`, textKey.checksum(['rptrs']))
          }
        }
      }
    })

    it('the re-serialised file differs in the bytes of most records, and in no mapped value', () => {
      expect(reserialised).toBeGreaterThan(RECORDS / 2)
      expect(reserialised).toBeLessThan(RECORDS)
      for (const mode of MODES) expect(sums.get(`${mode} first`)?.rptrs?.rows, mode).toBe(RECORDS)
    })

    it.each(MODES)('%s mode: the re-serialised records count unchanged, none updated or deleted, and the table is as it was', (mode) => {
      const report = steps.get(`${mode} re-serialised`) as SyncReport
      expect(report.ok).toBe(true)
      expect(report.records).toEqual({ read: RECORDS, inserted: 0, updated: 0, unchanged: RECORDS, deleted: 0, rejected: 0 })
      // The records whose bytes changed were parsed; the others were known by their bytes.
      expect(rptrs(report).knownRecords).toBe(RECORDS - reserialised)
      expect(sums.get(`${mode} re-serialised`)).toEqual(sums.get(`${mode} first`))
      expect(versions.get(`${mode} re-serialised`)).toEqual(versions.get(`${mode} first`))
    })

    it.each(MODES)(
      `%s mode: the same re-serialised file again: ${kind === 'sqlite' ? 'every record known by its new bytes, none parsed' : 'the re-serialised records parsed again, and again unchanged'}`,
      (mode) => {
        const report = steps.get(`${mode} re-serialised again`) as SyncReport
        expect(report.records).toEqual({ read: RECORDS, inserted: 0, updated: 0, unchanged: RECORDS, deleted: 0, rejected: 0 })
        expect(rptrs(report).knownRecords).toBe(kind === 'sqlite' ? RECORDS : RECORDS - reserialised)
        expect(sums.get(`${mode} re-serialised again`)).toEqual(sums.get(`${mode} first`))
        expect(versions.get(`${mode} re-serialised again`)).toEqual(versions.get(`${mode} first`))
      },
    )

    it.each(MODES)('%s mode: then values changed and records vanished: exact counts, and the rows of a fresh sync of that file', (mode) => {
      const report = steps.get(`${mode} changed and vanished`) as SyncReport
      const changed = RENAMED.length + 1
      expect(report.records).toEqual({
        read: RECORDS - VANISHED.length,
        inserted: 0,
        updated: changed,
        unchanged: RECORDS - VANISHED.length - changed,
        deleted: VANISHED.length,
        rejected: 0,
      })
      expect(reference).toHaveLength(RECORDS - VANISHED.length)
      expect(versions.get(`${mode} rows`)).toEqual(reference)
      // The rows whose values did not change were neither rewritten nor locked, beside those that did.
      const untouched = (step: string): unknown =>
        (versions.get(`${mode} ${step}`) as { id: number }[] | undefined)?.filter((row) => !touched.has(Number(row.id)))
      expect(untouched('changed and vanished')).toEqual(untouched('first'))
    })

    it.runIf(kind === 'sqlite').each(MODES)(
      '%s mode: a text key (not the rowid, no saved live rows): the same counts, nothing deleted but what vanished',
      (mode) => {
        expect(steps.get(`${mode} text key re-serialised`)?.records).toEqual(steps.get(`${mode} re-serialised`)?.records)
        expect(sums.get(`${mode} text key re-serialised`)).toEqual(sums.get(`${mode} text key first`))
        expect(steps.get(`${mode} text key changed and vanished`)?.records).toEqual(steps.get(`${mode} changed and vanished`)?.records)
        expect(sums.get(`${mode} text key changed and vanished`)?.rptrs?.rows).toBe(RECORDS - VANISHED.length)
      },
    )

    it.runIf(kind === 'sqlite').each(MODES)('%s mode: the saved live rows name as many rows as the table has live ones after each re-sync', (mode) => {
      for (const step of ['re-serialised', 're-serialised again', 'changed and vanished']) {
        const rows = saved.get(`${mode} ${step}`) ?? []
        expect(rows, `${mode} ${step}`).toHaveLength(1)
        expect(rows[0]?.rows, `${mode} ${step}`).toBe(rows[0]?.live)
      }
    })
  })
})
