import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { beforeAll, type TestOptions } from 'vitest'
import { fileSha256, query } from './database.js'
import { requirePostgres, usePostgres } from './postgres-cluster.js'
import { type Checksums, pgChecksums, pgTableShapes, sqliteChecksums } from './sink-checksum.js'

/** The sinks every verb is tested on. */
export const SINK_KINDS = ['sqlite', 'postgres'] as const
export type SinkKind = (typeof SINK_KINDS)[number]

/** Options for a `describe` of a sink's tests: PostgreSQL's are skipped (or failed in strict mode) where it is not installed. */
export function requireSink(kind: SinkKind): TestOptions {
  return kind === 'postgres' ? requirePostgres() : {}
}

/** The PostgreSQL database the tests of a file use: each test database is a schema in it. */
const PG_DATABASE = 'cachesync'

/** A database of the sink under test: a SQLite file, or a schema of a throw-away PostgreSQL cluster. */
export interface TestDatabase {
  readonly kind: SinkKind
  /** The CLI arguments that point a command at it (`--db FILE`; nothing for PostgreSQL, see `env`). */
  readonly args: readonly string[]
  /** The environment that points a command at it (`CACHESYNC_SINK` and `CACHESYNC_SCHEMA` for PostgreSQL). */
  readonly env: Readonly<Record<string, string>>
  /** How cachesync names it: the file, or the URL. */
  readonly target: string
  /** The SQLite file; undefined on PostgreSQL. */
  readonly path: string | undefined
  /** The PostgreSQL schema; undefined on SQLite. */
  readonly schema: string | undefined
  /** Runs SQL on it (unqualified names are its tables); on PostgreSQL, creates the schema first. */
  exec(sql: string): void
  /** Rows of a query on its tables (unqualified names), as objects. */
  query<T = Record<string, unknown>>(sql: string): T[]
  /** The newest `sync_runs` row, or undefined when there is none (or no such table). */
  newestRun(): { id: number; outcome: string } | undefined
  /** A digest of everything in it: equal before and after means nothing was written. */
  fingerprint(): string
  /** The checksums of these tables, comparable across sinks (see `sink-checksum.ts`). */
  checksum(tables: readonly string[]): Checksums
  /** True when there is anything at all: the SQLite file, or the schema. */
  exists(): boolean
  /**
   * Makes it look as if a sync held it, started by `pid` on this host: a lock file, or a run `running`
   * whose session is alive (or gone, when `alive` is false). `end` takes it away.
   */
  fakeRunningSync(pid: number, alive: boolean): Promise<{ end(): Promise<void> }>
}

/**
 * Databases of one kind for a describe block, by name: `db('prod')` is `<tmp>/data/prod.db`, or the
 * schema `prod` of a PostgreSQL cluster started for the block.
 */
export function useTestSink(kind: SinkKind, tmp: () => string): (name: string) => TestDatabase {
  if (kind === 'sqlite') return (name) => sqliteDatabase(join(tmp(), 'data', `${name}.db`))
  const pgc = usePostgres()
  beforeAll(() => {
    pgc.cluster().createDatabase(PG_DATABASE)
  })
  return (name) => postgresDatabase(pgc.cluster(), name)
}

function sqliteDatabase(path: string): TestDatabase {
  return {
    kind: 'sqlite',
    args: ['--db', path],
    env: {},
    target: path,
    path,
    schema: undefined,
    exec: (sql) => {
      mkdirSync(dirname(path), { recursive: true })
      const db = new Database(path)
      try {
        db.exec(sql)
      } finally {
        db.close()
      }
    },
    query: <T>(sql: string) => query<T>(path, sql),
    newestRun: () => {
      if (!existsSync(path)) return undefined
      const tables = query<{ name: string }>(path, "SELECT name FROM sqlite_master WHERE name = 'sync_runs'")
      if (tables.length === 0) return undefined
      return query<{ id: number; outcome: string }>(path, 'SELECT id, outcome FROM sync_runs ORDER BY id DESC LIMIT 1')[0]
    },
    fingerprint: () => fileSha256(path),
    checksum: (tables) => sqliteChecksums(path, tables),
    exists: () => existsSync(path),
    fakeRunningSync: async (pid) => {
      writeFileSync(`${path}.lock`, JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }))
      return { end: async () => rmSync(`${path}.lock`, { force: true }) }
    },
  }
}

function postgresDatabase(cluster: ReturnType<ReturnType<typeof usePostgres>['cluster']>, schema: string): TestDatabase {
  const url = cluster.url(PG_DATABASE)
  const run = <T>(sql: string): T[] =>
    JSON.parse(cluster.psql(`SET search_path TO "${schema}"; SELECT coalesce(json_agg(t), '[]') FROM (${sql}) t`, PG_DATABASE)) as T[]
  const hasRuns = (): boolean => cluster.psql(`SELECT to_regclass('"${schema}".sync_runs') IS NOT NULL`, PG_DATABASE) === 't'
  return {
    kind: 'postgres',
    args: [],
    env: { CACHESYNC_SINK: url, CACHESYNC_SCHEMA: schema },
    target: url,
    path: undefined,
    schema,
    exec: (sql) => {
      cluster.psql(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}"; ${sql}`, PG_DATABASE)
    },
    query: run,
    newestRun: () => (hasRuns() ? run<{ id: number; outcome: string }>('SELECT id, outcome FROM sync_runs ORDER BY id DESC LIMIT 1')[0] : undefined),
    fingerprint: () => {
      // A few psql calls, not one per table: each costs a process and a connection.
      const tables = [...pgTableShapes(cluster, PG_DATABASE, schema).keys()].sort()
      const synced = tables.filter((t) => !t.startsWith('sync_'))
      const own = tables
        .filter((t) => t.startsWith('sync_'))
        .map((t) => `json_build_array('${t}', (SELECT coalesce(json_agg(r), '[]') FROM (SELECT * FROM "${schema}"."${t}" ORDER BY 1) r))`)
      const ownRows = own.length === 0 ? [] : JSON.parse(cluster.psql(`SELECT json_build_array(${own.join(', ')})`, PG_DATABASE))
      return JSON.stringify([pgChecksums(cluster, PG_DATABASE, schema, synced), ownRows])
    },
    checksum: (tables) => pgChecksums(cluster, PG_DATABASE, schema, tables),
    exists: () => cluster.psql(`SELECT count(*) FROM pg_namespace WHERE nspname = '${schema}'`, PG_DATABASE) === '1',
    fakeRunningSync: async (pid, alive) => {
      // A live run's session is a connection held open by this test; a dead one's names no session.
      const client = alive ? new pg.Client({ connectionString: url }) : undefined
      await client?.connect()
      const session = alive ? '(SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())' : 'NULL'
      const insert = `INSERT INTO "${schema}".sync_runs (started_at, outcome, pid, host, backend_pid, backend_start)
        VALUES ('2026-01-01T00:00:00Z', 'running', ${pid}, '${hostname()}', ${alive ? 'pg_backend_pid()' : 'NULL'}, ${session}) RETURNING id`
      const id = client === undefined ? cluster.psql(insert, PG_DATABASE) : String((await client.query<{ id: string }>(insert)).rows[0]?.id)
      return {
        end: async () => {
          await client?.end()
          cluster.psql(`DELETE FROM "${schema}".sync_runs WHERE id = ${id}`, PG_DATABASE)
        },
      }
    },
  }
}
