import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ResolvedConfig } from '../../src/config/resolve-config.js'
import { runSync } from '../../src/engine/sync.js'
import { createPgPool } from '../../src/sink/postgres/pg-driver.js'
import { PgSession } from '../../src/sink/postgres/pg-session.js'
import { PgSourceSink, type PgSyncTables } from '../../src/sink/postgres/pg-source-sink.js'
import { testConfig } from '../helpers/config.js'
import { killAfter, waitWhileRunning } from '../helpers/kill.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * A first sync COPYs into its empty table, and no ANALYZE follows until its end. Killed before it, it
 * leaves a table full of rows the planner has no statistics for: it takes `_deleted_at IS NULL` to
 * match one row in 200, and the resumed run's merges, joining each staged chunk to the table on the
 * key, hashed the whole table for every chunk (its resume took 4 to 5 times as long as a fresh sync). The
 * staging table, never analyzed either, was taken for 10 pages of rows whatever the chunk. A merge
 * into such a table analyzes it first, and a staging table once filled. Autovacuum is off in this
 * cluster, and the syncs run with `--vacuum none`: whatever statistics there are, the merge made.
 */
const DB = 'planner'
const RECORDS = 20_000

describe('PostgreSQL: a merge into a table never analyzed analyzes it, and its staging table', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const psql = (sql: string): string => pg.cluster().psql(sql, DB).trim()
  const configFile = (): string => join(tmp(), 'items.json')
  const cacheDir = (): string => join(tmp(), 'cache')
  const config = (schema: string): ResolvedConfig =>
    testConfig({ db: join(tmp(), 'unused.db'), cacheDir: cacheDir(), mode: 'streaming', chunk: 100, sink: pg.cluster().url(DB), schema }, configFile())

  /** The planner's statistics of a table: pg_class's count, the columns pg_stats describes, and its estimate of the live rows. */
  function statistics(schema: string): { reltuples: number; columns: string; liveEstimate: number } {
    const plan = JSON.parse(psql(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${schema}.items WHERE _deleted_at IS NULL`)) as [{ Plan: { 'Plan Rows': number } }]
    return {
      reltuples: Number(psql(`SELECT reltuples FROM pg_class WHERE oid = '${schema}.items'::regclass`)),
      columns: psql(`SELECT coalesce(string_agg(attname, ',' ORDER BY attname), '') FROM pg_stats WHERE schemaname = '${schema}' AND tablename = 'items'`),
      liveEstimate: plan[0].Plan['Plan Rows'],
    }
  }

  beforeAll(() => {
    pg.cluster().createDatabase(DB)
    pg.cluster().psql('ALTER SYSTEM SET autovacuum = off')
    pg.cluster().psql('SELECT pg_reload_conf()')
    writeFileSync(configFile(), JSON.stringify({ sources: [{ name: 'items', key: 'id', columns: { id: 'integer', v: 'text' } }] }))
    mkdirSync(cacheDir())
    const lines = Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ id: i + 1, v: `value ${i + 1}` }))
    writeFileSync(join(cacheDir(), 'items.ndjson'), `${lines.join('\n')}\n`)
  })

  it('a first sync killed after a commit, resumed: the table has statistics of its key and _deleted_at, and the planner counts its live rows', async () => {
    const schema = 'resumed'
    const args = ['sync', '--sink', pg.cluster().url(DB), '--schema', schema, '--config', configFile(), '--cache-dir', cacheDir()]
    const sync = [...args, '--mode', 'streaming', '--chunk', '100', '--vacuum', 'none', '--json', '--no-progress', '--log-level', 'warn']
    const committed = (): boolean => Number(psql(`SELECT coalesce(sum(records_done), 0) FROM ${schema}.sync_checkpoints`) || '0') > 0
    const child = spawnCli(sync)
    const done = finished(child)
    const sawCommit = await waitWhileRunning(child, committed, 10)
    killAfter(child, 0)
    const killed = await done
    // A run too quick to be caught proves nothing: the test must have killed it mid-way.
    expect(sawCommit, killed.stderr).toBe(true)
    expect(killed.signal).toBe('SIGKILL')
    // What the killed run left: rows, and no statistics at all.
    const left = Number(psql(`SELECT count(*) FROM ${schema}.items`))
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThan(RECORDS)
    const before = statistics(schema)
    expect(before.columns).toBe('')
    expect(before.reltuples).toBeLessThanOrEqual(0)

    const resumed = await runCli(sync)
    expect(resumed.code, resumed.stderr).toBe(0)
    const report = JSON.parse(resumed.stdout) as { maintenance: string; sources: { resumedRecords: number }[] }
    expect(report.maintenance).toBe('none')
    expect(report.sources[0]?.resumedRecords).toBeGreaterThan(0)
    expect(Number(psql(`SELECT count(*) FROM ${schema}.items`))).toBe(RECORDS)
    const after = statistics(schema)
    expect(after.columns).toBe('_deleted_at,id')
    expect(after.reltuples).toBeGreaterThanOrEqual(left)
    expect(Number(psql(`SELECT null_frac FROM pg_stats WHERE schemaname = '${schema}' AND tablename = 'items' AND attname = '_deleted_at'`))).toBe(1)
    // Without statistics the estimate was a two-hundredth of the rows: now it is about all of them.
    expect(after.liveEstimate).toBeGreaterThan(RECORDS / 2)
    expect(after.liveEstimate).toBeLessThan(RECORDS * 2)
  })

  it('the staging table is analyzed once filled, in its first chunk; a later chunk finds its statistics', async () => {
    const schema = 'staged'
    const resolved = config(schema)
    expect((await runSync(resolved, { vacuum: 'none' })).ok).toBe(true)
    const before = statistics(schema)
    expect(before.columns).toBe('')
    expect(before.reltuples).toBeLessThanOrEqual(0)
    // The planner's guess for `_deleted_at IS NULL` without statistics: one row in 200.
    expect(before.liveEstimate).toBeLessThan(RECORDS / 100)

    // Inside each chunk's transaction, after its merge: the staging tables of the session, and the table.
    const seen: { stages: string; table: number }[] = []
    const tables: PgSyncTables = {
      async writeExtras(query) {
        const { rows } = await query<{ stages: string; table: number }>(
          `SELECT (SELECT string_agg(relname || ' ' || reltuples, ',') FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r') AS stages,
             (SELECT reltuples FROM pg_class WHERE oid = '${schema}.items'::regclass) AS "table"`,
        )
        seen.push(rows[0] as { stages: string; table: number })
      },
      async writeEnd() {},
    }
    const pool = createPgPool({ url: pg.cluster().url(DB), max: 2, applicationName: 'planner test' })
    const lockSession = await pool.connect()
    const session = await PgSession.open(pool, { dryRun: false, lockSession })
    try {
      const items = new PgSourceSink(session, tables, schema, resolved.sources[0] as ResolvedConfig['sources'][number], { rewrite: false })
      const chunk = (from: number, count: number) => {
        const rows = Array.from({ length: count }, (_, i) => [from + i, `changed ${from + i}`])
        return { kind: 'rows' as const, rows, hashes: rows.map((row) => createHash('sha256').update(String(row[1])).digest().subarray(0, 8)) }
      }
      const extras = { runId: undefined, clearRejects: false, rejects: [], checkpoint: undefined }
      expect(await items.writeChunk(chunk(1, 100), extras)).toMatchObject({ inserted: 0, updated: 100 })
      expect(await items.writeChunk(chunk(5_001, 300), extras)).toMatchObject({ inserted: 0, updated: 300 })
    } finally {
      lockSession.release()
      await pool.end()
    }
    // One connection: the first chunk made the staging table and analyzed it with its 100 rows; the second
    // chunk's 300 rows are estimated from its pages, with those statistics (it is not analyzed again).
    expect(seen).toEqual([
      { stages: 'cachesync_stage_items 100', table: RECORDS },
      { stages: 'cachesync_stage_items 100', table: RECORDS },
    ])
    expect(statistics(schema).columns).toBe('_deleted_at,id')
  })
})
