import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { DMR_SOURCES } from '../../src/config/dmr-sources.js'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { query } from '../helpers/database.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * The built-in repeater source (key `id` integer, `color_code` integer, `lat` real, …) on its own, from a
 * configuration file: the cache directory holds only hand-written repeater files.
 */
const RPTRS = DMR_SOURCES.find((s) => s.name === 'rptrs')

const good = (id: number | string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ id, callsign: `DB${id}X`, city: 'Zürich', color_code: 1, lat: '47.37', lng: 8.54, ipsc_network: 'BM', ...extra })

/** An NDJSON file, line by line (1-based line = index + 1), and the rejects it must produce. */
const NDJSON_LINES: string[] = [
  good(1), // 1
  '', // 2 blank: ignored
  '{"id": 2, "callsign": "DB2X", "city": "Kö', // 3 malformed JSON (cut off)
  good(3), // 4
  JSON.stringify({ callsign: 'NOKEY', city: 'Bern' }), // 5 no key
  good('abc'), // 6 key of the wrong type
  '[1,2]', // 7 not an object
  '   \t', // 8 blank: ignored
  good(9, { color_code: {} }), // 9 an object in an integer column
  good(10), // 10
  good(11, { frequency: 'north' }), // 11 text in a real column
  'null', // 12 not an object
  good(13, { id: 13.5 }), // 13 not an integer
  good('14'), // 14 numeric string key: fine
  good(15), // 15
  '', // 16 blank
  good(17), // 17, the last line, without a newline after it
]

interface ExpectedReject {
  line: number
  reason: RegExp
}

const NDJSON_REJECTS: ExpectedReject[] = [
  { line: 3, reason: /^malformed JSON/ },
  { line: 5, reason: /^id: missing/ },
  { line: 6, reason: /^id: expected integer, got "abc"/ },
  { line: 7, reason: /expected a JSON object, got an array/ },
  { line: 9, reason: /^color_code: expected integer, got an object/ },
  { line: 11, reason: /^frequency: expected real, got "north"/ },
  { line: 12, reason: /expected a JSON object, got null/ },
  { line: 13, reason: /^id: expected integer, got 13\.5/ },
]
const NDJSON_GOOD_IDS = [1, 3, 10, 14, 15, 17]
const NDJSON_RECORDS = NDJSON_LINES.filter((line) => line.trim() !== '').length

/** A JSON file `{"rptrs": [...]}`: the "line" of a record is its 1-based position in the array. */
const JSON_ELEMENTS: unknown[] = [
  JSON.parse(good(1)), // 1
  { callsign: 'NOKEY' }, // 2 no key
  JSON.parse(good(3)), // 3
  JSON.parse(good('abc')), // 4 wrong type
  [1, 2], // 5 not an object
  JSON.parse(good(6, { color_code: {} })), // 6
  null, // 7
  JSON.parse(good(8)), // 8
  JSON.parse(good(9, { frequency: 'north' })), // 9
  JSON.parse(good(10, { id: null })), // 10 key null
  JSON.parse(good(11)), // 11
]
const JSON_REJECTS: ExpectedReject[] = [
  { line: 2, reason: /^id: missing/ },
  { line: 4, reason: /^id: expected integer, got "abc"/ },
  { line: 5, reason: /expected a JSON object, got an array/ },
  { line: 6, reason: /^color_code: expected integer, got an object/ },
  { line: 7, reason: /expected a JSON object, got null/ },
  { line: 9, reason: /^frequency: expected real, got "north"/ },
  { line: 10, reason: /^id: missing/ },
]
const JSON_GOOD_IDS = [1, 3, 8, 11]

interface RejectRow {
  run_id: number
  source: string
  line: number
  reason: string
  raw: string
}

const FORMATS = [
  { format: 'ndjson', rejects: NDJSON_REJECTS, goodIds: NDJSON_GOOD_IDS, records: NDJSON_RECORDS },
  { format: 'ndjson-crlf', rejects: NDJSON_REJECTS, goodIds: NDJSON_GOOD_IDS, records: NDJSON_RECORDS },
  { format: 'json', rejects: JSON_REJECTS, goodIds: JSON_GOOD_IDS, records: JSON_ELEMENTS.length },
] as const

