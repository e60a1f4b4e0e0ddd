import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { runSync } from '../../src/index.js'
import { testConfig } from '../helpers/config.js'
import { usePostgres } from '../helpers/postgres-cluster.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { requireTools, toolPath } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { writeTool } from '../helpers/write-tool.js'

describe('`cachesync backup` of a PostgreSQL sink without pg_dump on the PATH', () => {
  const tmp = useTempDir()

  it('exit 1, naming the Debian package, before any connection is tried', async () => {
    const empty = join(tmp(), 'empty-bin')
    mkdirSync(empty)
    // Port 1: nothing listens there; the error must be about pg_dump, not the connection.
    const cli = await runCli(['backup', '--sink', 'postgres://me:pw@127.0.0.1:1/app', '--to', join(tmp(), 'backups')], { PATH: empty })
    expect(cli.code).toBe(1)
    expect(cli.stderr).toBe(
      "cachesync: pg_dump is not on the PATH: a backup of a PostgreSQL sink runs pg_dump and pg_restore, of the server's major version or newer; " +
        'install them with the Debian package postgresql-client (apt-get install postgresql-client), or put their directory on the PATH\n',
    )
    expect(existsSync(join(tmp(), 'backups'))).toBe(false)
  })
})

describe('`cachesync backup` of a PostgreSQL sink: what pg_dump says', requireTools('initdb', 'pg_ctl', 'postgres', 'psql', 'pg_dump', 'pg_restore'), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  // Looked up when a test runs: the body of a skipped describe still runs where pg_dump is missing.
  const realPgDump = (): string => toolPath('pg_dump') as string
  /** A PATH whose pg_dump is `script`, the rest (pg_restore) as on this machine. */
  const pathWith = (name: string, script: string): string => `${writeTool(join(tmp(), name), 'pg_dump', script)}:${process.env.PATH}`

  beforeAll(async () => {
    pg.cluster().createDatabase('tools')
    await generateDmrCache({ records: 300, cacheDir: join(tmp(), 'cache'), seed: 2 })
    const report = await runSync(testConfig({ db: join(tmp(), 'unused.db'), cacheDir: join(tmp(), 'cache'), sink: pg.cluster().url('tools') }))
    expect(report.ok).toBe(true)
  })

  it("a pg_dump older than the server: exit 1, pg_dump's own words on one line, and which client to install", async () => {
    const major = pg.cluster().psql("SELECT current_setting('server_version_num')::int / 10000")
    const version = pg.cluster().psql('SHOW server_version')
    const path = pathWith(
      'old-bin',
      `echo "pg_dump: error: aborting because of server version mismatch" >&2
echo "pg_dump: detail: server version: ${version}; pg_dump version: 14.11" >&2
exit 1`,
    )
    const to = join(tmp(), 'old')
    const cli = await runCli(['backup', '--sink', pg.cluster().url('tools'), '--to', to], { PATH: path })
    expect(cli.code).toBe(1)
    expect(cli.stderr).toBe(
      `cachesync: pg_dump cannot back up ${pg.cluster().url('tools')}: pg_dump: error: aborting because of server version mismatch; ` +
        `pg_dump: detail: server version: ${version}; pg_dump version: 14.11; ` +
        `install the client tools of PostgreSQL ${major} or newer (Debian: postgresql-client-${major}) and put them first on the PATH\n`,
    )
    expect(readdirSync(to)).toEqual([])
  })

  it("pg_dump's own permission denied: exit 1, the role, the table and the GRANT", async () => {
    const path = pathWith(
      'denied-bin',
      `echo "pg_dump: error: query failed: ERROR:  permission denied for table rptrs" >&2
echo "pg_dump: detail: Query was: LOCK TABLE public.rptrs IN ACCESS SHARE MODE" >&2
exit 1`,
    )
    const cli = await runCli(['backup', '--sink', pg.cluster().url('tools'), '--to', join(tmp(), 'denied')], { PATH: path })
    expect(cli.code).toBe(1)
    expect(cli.stderr).toBe(
      `cachesync: role "postgres" lacks SELECT on table "public.rptrs" of ${pg.cluster().url('tools')}, which pg_dump needs: ` +
        'grant it with GRANT SELECT ON TABLE public.rptrs TO postgres\n',
    )
    expect(cli.stderr).not.toMatch(STACK_LINE)
  })

  it("the URL's password reaches pg_dump in its environment, never on its command line", async () => {
    const password = 'pa:ss w@rd'
    const cluster = pg.cluster()
    cluster.psql(`SET password_encryption = 'scram-sha-256'; CREATE ROLE keeper LOGIN PASSWORD '${password}'`)
    cluster.psql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO keeper; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO keeper', 'tools')
    // The cluster trusts every local connection: this role alone must give its password.
    const hba = join(cluster.dir, 'data', 'pg_hba.conf')
    writeFileSync(hba, `host all keeper 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`)
    cluster.psql('SELECT pg_reload_conf()')
    const log = join(tmp(), 'pg_dump.log')
    const path = pathWith(
      'logging-bin',
      `echo "argv: $*" >> ${log}
echo "PGPASSWORD set: \${PGPASSWORD:+yes}" >> ${log}
exec ${realPgDump()} "$@"`,
    )
    const withPassword = `postgres://keeper:${encodeURIComponent(password)}@127.0.0.1:${cluster.port}/tools`
    const cli = await runCli(['backup', '--sink', withPassword, '--to', join(tmp(), 'kept'), '--json'], { PATH: path })
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true, db: `postgres://keeper:***@127.0.0.1:${cluster.port}/tools` })
    const logged = readFileSync(log, 'utf8')
    expect(logged).toContain('--schema="public"')
    // Never a prompt that no one under cron would answer.
    expect(logged).toContain('--no-password')
    expect(logged).toContain('PGPASSWORD set: yes')
    expect(logged).not.toContain('pa:ss')
    expect(logged).not.toContain(encodeURIComponent(password))
  })
})
