import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { DMR_SOURCES } from '../../src/config/dmr-sources.js'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { checksumAll, query, scalar } from '../helpers/database.js'
import { realRptrsDump, repoRoot } from '../helpers/paths.js'
import { requireFile } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 10_613

interface RawRepeater {
  id: number | string
  ipsc_network: string | null
  lat: unknown
}

const needsDump = requireFile(realRptrsDump, `data: ${relative(repoRoot, realRptrsDump)} absent`)

describe('the real RadioID repeater dump syncs cleanly in every mode', needsDump, () => {
  const tmp = useTempDir()
  const cacheDir = (): string => join(tmp(), 'cache')
  const db = (mode: Mode): string => join(tmp(), `${mode}.db`)
  const reports = new Map<Mode, SyncReport>()
  let raw: RawRepeater[] = []

  beforeAll(async () => {
    raw = (JSON.parse(gunzipSync(readFileSync(realRptrsDump)).toString('utf8')) as { rptrs: RawRepeater[] }).rptrs
    mkdirSync(cacheDir())
    copyFileSync(realRptrsDump, join(cacheDir(), 'rptrs.json.gz'))
    // Only the repeater source, exactly as built in: a configuration file listing just that source.
    const configFile = join(tmp(), 'rptrs.json')
    writeFileSync(configFile, JSON.stringify({ sources: DMR_SOURCES.filter((s) => s.name === 'rptrs') }))
    for (const mode of MODES) reports.set(mode, await runSync(testConfig({ db: db(mode), cacheDir: cacheDir(), mode }, configFile)))
  })

  it('the dump is what the tests expect (10,613 records, the network spelled several ways)', () => {
    expect(raw).toHaveLength(RECORDS)
    const spellings = new Set(raw.map((r) => r.ipsc_network))
    for (const spelling of ['BM', 'Brandmeister', 'BrandMeister', 'brandmeister']) expect(spellings.has(spelling), spelling).toBe(true)
  })

  it.each(MODES)('%s mode: 10,613 rows, zero rejects', (mode) => {
    const report = reports.get(mode) as SyncReport
    expect(report.mode).toBe(mode)
    expect(report.ok).toBe(true)
    expect(report.sources.map((s) => [s.name, s.state, s.file])).toEqual([['rptrs', 'synced', join(cacheDir(), 'rptrs.json.gz')]])
    expect(query(db(mode), 'SELECT line, reason FROM sync_rejects')).toEqual([])
    expect(report.records).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
    expect(scalar<number>(db(mode), 'SELECT count(*) FROM rptrs')).toBe(RECORDS)
  })

  it.each(MODES)('%s mode: every record is read, and each one either lands in the table or is kept as a reject', (mode) => {
    const report = reports.get(mode) as SyncReport
    expect(report.records.read).toBe(RECORDS)
    const rows = scalar<number>(db(mode), 'SELECT count(*) FROM rptrs')
    const rejects = scalar<number>(db(mode), 'SELECT count(*) FROM sync_rejects')
    expect(rows + rejects).toBe(RECORDS)
    expect(report.records.inserted).toBe(rows)
    expect(report.records.rejected).toBe(rejects)
  })

  it.each(MODES)('%s mode: the network is normalised', (mode) => {
    const rows = query<{ id: number; network: string | null }>(db(mode), 'SELECT id, network FROM rptrs')
    const networks = new Set(rows.map((r) => r.network))
    for (const spelling of ['BM', 'Brandmeister', 'brandmeister', 'BRANDMEISTER', 'bm', 'Brand Meister', 'DMR-plus', 'None']) {
      expect(networks.has(spelling), spelling).toBe(false)
    }
    const rawById = new Map(raw.map((r) => [Number(r.id), r]))
    const spelled = (row: { id: number }, ...spellings: string[]): boolean => spellings.includes(String(rawById.get(row.id)?.ipsc_network).trim().toLowerCase())
    const brandmeister = rows.filter((row) => spelled(row, 'bm', 'brandmeister', 'brand meister'))
    expect(brandmeister.length).toBeGreaterThan(5000)
    for (const row of brandmeister) expect(row.network, `rptr ${row.id}`).toBe('BrandMeister')
    expect(rows.filter((r) => r.network === 'BrandMeister').length).toBe(brandmeister.length)
    const dmrPlus = rows.filter((row) => spelled(row, 'dmr-plus', 'dmr+'))
    expect(dmrPlus.length).toBeGreaterThan(0)
    for (const row of dmrPlus) expect(row.network, `rptr ${row.id}`).toBe('DMR+')
    // "None" means no network
    const none = rows.filter((row) => spelled(row, 'none'))
    expect(none.length).toBeGreaterThan(0)
    for (const row of none) expect(row.network, `rptr ${row.id}`).toBeNull()
  })

  it.each(MODES)('%s mode: lat and lng are numbers or null, never text', (mode) => {
    const types = query<{ t: string }>(db(mode), 'SELECT DISTINCT typeof(lat) AS t FROM rptrs UNION SELECT DISTINCT typeof(lng) FROM rptrs').map((r) => r.t)
    expect(types.sort()).toEqual(['null', 'real'])
    const rawById = new Map(raw.map((r) => [Number(r.id), r]))
    const rows = query<{ id: number; lat: number | null }>(db(mode), 'SELECT id, lat FROM rptrs')
    // Null, empty or not a number in the dump ("08S080890"): no position, and the repeater is kept.
    const nullInDump = rows.filter((row) => {
      const lat = rawById.get(row.id)?.lat
      return lat === null || (typeof lat === 'string' && (lat.trim() === '' || !Number.isFinite(Number(lat.trim()))))
    })
    expect(nullInDump.length).toBeGreaterThan(0)
    expect(rows.filter((r) => r.lat === null).map((r) => r.id)).toEqual(nullInDump.map((r) => r.id))
  })

  it.each(MODES)('%s mode: a known record comes through as the dump has it', (mode) => {
    const rows = query(db(mode), 'SELECT id, callsign, city, frequency, color_code, trustee, network, lat, lng, status FROM rptrs WHERE id = 110601')
    expect(rows).toEqual([
      {
        id: 110601,
        callsign: 'WB6ECE',
        city: 'Bonny Doon',
        frequency: 440.5875,
        color_code: 2,
        trustee: 'KA6SQG',
        network: 'BrandMeister',
        lat: 47.215591,
        lng: -1.103299,
        status: 'ACTIVE',
      },
    ])
  })

  it('all three modes leave the same table', () => {
    const sums = MODES.map((mode) => checksumAll(db(mode), ['rptrs']))
    expect(sums[0]?.rptrs?.rows).toBeGreaterThan(10_000)
    expect(sums[1]).toEqual(sums[0])
    expect(sums[2]).toEqual(sums[0])
  })
})
