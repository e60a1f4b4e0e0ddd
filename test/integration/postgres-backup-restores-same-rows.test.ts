import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { backupSink } from '../../src/sink/backup-sink.js'
import { testConfig } from '../helpers/config.js'
import { DMR_TABLES } from '../helpers/database.js'
import { type PostgresCluster, usePostgres } from '../helpers/postgres-cluster.js'
import { runCli } from '../helpers/run-cli.js'
import { pgChecksums } from '../helpers/sink-checksum.js'
import { requireTools } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'

interface BackupJson {
  ok: boolean
  db: string
  path: string
  bytes: number
  ms: number
  integrity: string
  pruned: string[]
}

/** What a dump holds as pg_restore lists it: `TABLE public rptrs`, `TABLE DATA public rptrs`, … */
function listed(path: string): string[] {
  return execFileSync('pg_restore', ['--list', path], { encoding: 'utf8' })
    .split('\n')
    .flatMap((line) => /^\d+; \d+ \d+ (TABLE DATA|TABLE) (\S+) (\S+) /.exec(line)?.slice(1, 4).join(' ') ?? [])
}

/** Restores a dump into a new database the way the README says, failing on the first error. */
function restore(cluster: PostgresCluster, dump: string, database: string): void {
  cluster.createDatabase(database)
  execFileSync('pg_restore', ['--clean', '--if-exists', '--exit-on-error', `--dbname=${cluster.url(database)}`, dump], { stdio: 'pipe' })
}

const runsOf = (cluster: PostgresCluster, database: string, schema: string): string =>
  cluster.psql(`SELECT count(*) || ' runs, last ' || max(id) FROM "${schema}".sync_runs`, database)

