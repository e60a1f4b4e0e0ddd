import { appendFileSync, existsSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { diffSource, expectedCounts } from '../helpers/change-set.js'
import { MODES, type Mode } from '../helpers/config.js'
import { checksumAll, DMR_TABLES, fileSha256, query } from '../helpers/database.js'
import { integrityCheck, newestRun, rowCounts } from '../helpers/db-checks.js'
import { waitWhileRunning } from '../helpers/kill.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import type { CountsJson, ReportJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * Issue 4, promise 5, from the CLI: `sync --dry-run --json` reports exactly what the real run then
 * applies. `dry-run-writes-nothing.test.ts` checks the library call on a cleanly closed database; here
 * the CLI's JSON, what the real run records in `sync_runs`, rejected records, a second dry run, and a
 * database that a killed sync left with a WAL full of committed pages.
 */

const RECORDS = 20_000
const SEED = 77

async function syncJson(args: string[]): Promise<ReportJson> {
  const cli = await runCli(['sync', ...args, '--json'])
  expect(cli.code, cli.stderr).toBe(0)
  return JSON.parse(cli.stdout) as ReportJson
}

const perSource = (report: ReportJson): [string, string, CountsJson][] => report.sources.map((s) => [s.name, s.state, s.records])

/** The counts the real run recorded in its own `sync_runs` row. */
function recordedCounts(db: string, runId: number): CountsJson | undefined {
  return query<CountsJson>(db, 'SELECT records_read AS read, inserted, updated, unchanged, deleted, rejected FROM sync_runs WHERE id = ?', runId)[0]
}

describe.each(MODES)('`sync --dry-run --json` tells the truth (%s mode)', (mode: Mode) => {
  const tmp = useTempDir()
  const base = (): string => join(tmp(), 'base')
  const changed = (): string => join(tmp(), 'changed')
  const db = (): string => join(tmp(), 'sync.db')
  const args = (cacheDir: string): string[] => ['--mode', mode, '--db', db(), '--cache-dir', cacheDir]

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: base(), seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: changed(), seed: SEED, changeRate: 0.02 })
    expect((await syncJson(args(base()))).ok).toBe(true)
  })

  it('its counts per source are those of the change set and of the real run, which records them in sync_runs', async () => {
    const bytes = { db: fileSha256(db()), wal: fileSha256(`${db()}-wal`) }
    const dry = await syncJson([...args(changed()), '--dry-run'])
    // A second dry run sees the very same database: the first one left nothing behind that counts.
    const again = await syncJson([...args(changed()), '--dry-run'])
    expect({ db: fileSha256(db()), wal: fileSha256(`${db()}-wal`) }).toEqual(bytes)
    const real = await syncJson(args(changed()))

    expect(dry.dryRun).toBe(true)
    expect(dry.runId).toBeNull()
    expect(perSource(again)).toEqual(perSource(dry))
    expect(perSource(dry)).toEqual(perSource(real))
    expect(dry.records).toEqual(real.records)
    for (const table of DMR_TABLES) {
      const expected = expectedCounts(diffSource(base(), changed(), table))
      expect(expected.inserted + expected.updated + expected.deleted, `${table}: the change set touches it`).toBeGreaterThan(0)
      expect(dry.sources.find((s) => s.name === table)?.records, table).toEqual(expected)
    }
    expect(real.runId).toEqual(expect.any(Number))
    expect(recordedCounts(db(), real.runId as number)).toEqual(dry.records)
  })

  it('counts rejected records as the real run does, and keeps none of them', async () => {
    const rejecting = join(tmp(), 'rejecting')
    await generateDmrCache({ records: RECORDS, cacheDir: rejecting, seed: SEED, changeRate: 0.04 })
    // Three records the mapping must reject; the meta file no longer describes the file.
    appendFileSync(join(rejecting, 'users.ndjson'), '{"radio_id": "not a number", "callsign": "X"}\n{not json at all\n[1, 2, 3]\n')
    rmSync(join(rejecting, 'users.meta.json'))
    const rejectsBefore = query<{ n: number }>(db(), 'SELECT count(*) AS n FROM sync_rejects')[0]?.n
    const bytes = fileSha256(db())

    const dry = await syncJson([...args(rejecting), '--dry-run'])
    expect(fileSha256(db())).toBe(bytes)
    expect(query<{ n: number }>(db(), 'SELECT count(*) AS n FROM sync_rejects')[0]?.n).toBe(rejectsBefore)
    const real = await syncJson(args(rejecting))

    expect(dry.sources.find((s) => s.name === 'users')?.records.rejected).toBe(3)
    expect(perSource(dry)).toEqual(perSource(real))
    expect(recordedCounts(db(), real.runId as number)).toEqual(dry.records)
  })
})

describe('a dry run over the database a killed sync left', () => {
  const tmp = useTempDir()

  it('counts what the next real run applies, and leaves the database and its WAL byte for byte', async () => {
    const base = join(tmp(), 'base')
    const changed = join(tmp(), 'changed')
    const db = join(tmp(), 'killed.db')
    await generateDmrCache({ records: 60_000, cacheDir: base, seed: SEED })
    await generateDmrCache({ records: 60_000, cacheDir: changed, seed: SEED, changeRate: 0.3 })
    const args = (cacheDir: string): string[] => ['--mode', 'streaming', '--chunk', '500', '--db', db, '--cache-dir', cacheDir]
    await syncJson(args(base))
    const before = rowCounts(db, DMR_TABLES)

    // Kill a sync of the change set once its first chunks are committed: the WAL holds them, the
    // database file does not yet.
    const child = spawnCli(['sync', ...args(changed)])
    const done = finished(child)
    const sawChange = await waitWhileRunning(
      child,
      () => existsSync(`${db}-wal`) && statSync(`${db}-wal`).size > 0 && rowCounts(db, ['users']).users !== before.users,
    )
    child.kill('SIGKILL')
    const killed = await done
    expect(sawChange, `the sync ended before it committed a change:\n${killed.stderr}`).toBe(true)
    expect(killed.signal).toBe('SIGKILL')
    expect(integrityCheck(db)).toEqual(['ok'])
    expect(newestRun(db)?.outcome).toBe('running')
    expect(statSync(`${db}-wal`).size, 'a WAL with committed pages').toBeGreaterThan(0)
    const tables = checksumAll(db)
    const bytes = { db: fileSha256(db), wal: fileSha256(`${db}-wal`) }

    const dry = await syncJson([...args(changed), '--dry-run'])
    expect({ db: fileSha256(db), wal: fileSha256(`${db}-wal`) }).toEqual(bytes)
    expect(checksumAll(db)).toEqual(tables)
    const real = await syncJson(args(changed))

    expect(dry.dryRun).toBe(true)
    expect(perSource(dry)).toEqual(perSource(real))
    expect(dry.records).toEqual(real.records)
    expect(real.records.inserted + real.records.updated + real.records.deleted).toBeGreaterThan(0)
    expect(recordedCounts(db, real.runId as number)).toEqual(dry.records)
  })
})
