import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { DMR_TABLES } from '../helpers/database.js'
import { waitWhileRunning } from '../helpers/kill.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { finished, runCli, STACK_LINE, spawnCli } from '../helpers/run-cli.js'
import { pgChecksums } from '../helpers/sink-checksum.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 40_000
const DB = 'watched'

/** What the server says as it stops at once; a connection tried during the shutdown is told 57P03. */
const REASONS = ['terminating connection due to immediate shutdown command (57P01)', 'the database system is shutting down (57P03)']

interface CycleJson {
  cycle: number
  sync: 'synced' | 'skipped' | 'failed' | 'stopped'
  error: string | null
  report: { ok: boolean } | null
}

/**
 * `sync --watch` whose PostgreSQL server is stopped in the middle of a sync: the cycle is logged as
 * failed and the loop goes on; once the server is back, a later cycle resumes the sync and succeeds.
 */
describe('sync --watch while the PostgreSQL server stops and comes back', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  const sink = (schema: string): string[] => ['--sink', pg.cluster().url(DB), '--schema', schema, '--cache-dir', cache()]
  const psql = (sql: string): string => pg.cluster().psql(sql, DB)

  beforeAll(async () => {
    pg.cluster().createDatabase(DB)
    await generateDmrCache({ records: RECORDS, cacheDir: cache(), seed: 17 })
    const reference = await runCli(['sync', ...sink('uninterrupted'), '--mode', 'streaming', '--chunk', '500', '--no-progress'])
    expect(reference.code, reference.stderr).toBe(0)
  })

  it('logs the failed cycle, keeps watching, and syncs once the server is back', async () => {
    const schema = 'watched'
    const child = spawnCli(['sync', '--watch', '--no-warm', '--interval', '1s', '--json', ...sink(schema), '--mode', 'streaming', '--chunk', '500'])
    const done = finished(child)
    let out = ''
    child.stdout?.on('data', (text: Buffer | string) => {
      out += String(text)
    })
    const cycles = (): CycleJson[] =>
      out
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line) as CycleJson)
    const committed = (): boolean => Number(psql(`SELECT coalesce(sum(records_done), 0) FROM ${schema}.sync_checkpoints`) || '0') > 0

    expect(await waitWhileRunning(child, committed, 10)).toBe(true)
    pg.cluster().stopServer('immediate')
    const sawFailure = await waitWhileRunning(child, () => cycles().some((c) => c.sync === 'failed'), 20)
    pg.cluster().startServer()
    expect(sawFailure, out).toBe(true)
    expect(await waitWhileRunning(child, () => cycles().some((c) => c.sync === 'synced'), 20), out).toBe(true)
    child.kill('SIGTERM')
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(result.stderr).toMatch(/"msg":"watch cycle failed in part"/)

    const all = cycles()
    const first = all[0]
    expect(first?.sync).toBe('failed')
    expect(REASONS.map((reason) => `lost the connection to ${pg.cluster().url(DB)}: ${reason}`)).toContain(first?.error)
    // While the server is down each cycle fails at once; the first after the restart resumes and succeeds.
    const synced = all.findIndex((c) => c.sync === 'synced')
    expect(all.slice(0, synced).every((c) => c.sync === 'failed')).toBe(true)
    expect(all[synced]?.report?.ok).toBe(true)
    expect(psql(`SELECT string_agg(outcome, ',' ORDER BY id) FROM ${schema}.sync_runs`)).toBe('interrupted,ok')
    expect(pgChecksums(pg.cluster(), DB, schema, DMR_TABLES)).toEqual(pgChecksums(pg.cluster(), DB, 'uninterrupted', DMR_TABLES))
  })
})
