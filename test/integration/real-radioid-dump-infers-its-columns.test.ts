import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SourceReport, SyncReport } from '../../src/engine/sync-report.js'
import { testConfig } from '../helpers/config.js'
import { realRptrsDump, repoRoot } from '../helpers/paths.js'
import { type Rptr, readRealRptrs } from '../helpers/reserialise.js'
import { requireFile } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type SinkKind, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const needsDump = requireFile(realRptrsDump, `data: ${relative(repoRoot, realRptrsDump)} absent`)

/**
 * The dump's records as the first 1,000 show them, in order of first appearance. The dump writes
 * `frequency`, `offset`, `lat` and `lng` as JSON strings (`"440.58750"`, `"47.215591"`, `""` or null):
 * inferred, they are text, their strings kept exactly. Reals need configured columns (below).
 */
const INFERRED: [string, string][] = [
  ['locator', 'integer'],
  ['id', 'integer'],
  ['callsign', 'text'],
  ['city', 'text'],
  ['state', 'text'],
  ['country', 'text'],
  ['frequency', 'real'],
  ['color_code', 'integer'],
  ['offset', 'text'],
  ['assigned', 'text'],
  ['ts_linked', 'text'],
  ['trustee', 'text'],
  ['map_info', 'text'],
  ['map', 'integer'],
  ['ipsc_network', 'text'],
  ['lat', 'text'],
  ['lng', 'text'],
  ['status', 'text'],
]

/**
 * The mapping that makes the frequency and coordinates reals: configured columns coerce a numeric string
 * to its number (an empty string to null), `'*': auto` infers every other field, and the configured `id`
 * is the key though none is set. Three coordinates of the dump are not numbers (`"08S080890"`,
 * `"066-3308"`, `"34W564190"`): `invalid: 'null'` stores null for them, as the built-in mapping does,
 * where a plain `real` column would reject their two records.
 */
const TYPED_COLUMNS =
  "      id: integer\n      frequency: real\n      lat: { type: real, invalid: 'null' }\n      lng: { type: real, invalid: 'null' }\n      '*': auto\n"

/** A numeric string as its number (`-0` as 0); an empty string, null or a string that is no number as null. */
const asReal = (value: unknown): number | null => {
  if (typeof value !== 'string' || value.trim() === '') return null
  const n = Number(value)
  // Some coordinates are "-0": both sinks give them back as 0.
  return Number.isFinite(n) ? n + 0 : null
}

/** The real RadioID repeater dump, synced with no configured columns, then with some: what each infers. */
describe.each(SINK_KINDS)('on %s', (kind: SinkKind) => {
  describe('the real RadioID repeater dump infers its columns', { ...requireSink(kind), ...needsDump }, () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    let db: TestDatabase
    let report: SyncReport
    let raw: Rptr[] = []
    const source = (name: string): SourceReport => report.sources.find((s) => s.name === name) as SourceReport
    const schemaOf = (name: string): unknown =>
      db
        .query<{ column_name: string; type: string; is_key: number | boolean; origin: string }>(
          `SELECT column_name, type, is_key, origin FROM sync_schema WHERE source = '${name}' ORDER BY position`,
        )
        .map((c) => [c.column_name, c.type, Boolean(c.is_key), c.origin])

    beforeAll(async () => {
      raw = readRealRptrs()
      const cacheDir = join(tmp(), 'cache')
      mkdirSync(cacheDir)
      copyFileSync(realRptrsDump, join(cacheDir, 'rptrs.json.gz'))
      const config = join(tmp(), 'rptrs.yaml')
      writeFileSync(
        config,
        'sources:\n' +
          '  - name: rptrs\n    recordsPath: rptrs\n' +
          `  - name: rptrs_typed\n    file: rptrs.json.gz\n    recordsPath: rptrs\n    columns:\n${TYPED_COLUMNS}`,
      )
      db = database('radioid')
      const target = kind === 'sqlite' ? { db: db.path as string } : { db: join(tmp(), 'unused.db'), sink: db.target, schema: db.schema as string }
      report = await runSync(testConfig({ ...target, cacheDir, mode: 'sequential' }, config))
    })

    it('every record of the dump is a row of each table, none rejected', () => {
      expect(report.ok).toBe(true)
      for (const name of ['rptrs', 'rptrs_typed']) {
        expect(source(name).state, name).toBe('synced')
        expect(source(name).records, name).toEqual({ read: raw.length, inserted: raw.length, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
        expect(db.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`)[0]?.n, name).toBe(raw.length)
      }
    })

    // Frequencies are strings that spell numbers ("440.58750"): reals. Coordinates hold "" and " 41.48":
    // a real column could not hold those unchanged, so they stay text.
    it('no columns: ids integers, the key id, frequencies reals; coordinates text, as the dump writes them', () => {
      expect(schemaOf('rptrs')).toEqual(INFERRED.map(([name, type]) => [name, type, name === 'id', 'inferred']))
      const rows = db.query<{ id: number; frequency: number; lat: string | null; lng: string | null }>('SELECT id, frequency, lat, lng FROM rptrs ORDER BY id')
      const expected = [...raw].sort((a, b) => Number(a.id) - Number(b.id)).map((r) => ({ id: r.id, frequency: Number(r.frequency), lat: r.lat, lng: r.lng }))
      expect(rows).toEqual(expected)
    })

    it("configured reals beside '*': auto: frequencies and coordinates are reals, the configured id the key", () => {
      const inferred = INFERRED.filter(([name]) => !['id', 'frequency', 'lat', 'lng'].includes(name))
      expect(schemaOf('rptrs_typed')).toEqual([
        ['id', 'integer', true, 'configured'],
        ['frequency', 'real', false, 'configured'],
        ['lat', 'real', false, 'configured'],
        ['lng', 'real', false, 'configured'],
        ...inferred.map(([name, type]) => [name, type, false, 'inferred']),
      ])
      const rows = db.query<{ id: number; frequency: number; lat: number | null; lng: number | null }>(
        'SELECT id, frequency, lat, lng FROM rptrs_typed ORDER BY id',
      )
      const expected = [...raw]
        .sort((a, b) => Number(a.id) - Number(b.id))
        .map((r) => ({ id: r.id, frequency: asReal(r.frequency), lat: asReal(r.lat), lng: asReal(r.lng) }))
      expect(rows).toEqual(expected)
      expect(rows.filter((r) => r.lat === null).length).toBeGreaterThan(0)
      const odd = raw.filter((r) => [r.lat, r.lng].some((v) => typeof v === 'string' && v.trim() !== '' && !Number.isFinite(Number(v))))
      expect(odd.map((r) => [r.id, r.lat, r.lng])).toEqual([
        [330007, expect.any(String), '066-3308'],
        [724026, '08S080890', '34W564190'],
      ])
      expect(rows.filter((r) => r.id === 330007 || r.id === 724026).map((r) => [r.id, r.lng])).toEqual([
        [330007, null],
        [724026, null],
      ])
    })
  })
})
