import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ConfigOptions } from '../../src/config/resolve-config.js'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { itUnless } from '../helpers/known-bug.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/**
 * A cache file that starts with a UTF-8 byte-order mark, synced again after a run that committed part of
 * it and failed: the resumed run only hashes the committed lines to mark their rows seen, and the first
 * line's hash must be taken without the mark, as when it was written, or its row would look vanished
 * and be deleted.
 */

const CONFIG = { sources: [{ name: 'items', key: 'id', columns: { id: 'integer', name: 'text' } }] }
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const RECORDS = 40
/** The line of the one reject in the second file: after record 35. */
const REJECT_LINE = 36

const record = (id: number, name: string): string => JSON.stringify({ id, name })
const ids = Array.from({ length: RECORDS }, (_, i) => i + 1)
/** Every record; the first keeps its line, every other one changes, so that chunks fill and commit. */
const FIRST = ids.map((id) => record(id, `a${id}`))
const SECOND = ids.map((id) => (id === 1 ? (FIRST[0] as string) : record(id, `b${id}`)))
SECOND.splice(REJECT_LINE - 1, 0, '[36]')

/** Product bugs found by this file (see the test report). */
const REJECTS_TWICE = 'a run that fails past --max-rejects records the rejects after its checkpoint, and the run that resumes there records them again'

const file = (lines: readonly string[]): Buffer => Buffer.concat([BOM, Buffer.from(`${lines.join('\n')}\n`)])

describe.each(SINK_KINDS)('a byte-order mark is skipped on a resumed sync too (%s sink)', (kind) => {
  describe(kind, requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const db = (mode: Mode): TestDatabase => database(`resume_${mode}`)
    const reports = new Map<string, SyncReport>()
    /** Rows of the second file committed by the run that failed. */
    const committedBeforeFailing = new Map<Mode, number>()

    const sync = (mode: Mode, cacheDir: string, extra: Pick<ConfigOptions, 'maxRejects'> = {}): Promise<SyncReport> => {
      const target = db(mode)
      const flags: ConfigOptions & { db: string; cacheDir: string } = {
        db: target.path ?? join(tmp(), 'unused.db'),
        cacheDir,
        mode,
        chunk: 4,
        ...(target.schema === undefined ? {} : { sink: target.target, schema: target.schema }),
        ...extra,
      }
      return runSync(testConfig(flags, join(tmp(), 'items-config.json')))
    }

    beforeAll(async () => {
      writeFileSync(join(tmp(), 'items-config.json'), JSON.stringify(CONFIG))
      for (const [dir, lines] of [
        ['first', FIRST],
        ['second', SECOND],
      ] as const) {
        mkdirSync(join(tmp(), dir))
        writeFileSync(join(tmp(), dir, 'items.ndjson'), file(lines))
      }
      for (const mode of MODES) {
        reports.set(`first ${mode}`, await sync(mode, join(tmp(), 'first')))
        // No reject allowed: the run fails at line 36, after committing the chunks (ranges) before it.
        reports.set(`failed ${mode}`, await sync(mode, join(tmp(), 'second'), { maxRejects: 0 }))
        committedBeforeFailing.set(mode, db(mode).query("SELECT id FROM items WHERE name LIKE 'b%'").length)
        reports.set(`resumed ${mode}`, await sync(mode, join(tmp(), 'second')))
      }
    })

    it.each(MODES)('%s mode: the first sync takes every record, the first one included', (mode) => {
      expect(reports.get(`first ${mode}`)?.sources[0]?.records).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
    })

    it.each(MODES)('%s mode: the run that fails leaves part of the second file committed', (mode) => {
      const failed = reports.get(`failed ${mode}`)?.sources[0]
      expect(failed?.state).toBe('failed')
      if (failed?.state === 'failed') expect(failed.code).toBe('ERR_TOO_MANY_REJECTS')
      expect(committedBeforeFailing.get(mode)).toBeGreaterThan(0)
      expect(committedBeforeFailing.get(mode)).toBeLessThan(RECORDS - 1)
    })

    it.each(MODES)('%s mode: the next sync resumes after the committed part and deletes nothing', (mode) => {
      const resumed = reports.get(`resumed ${mode}`)?.sources[0]
      expect(resumed?.state).toBe('synced')
      expect(resumed?.resumedRecords).toBeGreaterThan(0)
      expect((resumed?.resumedRecords ?? 0) + (resumed?.records.read ?? 0)).toBe(RECORDS + 1)
      expect(resumed?.records.deleted).toBe(0)
      expect(resumed?.records.rejected).toBe(1)
    })

    it.each(MODES)('%s mode: the table holds every record of the second file, the first line’s record included', (mode) => {
      const rows = db(mode).query<{ id: number; name: string }>('SELECT id, name FROM items ORDER BY id')
      expect(rows).toEqual(ids.map((id) => ({ id, name: id === 1 ? 'a1' : `b${id}` })))
    })

    it.each(MODES)('%s mode: the resumed run keeps the one reject at its line', (mode) => {
      const runId = reports.get(`resumed ${mode}`)?.runId
      const rejects = db(mode).query<{ line: number; reason: string }>(`SELECT line, reason FROM sync_rejects WHERE run_id = ${runId} ORDER BY line`)
      expect(rejects.map((r) => ({ line: Number(r.line), reason: r.reason }))).toEqual([{ line: REJECT_LINE, reason: 'expected a JSON object, got an array' }])
    })

    itUnless(REJECTS_TWICE).each(MODES)('%s mode: sync_rejects holds each reject of the file once', (mode) => {
      const rejects = db(mode).query<{ line: number }>('SELECT line FROM sync_rejects ORDER BY line')
      expect(rejects.map((r) => Number(r.line))).toEqual([REJECT_LINE])
    })
  })
})
