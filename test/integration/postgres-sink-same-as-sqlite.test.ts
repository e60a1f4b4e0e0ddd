import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { diffSource, expectedCounts } from '../helpers/change-set.js'
import { MODES, testConfig } from '../helpers/config.js'
import { DMR_TABLES } from '../helpers/database.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { type Checksums, pgChecksums, sqliteChecksums } from '../helpers/sink-checksum.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 12_000
const SEED = 11
const DB = 'sync'

/**
 * The sink-independent behaviour, against a real PostgreSQL: every mode leaves the same tables as every
 * other and as the SQLite sink, counts match the change set, an unchanged cache is skipped, a dry run
 * reports the real run's counts and writes nothing.
 */
describe('the PostgreSQL sink leaves what the SQLite sink leaves', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const reports = new Map<string, SyncReport>()
  const sums = new Map<string, Checksums>()
  const sink = (): string => pg.cluster().url(DB)

  beforeAll(async () => {
    pg.cluster().createDatabase(DB)
    const base = join(tmp(), 'base')
    const changed = join(tmp(), 'changed')
    await generateDmrCache({ records: RECORDS, cacheDir: base, seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: changed, seed: SEED, changeRate: 0.03 })
    const db = join(tmp(), 'reference.db')
    for (const [step, cacheDir] of [
      ['first', base],
      ['second', changed],
    ] as const) {
      reports.set(`sqlite ${step}`, await runSync(testConfig({ db, cacheDir, mode: 'sequential' })))
      sums.set(`sqlite ${step}`, sqliteChecksums(db, DMR_TABLES))
      for (const mode of MODES) {
        const config = testConfig({ db, cacheDir, mode, sink: sink(), schema: `m_${mode}` })
        reports.set(`${mode} ${step}`, await runSync(config))
        sums.set(`${mode} ${step}`, pgChecksums(pg.cluster(), DB, `m_${mode}`, DMR_TABLES))
      }
    }
  })

  it('every mode syncs every source', () => {
    for (const mode of MODES) {
      for (const step of ['first', 'second']) {
        const report = reports.get(`${mode} ${step}`)
        expect(report?.mode, `${mode} ${step}`).toBe(mode)
        expect(report?.sources.map((s) => [s.name, s.state])).toEqual([
          ['rptrs', 'synced'],
          ['users', 'synced'],
          ['devices', 'synced'],
        ])
      }
    }
  })

  it('first sync: every mode leaves the tables of the SQLite sink, every record in them', () => {
    const reference = sums.get('sqlite first') as Checksums
    expect(Object.values(reference).reduce((sum, t) => sum + t.rows, 0)).toBe(RECORDS)
    for (const mode of MODES) expect(sums.get(`${mode} first`), mode).toEqual(reference)
  })

  it('after a 3 % change set: again the tables of the SQLite sink, in every mode', () => {
    const reference = sums.get('sqlite second') as Checksums
    for (const table of DMR_TABLES) expect(reference[table]?.sha256).not.toBe(sums.get('sqlite first')?.[table]?.sha256)
    for (const mode of MODES) expect(sums.get(`${mode} second`), mode).toEqual(reference)
  })

  it('counts inserts, updates, unchanged and deletes exactly as the change set says', () => {
    for (const table of DMR_TABLES) {
      const expected = expectedCounts(diffSource(join(tmp(), 'base'), join(tmp(), 'changed'), table))
      expect(expected.inserted + expected.updated + expected.deleted, table).toBeGreaterThan(0)
      for (const mode of MODES) {
        expect(reports.get(`${mode} second`)?.sources.find((s) => s.name === table)?.records, `${mode} ${table}`).toEqual(expected)
      }
    }
    for (const mode of MODES) {
      expect(reports.get(`${mode} first`)?.records, mode).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
    }
  })

  it('records each run in sync_runs and each source in sync_sources, in the chosen schema', () => {
    const runs = pg.cluster().psql(`SELECT outcome || ' ' || inserted FROM m_streaming.sync_runs ORDER BY id`, DB)
    expect(runs.split('\n')).toEqual([`ok ${RECORDS}`, `ok ${reports.get('streaming second')?.records.inserted}`])
    expect(pg.cluster().psql('SELECT count(*) FROM m_streaming.sync_sources WHERE content_hash IS NOT NULL', DB)).toBe('3')
    expect(pg.cluster().psql('SELECT count(*) FROM m_streaming.sync_checkpoints', DB)).toBe('0')
    expect(pg.cluster().psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", DB)).toBe('0')
  })

  it('a second sync of the same cache skips every source as unchanged', async () => {
    const report = await runSync(
      testConfig({ db: join(tmp(), 'x.db'), cacheDir: join(tmp(), 'changed'), mode: 'streaming', sink: sink(), schema: 'm_streaming' }),
    )
    expect(report.sources.map((s) => s.state)).toEqual(['unchanged', 'unchanged', 'unchanged'])
    expect(report.records.read).toBe(0)
  })

  it('a dry run reports what the real run then does, and writes nothing (its transaction is rolled back)', async () => {
    const schema = 'm_sequential'
    const before = pgChecksums(pg.cluster(), DB, schema, DMR_TABLES)
    const runsBefore = pg.cluster().psql(`SELECT count(*) FROM ${schema}.sync_runs`, DB)
    const config = testConfig({ db: join(tmp(), 'x.db'), cacheDir: join(tmp(), 'base'), mode: 'streaming', sink: sink(), schema })
    const dry = await runSync(config, { dryRun: true })
    expect(dry.dryRun).toBe(true)
    expect(dry.records.inserted + dry.records.updated + dry.records.deleted).toBeGreaterThan(0)
    expect(pgChecksums(pg.cluster(), DB, schema, DMR_TABLES)).toEqual(before)
    expect(pg.cluster().psql(`SELECT count(*) FROM ${schema}.sync_runs`, DB)).toBe(runsBefore)
    const real = await runSync(config)
    expect(real.records).toEqual(dry.records)
    // The same step on the SQLite reference (devices are soft-deleted: the vanished rows stay, marked).
    const reference = join(tmp(), 'reference.db')
    expect((await runSync(testConfig({ db: reference, cacheDir: join(tmp(), 'base'), mode: 'sequential' }))).records).toEqual(real.records)
    expect(pgChecksums(pg.cluster(), DB, schema, DMR_TABLES)).toEqual(sqliteChecksums(reference, DMR_TABLES))
  })
})
