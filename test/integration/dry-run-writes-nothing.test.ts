import { mkdirSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { diffSource, expectedCounts } from '../helpers/change-set.js'
import { MODES, testConfig } from '../helpers/config.js'
import { checksumAll, DMR_TABLES, fileSha256, scalar } from '../helpers/database.js'
import { runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 8_000
const SEED = 9

/** What a dry run must leave as it found it: the bytes of the database and its WAL, and the files beside it. */
function snapshot(db: string) {
  return {
    db: fileSha256(db),
    wal: fileSha256(`${db}-wal`),
    files: readdirSync(dirname(db))
      .filter((name) => name.startsWith(basename(db)))
      .sort(),
    runs: scalar<number>(db, 'SELECT count(*) FROM sync_runs'),
  }
}

describe.each(MODES)('a dry run writes nothing (%s mode)', (mode) => {
  const tmp = useTempDir()
  const dir = (name: string): string => join(tmp(), name)
  const db = (): string => join(dir('db'), 'sync.db')
  let before: ReturnType<typeof snapshot>
  let after: ReturnType<typeof snapshot>
  let tablesBefore: ReturnType<typeof checksumAll>
  let dry: SyncReport
  let real: SyncReport

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: dir('a'), seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: dir('b'), seed: SEED, changeRate: 0.03 })
    mkdirSync(dir('db'))
    expect((await runSync(testConfig({ db: db(), cacheDir: dir('a'), mode }))).ok).toBe(true)
    // The checksum opens the database too (read-only opening of a WAL database makes -wal and -shm files):
    // take it before the file listing, so that only the dry run is judged.
    tablesBefore = checksumAll(db())
    before = snapshot(db())
    dry = await runSync(testConfig({ db: db(), cacheDir: dir('b'), mode }), { dryRun: true })
    after = snapshot(db())
  })

  it('says it was a dry run, and has no run id', () => {
    expect(dry.ok).toBe(true)
    expect(dry.dryRun).toBe(true)
    expect(dry.runId).toBeUndefined()
    expect(dry.mode).toBe(mode)
  })

  it("leaves the database file's bytes, and the WAL's if there was one, as they were", () => {
    expect(before.db).not.toBe('absent')
    expect(after.db).toBe(before.db)
    if (before.wal !== 'absent') expect(after.wal).toBe(before.wal)
  })

  it('adds no sync_runs row and changes no table', () => {
    expect(after.runs).toBe(before.runs)
    expect(checksumAll(db())).toEqual(tablesBefore)
  })

  it('leaves no scratch copy behind', () => {
    expect(after.files.filter((name) => name.includes('dry-run') || name.includes('staging') || name.endsWith('.lock'))).toEqual([])
  })

  it('creates no file beside the database', () => {
    expect(after.files).toEqual(before.files)
  })

  it('its counts are exactly those of the real run that follows, and those of the change set', async () => {
    real = await runSync(testConfig({ db: db(), cacheDir: dir('b'), mode }))
    expect(real.ok).toBe(true)
    expect(real.dryRun).toBe(false)
    expect(dry.records).toEqual(real.records)
    expect(dry.sources.map((s) => [s.name, s.state, s.records])).toEqual(real.sources.map((s) => [s.name, s.state, s.records]))
    for (const table of DMR_TABLES) {
      expect(real.sources.find((s) => s.name === table)?.records, table).toEqual(expectedCounts(diffSource(dir('a'), dir('b'), table)))
    }
    expect(real.records.updated + real.records.inserted + real.records.deleted).toBeGreaterThan(0)
  })
})

describe('`sync --dry-run` from the CLI', () => {
  const tmp = useTempDir()

  beforeAll(async () => {
    await generateDmrCache({ records: 3_000, cacheDir: join(tmp(), 'a'), seed: 1 })
    await generateDmrCache({ records: 3_000, cacheDir: join(tmp(), 'b'), seed: 1, changeRate: 0.05 })
  })

  it('prints dryRun true and no run id, and leaves the database bytes alone', async () => {
    const cacheDir = join(tmp(), 'a')
    const changed = join(tmp(), 'b')
    const db = join(tmp(), 'cli.db')
    expect((await runCli(['sync', '--db', db, '--cache-dir', cacheDir, '--mode', 'sequential'])).code).toBe(0)
    const bytes = fileSha256(db)
    const runs = scalar<number>(db, 'SELECT count(*) FROM sync_runs')
    const cli = await runCli(['sync', '--db', db, '--cache-dir', changed, '--mode', 'sequential', '--dry-run', '--json'])
    expect(cli.code).toBe(0)
    const out = JSON.parse(cli.stdout) as { dryRun: boolean; runId: number | null; records: { inserted: number; updated: number } }
    expect(out.dryRun).toBe(true)
    expect(out.runId).toBeNull()
    expect(out.records.inserted + out.records.updated).toBeGreaterThan(0)
    expect(fileSha256(db)).toBe(bytes)
    expect(scalar<number>(db, 'SELECT count(*) FROM sync_runs')).toBe(runs)
  })

  it('against a database that does not exist yet, creates no database file', async () => {
    const cacheDir = join(tmp(), 'a')
    const dbDir = join(tmp(), 'fresh')
    mkdirSync(dbDir)
    const report = await runSync(testConfig({ db: join(dbDir, 'new.db'), cacheDir, mode: 'sequential' }), { dryRun: true })
    expect(report.ok).toBe(true)
    expect(report.records.inserted).toBe(3_000)
    expect(readdirSync(dbDir)).toEqual([])
  })
})
