import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { MODES } from '../helpers/config.js'
import { DMR_TABLES } from '../helpers/database.js'
import { killAfter, waitWhileRunning } from '../helpers/kill.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { pgChecksums } from '../helpers/sink-checksum.js'
import type { ReportJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 40_000
const DB = 'resume'

/**
 * A sync into PostgreSQL killed with SIGKILL once it committed a chunk keeps its committed chunks and
 * their checkpoint; the next sync resumes after them, and the tables end as an uninterrupted run leaves them.
 */
describe('resume after SIGKILL, PostgreSQL sink', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  const sync = (schema: string, mode: string): string[] => [
    'sync',
    '--sink',
    pg.cluster().url(DB),
    '--schema',
    schema,
    '--cache-dir',
    cache(),
    '--mode',
    mode,
    '--chunk',
    '500',
    '--workers',
    '2',
    '--json',
    '--no-progress',
  ]

  beforeAll(async () => {
    pg.cluster().createDatabase(DB)
    await generateDmrCache({ records: RECORDS, cacheDir: cache(), seed: 9 })
    const reference = await runCli(sync('uninterrupted', 'sequential'))
    expect(reference.code, reference.stderr).toBe(0)
  })

  for (const mode of MODES) {
    it(`${mode}: killed after its first commits, resumed, equal to an uninterrupted run`, async () => {
      const schema = `killed_${mode}`
      const committed = (): number => Number(pg.cluster().psql(`SELECT coalesce(sum(records_done), 0) FROM ${schema}.sync_checkpoints`, DB) || '0')
      const child = spawnCli(sync(schema, mode))
      const done = finished(child)
      const sawCommit = await waitWhileRunning(child, () => committed() > 0, 10)
      killAfter(child, 0)
      const killed = await done
      // A run too quick to be caught proves nothing: the test must have killed it mid-way.
      expect(sawCommit, killed.stderr).toBe(true)
      expect(killed.signal).toBe('SIGKILL')
      const kept = committed()
      expect(kept).toBeGreaterThan(0)
      expect(pg.cluster().psql(`SELECT outcome FROM ${schema}.sync_runs`, DB)).toBe('running')

      const resumed = await runCli(sync(schema, mode))
      expect(resumed.code, resumed.stderr).toBe(0)
      const json = JSON.parse(resumed.stdout) as ReportJson
      const resumedRecords = json.sources.reduce((sum, s) => sum + Number(s.resumedRecords), 0)
      expect(resumedRecords).toBeGreaterThanOrEqual(kept)
      expect(json.records.deleted).toBe(0)
      expect(pg.cluster().psql(`SELECT string_agg(outcome, ',' ORDER BY id) FROM ${schema}.sync_runs`, DB)).toBe('interrupted,ok')
      expect(pg.cluster().psql(`SELECT count(*) FROM ${schema}.sync_checkpoints`, DB)).toBe('0')
      expect(pgChecksums(pg.cluster(), DB, schema, DMR_TABLES)).toEqual(pgChecksums(pg.cluster(), DB, 'uninterrupted', DMR_TABLES))
    })
  }
})