describe('rejected records are kept, with line and reason, and the good ones around them are synced', () => {
  const tmp = useTempDir()
  const configFile = (): string => join(tmp(), 'rptrs-only.json')
  const cacheDir = (format: string): string => join(tmp(), `cache-${format}`)
  const reports = new Map<string, SyncReport>()
  const dbFor = (format: string, mode: Mode): string => join(tmp(), `${format}-${mode}.db`)

  beforeAll(async () => {
    if (RPTRS === undefined) throw new Error('the built-in configuration has no rptrs source')
    writeFileSync(configFile(), JSON.stringify({ sources: [RPTRS] }))
    mkdirSync(cacheDir('ndjson'))
    writeFileSync(join(cacheDir('ndjson'), 'rptrs.ndjson'), NDJSON_LINES.join('\n'))
    mkdirSync(cacheDir('ndjson-crlf'))
    writeFileSync(join(cacheDir('ndjson-crlf'), 'rptrs.ndjson'), NDJSON_LINES.join('\r\n'))
    mkdirSync(cacheDir('json'))
    writeFileSync(join(cacheDir('json'), 'rptrs.json'), JSON.stringify({ rptrs: JSON_ELEMENTS }, null, 2))
    for (const { format } of FORMATS) {
      for (const mode of MODES) {
        // Chunks of 3 records: streaming line numbers must carry across chunk boundaries.
        reports.set(`${format}-${mode}`, await runSync(testConfig({ db: dbFor(format, mode), cacheDir: cacheDir(format), mode, chunk: 3 }, configFile())))
      }
    }
  })

  describe.each(FORMATS)('$format file', ({ format, rejects, goodIds, records }) => {
    it.each(MODES)('%s mode: the source syncs, counting the rejects', (mode) => {
      const report = reports.get(`${format}-${mode}`) as SyncReport
      expect(report.mode).toBe(mode)
      expect(report.ok).toBe(true)
      expect(report.sources).toHaveLength(1)
      expect(report.sources[0]?.state).toBe('synced')
      expect(report.sources[0]?.records).toEqual({
        read: records,
        inserted: goodIds.length,
        updated: 0,
        unchanged: 0,
        deleted: 0,
        rejected: rejects.length,
      })
    })

    it.each(MODES)('%s mode: every good record is in the table, and nothing else', (mode) => {
      const ids = query<{ id: number }>(dbFor(format, mode), 'SELECT id FROM rptrs ORDER BY id').map((r) => r.id)
      expect(ids).toEqual(goodIds)
      // The good records went through the mapping: network normalised, text kept as text.
      const first = query<{ network: string; city: string; lat: number }>(dbFor(format, mode), 'SELECT network, city, lat FROM rptrs WHERE id = 1')
      expect(first).toEqual([{ network: 'BrandMeister', city: 'Zürich', lat: 47.37 }])
    })

    it.each(MODES)('%s mode: each reject is in sync_rejects with its line, a reason naming the column, and the raw text', (mode) => {
      const db = dbFor(format, mode)
      const rows = query<RejectRow>(db, 'SELECT run_id, source, line, reason, raw FROM sync_rejects ORDER BY line')
      expect(rows.map((r) => r.line)).toEqual(rejects.map((r) => r.line))
      for (const [i, expected] of rejects.entries()) {
        const row = rows[i] as RejectRow
        expect(row.reason, `line ${expected.line}`).toMatch(expected.reason)
        expect(row.source).toBe('rptrs')
        expect(row.run_id).toBe(reports.get(`${format}-${mode}`)?.runId)
        if (format.startsWith('ndjson')) expect(row.raw).toBe(NDJSON_LINES[expected.line - 1])
        else expect(JSON.parse(row.raw)).toEqual(JSON_ELEMENTS[expected.line - 1])
      }
    })

    it('the three modes agree on every reject (line, reason, raw)', () => {
      const all = MODES.map((mode) => query(dbFor(format, mode), 'SELECT line, reason, raw FROM sync_rejects ORDER BY line'))
      expect(all[1]).toEqual(all[0])
      expect(all[2]).toEqual(all[0])
    })
  })

  describe.each(MODES)('--max-rejects (%s mode)', (mode) => {
    const sync = (maxRejects: number, db: string): Promise<SyncReport> =>
      runSync(testConfig({ db: join(tmp(), db), cacheDir: cacheDir('ndjson'), mode, maxRejects, chunk: 3 }, configFile()))

    it('lets the source through with exactly N rejects', async () => {
      const report = await sync(NDJSON_REJECTS.length, `max-ok-${mode}.db`)
      expect(report.ok).toBe(true)
      expect(report.sources[0]?.state).toBe('synced')
      expect(report.sources[0]?.records.rejected).toBe(NDJSON_REJECTS.length)
    })

    it('fails the source past N, saying why', async () => {
      const report = await sync(NDJSON_REJECTS.length - 1, `max-fail-${mode}.db`)
      expect(report.ok).toBe(false)
      const s = report.sources[0]
      expect(s?.state).toBe('failed')
      if (s?.state !== 'failed') return
      expect(s.code).toBe('ERR_TOO_MANY_REJECTS')
      expect(s.error).toContain('rptrs.ndjson')
      expect(s.error).toMatch(/max-rejects 7/)
      const runs = query<{ outcome: string }>(join(tmp(), `max-fail-${mode}.db`), 'SELECT outcome FROM sync_runs')
      expect(runs).toEqual([{ outcome: 'failed' }])
    })
  })
})
