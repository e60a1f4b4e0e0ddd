import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SourceReport, SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type SinkKind, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 600_000
/** `fresh` is first met in this record: hundreds of chunks past the sample the table was made from. */
const FRESH_FROM = 500_000
/** `v` holds integers up to here, then text. */
const TEXT_AFTER = 500_001

/** Writes the cache file line by line in batches: the records are never all in memory. */
function writeLargeFile(path: string): void {
  const fd = openSync(path, 'w')
  try {
    const BATCH = 10_000
    for (let start = 1; start <= RECORDS; start += BATCH) {
      let text = ''
      for (let i = start; i < start + BATCH && i <= RECORDS; i++) {
        const fresh = i >= FRESH_FROM ? `,"fresh":"f${i}"` : ''
        const v = i >= TEXT_AFTER ? `"v${i}"` : String(i)
        text += `{"id":${i},"name":"r${i}","v":${v}${fresh}}\n`
      }
      writeSync(fd, text)
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * A column first needed near the end of a large file: the table was made from the first 1,000 records,
 * `fresh` appears at record 500,000 and `v` turns from integers to text at 500,001. Every mode runs on
 * both sinks; all 600,000 rows are checked in SQL, not fetched.
 */
describe.each(SINK_KINDS)('on %s', (kind: SinkKind) => {
  describe('a field first met at record 500,000 of 600,000 becomes a column in every mode', requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const cacheDir = (): string => join(tmp(), 'cache')
    const reports = new Map<Mode, SyncReport>()
    const databases = new Map<Mode, TestDatabase>()

    beforeAll(async () => {
      mkdirSync(cacheDir(), { recursive: true })
      writeLargeFile(join(cacheDir(), 'big.ndjson'))
      const config = join(tmp(), 'big.yaml')
      writeFileSync(config, 'sources:\n  - name: big\n')
      for (const mode of MODES) {
        const db = database(`big_${mode}`)
        const target = kind === 'sqlite' ? { db: db.path as string } : { db: join(tmp(), 'unused.db'), sink: db.target, schema: db.schema as string }
        databases.set(mode, db)
        reports.set(mode, await runSync(testConfig({ ...target, cacheDir: cacheDir(), mode }, config)))
      }
    }, 900_000)

    describe.each(MODES)('%s mode', (mode: Mode) => {
      const db = (): TestDatabase => databases.get(mode) as TestDatabase
      const count = (where: string): number =>
        Number((db().query<{ n: number | string }>(`SELECT count(*) AS n FROM big WHERE ${where}`)[0] as { n: number }).n)

      it('syncs every record, reporting the column added and the one widened', () => {
        const report = reports.get(mode) as SyncReport
        expect(report.mode).toBe(mode)
        expect(report.ok).toBe(true)
        const big = report.sources[0] as SourceReport
        expect(big.records).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
        expect(big.schema).toEqual({
          added: [{ column: 'fresh', field: 'fresh', type: 'text' }],
          widened: [{ column: 'v', from: 'integer', to: 'text' }],
          dropped: {},
        })
        expect(count('true')).toBe(RECORDS)
      })

      it('the table has the column, as text, and v widened to text', () => {
        const columns =
          kind === 'sqlite'
            ? db()
                .query<{ name: string; type: string }>('PRAGMA table_info(big)')
                .map((c) => [c.name, c.type.toLowerCase()])
            : db()
                .query<{ name: string; type: string }>(
                  "SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'big' ORDER BY ordinal_position",
                )
                .map((c) => [c.name, c.type])
        expect(columns.filter(([name]) => name !== '_hash' && name !== '_deleted_at')).toEqual([
          ['id', kind === 'sqlite' ? 'integer' : 'bigint'],
          ['name', 'text'],
          ['v', 'text'],
          ['fresh', 'text'],
        ])
      })

      it('the rows before record 500,000 hold null in it, the rows after their exact values', () => {
        expect(count(`id < ${FRESH_FROM} AND fresh IS NULL`)).toBe(FRESH_FROM - 1)
        expect(count(`id >= ${FRESH_FROM} AND fresh = 'f' || CAST(id AS TEXT)`)).toBe(RECORDS - FRESH_FROM + 1)
        expect(count(`v = CAST(id AS TEXT) AND id < ${TEXT_AFTER}`)).toBe(TEXT_AFTER - 1)
        expect(count(`v = 'v' || CAST(id AS TEXT) AND id >= ${TEXT_AFTER}`)).toBe(RECORDS - TEXT_AFTER + 1)
        expect(count(`name = 'r' || CAST(id AS TEXT)`)).toBe(RECORDS)
      })
    })
  })
})