describe('`cachesync backup` of a PostgreSQL sink', requireTools('initdb', 'pg_ctl', 'postgres', 'psql', 'pg_dump', 'pg_restore'), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  const url = (): string => pg.cluster().url('live')

  beforeAll(async () => {
    pg.cluster().createDatabase('live')
    // Not cachesync's: a backup of the sink's schema leaves it out.
    pg.cluster().psql('CREATE SCHEMA other; CREATE TABLE other.notes (id int); INSERT INTO other.notes VALUES (1)', 'live')
    await generateDmrCache({ records: 3_000, cacheDir: cache(), seed: 5 })
    const synced = await runCli(['sync', '--sink', url(), '--cache-dir', cache(), '--json', '--log-level', 'warn'])
    expect(synced.code, synced.stderr).toBe(0)
  })

  it('writes a pg_dump of the schema beside the cache directory that pg_restore lists and restores with the same rows', async () => {
    const cli = await runCli(['backup', '--sink', url(), '--cache-dir', cache(), '--json'])
    expect(cli.code, cli.stderr).toBe(0)
    const out = JSON.parse(cli.stdout) as BackupJson
    // The same shape as a SQLite backup's.
    expect(Object.keys(out).sort()).toEqual(['bytes', 'db', 'integrity', 'ms', 'ok', 'path', 'pruned'])
    expect(out).toMatchObject({ ok: true, db: url(), integrity: 'ok', pruned: [] })
    expect(out.ms).toBeGreaterThan(0)
    expect(dirname(out.path)).toBe(join(tmp(), 'backups'))
    expect(basename(out.path)).toMatch(/^live\.public-\d{8}T\d{6}Z\.dump$/)
    expect(out.bytes).toBe(statSync(out.path).size)
    // Nothing half-written left beside it.
    expect(readdirSync(dirname(out.path))).toEqual([basename(out.path)])

    const entries = listed(out.path)
    for (const table of ['sync_runs', 'sync_rejects', 'sync_sources', 'sync_checkpoints', ...DMR_TABLES]) {
      expect(entries, table).toContain(`TABLE public ${table}`)
      expect(entries, table).toContain(`TABLE DATA public ${table}`)
    }
    expect(entries.filter((entry) => entry.includes('other'))).toEqual([])

    restore(pg.cluster(), out.path, 'restored')
    expect(pgChecksums(pg.cluster(), 'restored', 'public', DMR_TABLES)).toEqual(pgChecksums(pg.cluster(), 'live', 'public', DMR_TABLES))
    expect(runsOf(pg.cluster(), 'restored', 'public')).toBe(runsOf(pg.cluster(), 'live', 'public'))
  })

  it('keeps the newest N by the time in their names, and never touches another file', async () => {
    const dir = join(tmp(), 'retention')
    const config = testConfig({ db: join(tmp(), 'unused.db'), cacheDir: cache(), sink: url() })
    const foreign = ['live.public-20200101T000000Z.dump.bak', 'live.other-20200101T000000Z.dump', 'notes.txt']
    const taken: string[] = []
    for (const [i, hour] of [12, 10, 14, 16].entries()) {
      const result = await backupSink(config, { toDir: dir, keep: 2, now: new Date(Date.UTC(2026, 10, 24, hour)) })
      if (i === 0) for (const name of foreign) writeFileSync(join(dir, name), name)
      taken.push(basename(result.path))
      expect(result.integrity).toBe('ok')
      // 10:00 is older than 12:00, taken before it: it is the one to go when 14:00 comes.
      expect(
        result.pruned.map((p) => basename(p)),
        `backup at ${hour}:00`,
      ).toEqual([[], [], ['live.public-20261124T100000Z.dump'], ['live.public-20261124T120000Z.dump']][i])
    }
    expect(readdirSync(dir).sort()).toEqual([...foreign, 'live.public-20261124T140000Z.dump', 'live.public-20261124T160000Z.dump'].sort())

    const cli = await runCli(['backup', '--sink', url(), '--to', dir, '--keep', '1', '--json'])
    expect(cli.code, cli.stderr).toBe(0)
    const out = JSON.parse(cli.stdout) as BackupJson
    expect(out.pruned.map((p) => basename(p)).sort()).toEqual(['live.public-20261124T140000Z.dump', 'live.public-20261124T160000Z.dump'])
    expect(readdirSync(dir).sort()).toEqual([...foreign, basename(out.path)].sort())
  })

  it('`sync --backup-before` dumps the schema as it was before the sync wrote, and skips a schema with nothing yet', async () => {
    pg.cluster().createDatabase('before')
    const base = join(tmp(), 'b', 'base')
    const changed = join(tmp(), 'b', 'changed')
    await generateDmrCache({ records: 2_000, cacheDir: base, seed: 9 })
    await generateDmrCache({ records: 2_000, cacheDir: changed, seed: 9, changeRate: 0.05 })
    // A schema name that pg_dump would fold to lower case, were it not quoted.
    const sync = (cacheDir: string) =>
      runCli(['sync', '--sink', pg.cluster().url('before'), '--schema', 'Ops', '--cache-dir', cacheDir, '--backup-before', '--json', '--log-level', 'warn'])

    const first = await sync(base)
    expect(first.code, first.stderr).toBe(0)
    expect((JSON.parse(first.stdout) as { backup: unknown }).backup).toBeNull()
    expect(existsSync(join(tmp(), 'b', 'backups'))).toBe(false)
    const beforeSecond = pgChecksums(pg.cluster(), 'before', 'Ops', DMR_TABLES)

    const second = await sync(changed)
    expect(second.code, second.stderr).toBe(0)
    const report = JSON.parse(second.stdout) as { backup: { path: string; ms: number } | null; records: { inserted: number; updated: number } }
    expect(report.records.inserted + report.records.updated).toBeGreaterThan(0)
    const dump = report.backup?.path as string
    expect(dirname(dump)).toBe(join(tmp(), 'b', 'backups'))
    expect(basename(dump)).toMatch(/^before\.Ops-\d{8}T\d{6}Z\.dump$/)
    expect(listed(dump)).toContain('TABLE DATA Ops sync_runs')

    restore(pg.cluster(), dump, 'before_restored')
    expect(pgChecksums(pg.cluster(), 'before_restored', 'Ops', DMR_TABLES)).toEqual(beforeSecond)
    expect(pgChecksums(pg.cluster(), 'before', 'Ops', DMR_TABLES)).not.toEqual(beforeSecond)
  })
})
