import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { DMR_TABLES } from '../helpers/database.js'
import { waitWhileRunning } from '../helpers/kill.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { finished, runCli, STACK_LINE, spawnCli } from '../helpers/run-cli.js'
import { type Checksums, pgChecksums } from '../helpers/sink-checksum.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 40_000
const DB = 'shared'

/** What the server says as it ends the sessions; a connection tried during a fast shutdown is told 57P03. */
const REASONS = {
  immediate: 'terminating connection due to immediate shutdown command (57P01)',
  fast: 'terminating connection due to administrator command (57P01)',
  terminated: 'terminating connection due to administrator command (57P01)',
  shuttingDown: 'the database system is shutting down (57P03)',
} as const

/**
 * The PostgreSQL server stopped (or the run's lock session ended by an administrator) under a running
 * sync: the sync exits 1 with one line that names the server, credentials masked, and the reason; no
 * stack. The run is recorded as not ok, and the next sync resumes and ends as an uninterrupted one.
 */
describe('PostgreSQL stopped under a running sync', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  // A password in the URL, so that the line is seen to mask it (the cluster trusts local connections).
  const url = (): string => `postgres://app:s3cret@127.0.0.1:${pg.cluster().port}/${DB}`
  const shown = (): string => `postgres://app:***@127.0.0.1:${pg.cluster().port}/${DB}`
  const sync = (schema: string, mode: string): string[] => [
    'sync',
    '--sink',
    url(),
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
    '--log-level',
    'warn',
    '--no-progress',
  ]
  const psql = (sql: string): string => pg.cluster().psql(sql, DB)
  let uninterrupted: Checksums = {}
  const committed = (schema: string): number => Number(psql(`SELECT coalesce(sum(records_done), 0) FROM ${schema}.sync_checkpoints`) || '0')

  beforeAll(async () => {
    pg.cluster().psql("CREATE ROLE app LOGIN PASSWORD 's3cret'")
    pg.cluster().psql(`CREATE DATABASE ${DB} OWNER app`)
    await generateDmrCache({ records: RECORDS, cacheDir: cache(), seed: 13 })
    const reference = await runCli(sync('uninterrupted', 'sequential'))
    expect(reference.code, reference.stderr).toBe(0)
    uninterrupted = pgChecksums(pg.cluster(), DB, 'uninterrupted', DMR_TABLES)
  })

  /** Starts a sync and returns once it has committed a chunk, with what it printed and how it ended. */
  async function syncUntilCommitted(schema: string, mode: string): Promise<{ done: ReturnType<typeof finished>; stillRunning: boolean }> {
    const child = spawnCli(sync(schema, mode))
    const done = finished(child)
    const stillRunning = await waitWhileRunning(child, () => committed(schema) > 0, 10)
    return { done, stillRunning }
  }

  /** The one line a failed run leaves on stderr, with nothing else there. */
  function expectOneLine(stderr: string, reasons: readonly string[]): void {
    expect(stderr).not.toMatch(STACK_LINE)
    expect(stderr).not.toMatch(/bug/i)
    expect(stderr).not.toContain('s3cret')
    const lines = stderr.trimEnd().split('\n')
    expect(lines, stderr).toHaveLength(1)
    expect(reasons.map((reason) => `cachesync: lost the connection to ${shown()}: ${reason}`)).toContain(lines[0])
  }

  /** The next sync resumes after the committed chunks and leaves the tables as an uninterrupted run. */
  async function expectResumedAsUninterrupted(schema: string, mode: string, killedRun: string[]): Promise<void> {
    const resumed = await runCli(sync(schema, mode))
    expect(resumed.code, resumed.stderr).toBe(0)
    const outcomes = psql(`SELECT string_agg(outcome, ',' ORDER BY id) FROM ${schema}.sync_runs`).split(',')
    expect(killedRun).toContain(outcomes[0])
    expect(outcomes.slice(1)).toEqual(['ok'])
    expect(psql(`SELECT count(*) FROM ${schema}.sync_checkpoints`)).toBe('0')
    expect(pgChecksums(pg.cluster(), DB, schema, DMR_TABLES)).toEqual(uninterrupted)
  }

  const stops = [
    { mode: 'streaming', stop: 'immediate' },
    { mode: 'sequential', stop: 'immediate' },
    { mode: 'parallel', stop: 'immediate' },
    { mode: 'parallel', stop: 'fast' },
  ] as const
  for (const { mode, stop } of stops) {
    it(`${mode}, pg_ctl stop -m ${stop}: exit 1 and one line; resumed once the server is back`, async () => {
      const schema = `stopped_${mode}_${stop}`
      const { done, stillRunning } = await syncUntilCommitted(schema, mode)
      pg.cluster().stopServer(stop)
      const stopped = await done
      pg.cluster().startServer()
      // A run that ended before the server did proves nothing: the stop must have come mid-way.
      expect(stillRunning, stopped.stderr).toBe(true)
      expect(stopped.signal).toBeNull()
      expect(stopped.code, stopped.stderr).toBe(1)
      expectOneLine(stopped.stderr, [REASONS[stop], REASONS.shuttingDown])
      // Nothing could record the run while the server was down: it is still `running` until the next sync.
      expect(psql(`SELECT outcome FROM ${schema}.sync_runs`)).toBe('running')
      await expectResumedAsUninterrupted(schema, mode, ['interrupted'])
    })
  }

  it('streaming, its lock session ended by pg_terminate_backend: the run stops, recorded failed', async () => {
    const schema = 'lock_session_ended'
    const { done, stillRunning } = await syncUntilCommitted(schema, 'streaming')
    // The session that holds the source locks is the one that recorded its backend in sync_runs.
    psql(`SELECT pg_terminate_backend(backend_pid) FROM ${schema}.sync_runs WHERE outcome = 'running'`)
    const stopped = await done
    expect(stillRunning, stopped.stderr).toBe(true)
    expect(stopped.code, stopped.stderr).toBe(1)
    expectOneLine(stopped.stderr, [REASONS.terminated])
    // The server is up: the run records its own failure, and why.
    expect(psql(`SELECT outcome || ': ' || error FROM ${schema}.sync_runs`)).toBe('failed: terminating connection due to administrator command')
    await expectResumedAsUninterrupted(schema, 'streaming', ['failed'])
  })
})
