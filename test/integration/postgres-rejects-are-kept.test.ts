import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { DMR_SOURCES } from '../../src/config/dmr-sources.js'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { MODES, testConfig } from '../helpers/config.js'
import { query } from '../helpers/database.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { pgChecksums, sqliteChecksums } from '../helpers/sink-checksum.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RPTRS = DMR_SOURCES.find((s) => s.name === 'rptrs')
const DB = 'rejects'
const good = (id: number | string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ id, callsign: `DB${id}X`, city: 'Zürich\ttab', color_code: 1, lat: '47.37', lng: 8.54, ipsc_network: 'BM', ...extra })

const LINES = [
  good(1),
  '{"id": 2, "callsign": "DB2X", "city": "Kö',
  good(3, { city: 'back\\slash and\nnewline' }),
  JSON.stringify({ callsign: 'NOKEY' }),
  good('abc'),
  '[1,2]',
  good(9, { color_code: {} }),
  good(10),
  good(3, { city: 'the last record of key 3 wins' }),
]
const FORMATS = { ndjson: LINES.join('\n'), json: JSON.stringify({ rptrs: LINES.flatMap((l) => (l.endsWith('Kö') ? [] : [JSON.parse(l)])) }) }

/** Rejects in PostgreSQL: the same rows in sync_rejects (line, reason, raw) as the SQLite sink keeps, and the same table. */
describe('rejected records are kept by the PostgreSQL sink as by the SQLite sink', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const reports = new Map<string, SyncReport>()

  beforeAll(async () => {
    pg.cluster().createDatabase(DB)
    writeFileSync(join(tmp(), 'rptrs.json'), JSON.stringify({ sources: [RPTRS] }))
    for (const [format, text] of Object.entries(FORMATS)) {
      const cacheDir = join(tmp(), format)
      mkdirSync(cacheDir)
      writeFileSync(join(cacheDir, `rptrs.${format}`), text)
      for (const mode of MODES) {
        const db = join(tmp(), `${format}-${mode}.db`)
        reports.set(`${format} sqlite ${mode}`, await runSync(testConfig({ db, cacheDir, mode, chunk: 2 }, join(tmp(), 'rptrs.json'))))
        const config = testConfig({ db, cacheDir, mode, chunk: 2, sink: pg.cluster().url(DB), schema: `${format}_${mode}` }, join(tmp(), 'rptrs.json'))
        reports.set(`${format} ${mode}`, await runSync(config))
      }
    }
  })

  for (const format of Object.keys(FORMATS)) {
    it(`${format}: same counts, same rejects, same table in every mode`, () => {
      for (const mode of MODES) {
        const db = join(tmp(), `${format}-${mode}.db`)
        const sqliteRejects = query<{ line: number; reason: string; raw: string }>(db, 'SELECT line, reason, raw FROM sync_rejects ORDER BY line').map((r) =>
          JSON.stringify([String(r.line), r.reason, r.raw]),
        )
        expect(sqliteRejects.length).toBeGreaterThanOrEqual(4)
        const schema = `${format}_${mode}`
        expect(reports.get(`${format} ${mode}`)?.records, mode).toEqual(reports.get(`${format} sqlite ${mode}`)?.records)
        const json = pg
          .cluster()
          .psql(`SELECT coalesce(json_agg(json_build_array(line::text, reason, raw) ORDER BY line), '[]') FROM ${schema}.sync_rejects`, DB)
        expect(
          (JSON.parse(json) as unknown[]).map((r) => JSON.stringify(r)),
          mode,
        ).toEqual(sqliteRejects)
        expect(pgChecksums(pg.cluster(), DB, schema, ['rptrs']), mode).toEqual(sqliteChecksums(db, ['rptrs']))
      }
    })
  }
})
