import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { runSync } from '../../src/index.js'
import { createPgPool } from '../../src/sink/postgres/pg-driver.js'
import { translatePgError } from '../../src/sink/postgres/pg-errors.js'
import { testConfig } from '../helpers/config.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { type CliResult, runCli, STACK_LINE } from '../helpers/run-cli.js'
import { requireTools } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'

/** Exit 1 and exactly `message` on stderr: no stack, no "bug" banner, nothing else. */
function expectRefused(cli: CliResult, message: string): void {
  expect(cli.code, cli.stderr).toBe(1)
  expect(cli.stderr).toBe(`cachesync: ${message}\n`)
  expect(cli.stderr).not.toMatch(STACK_LINE)
  expect(cli.stdout).toBe('')
}

describe('a PostgreSQL role without a privilege cachesync needs is told which, on what, and the GRANT', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const base = (): string => join(tmp(), 'base')
  const changed = (): string => join(tmp(), 'changed')
  const url = (role: string, database: string): string => `postgres://${role}@127.0.0.1:${pg.cluster().port}/${database}`
  const sync = (sink: string, cacheDir: string): Promise<CliResult> =>
    runCli(['sync', '--sink', sink, '--cache-dir', cacheDir, '--json', '--log-level', 'error'])

  beforeAll(async () => {
    await generateDmrCache({ records: 600, cacheDir: base(), seed: 4 })
    await generateDmrCache({ records: 600, cacheDir: changed(), seed: 4, changeRate: 0.1 })
    const cluster = pg.cluster()
    for (const role of ['reader', 'writer', 'watcher', 'outsider']) cluster.psql(`CREATE ROLE ${role} LOGIN`)
    for (const database of ['fresh', 'shared', 'locked']) cluster.createDatabase(database)
    // Tables that the owner's syncs made; other roles get privileges on them, or not.
    const report = await runSync(testConfig({ db: join(tmp(), 'unused.db'), cacheDir: base(), sink: cluster.url('shared') }))
    expect(report.ok).toBe(true)
    cluster.psql('REVOKE CONNECT ON DATABASE locked FROM PUBLIC')
  })

  it('no CREATE on the schema (the default for public since PostgreSQL 15): exit 1, nothing created', async () => {
    // The password is masked in the message, as everywhere.
    const cli = await sync(`postgres://reader:s3cret@127.0.0.1:${pg.cluster().port}/fresh`, base())
    expectRefused(
      cli,
      `role "reader" lacks CREATE on schema "public" of postgres://reader:***@127.0.0.1:${pg.cluster().port}/fresh: grant it with GRANT CREATE ON SCHEMA public TO reader`,
    )
    expect(pg.cluster().psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", 'fresh')).toBe('0')
  })

  it('no SELECT and INSERT on an existing table of another owner: exit 1; once granted, a role with only DML privileges syncs', async () => {
    const cluster = pg.cluster()
    cluster.psql(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO writer;
       GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO writer;
       REVOKE SELECT, INSERT ON public.rptrs FROM writer`,
      'shared',
    )
    const before = cluster.psql('SELECT count(*) FROM public.sync_runs', 'shared')
    const refused = await sync(url('writer', 'shared'), changed())
    expectRefused(
      refused,
      `role "writer" lacks SELECT, INSERT on table "public.rptrs" of ${url('writer', 'shared')}: grant them with GRANT SELECT, INSERT ON TABLE public.rptrs TO writer`,
    )
    // Refused before the run began: no run recorded.
    expect(cluster.psql('SELECT count(*) FROM public.sync_runs', 'shared')).toBe(before)

    cluster.psql('GRANT SELECT, INSERT ON public.rptrs TO writer', 'shared')
    const synced = await sync(url('writer', 'shared'), changed())
    expect(synced.code, synced.stderr).toBe(0)
    const report = JSON.parse(synced.stdout) as { ok: boolean; records: { inserted: number; updated: number; deleted: number } }
    expect(report.ok).toBe(true)
    expect(report.records.inserted + report.records.updated + report.records.deleted).toBeGreaterThan(0)
    // cachesync issued no DDL: every table still belongs to its owner.
    expect(cluster.psql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'", 'shared')).toBe('postgres')
  })

  it('no CONNECT on the database: exit 1, naming it', async () => {
    const cli = await sync(url('outsider', 'locked'), base())
    expectRefused(
      cli,
      `role "outsider" lacks CONNECT on database "locked" of ${url('outsider', 'locked')}: grant it with GRANT CONNECT ON DATABASE locked TO outsider`,
    )
  })

  it('no SELECT on sync_runs, as a reader of the run history meets it: the same kind of message', async () => {
    const pool = createPgPool({ url: url('watcher', 'shared'), max: 1, applicationName: 'cachesync test' })
    const err = await pool.query('SELECT count(*) FROM public.sync_runs').then(
      () => undefined,
      (e: unknown) => e,
    )
    await pool.end()
    const translated = translatePgError(err, {
      display: url('watcher', 'shared'),
      schema: 'public',
      role: 'watcher',
      needs: { table: ['SELECT'] },
      purpose: 'cachesync status and history need',
    }) as Error & { code: string }
    expect(translated.code).toBe('ERR_PRIVILEGE')
    expect(translated.message).toBe(
      `role "watcher" lacks SELECT on table "public.sync_runs" of ${url('watcher', 'shared')}, which cachesync status and history need: ` +
        'grant it with GRANT SELECT ON TABLE public.sync_runs TO watcher',
    )
  })

  it('a backup by a role that cannot read a table: exit 1, before pg_dump runs', requireTools('pg_dump', 'pg_restore'), async () => {
    const cluster = pg.cluster()
    cluster.psql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO watcher; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO watcher', 'shared')
    cluster.psql('REVOKE SELECT ON public.users FROM watcher', 'shared')
    const cli = await runCli(['backup', '--sink', url('watcher', 'shared'), '--to', join(tmp(), 'backups')])
    expectRefused(
      cli,
      `role "watcher" lacks SELECT on table "public.users" of ${url('watcher', 'shared')}, which pg_dump needs: grant it with GRANT SELECT ON TABLE public.users TO watcher`,
    )
  })
})
