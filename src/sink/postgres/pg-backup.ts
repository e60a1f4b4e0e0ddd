import { rmSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ResolvedSink } from '../../config/resolve-sink.js'
import { CachesyncError } from '../../util/errors.js'
import {
  type BackupOptions,
  type BackupResult,
  backupNaming,
  backupTimestamp,
  checkKeep,
  claimName,
  DEFAULT_BACKUP_OPTIONS,
  makeBackupDir,
  partialName,
  pruneBackups,
} from '../backup-files.js'
import { applicationName } from './pg-connect.js'
import { createPgPool, type PgPool } from './pg-driver.js'
import { connectError, type PgErrorContext, translatePgError } from './pg-errors.js'
import { type MissingGrant, privilegeError } from './pg-privileges.js'
import { oneLine, requirePgTools, runPgTool, type ToolConnection, toolConnection } from './pg-tools.js'

type PgSinkConfig = Extract<ResolvedSink, { kind: 'postgres' }>

/** What pg_dump needs, where its message names only the object: USAGE on the schema, SELECT on the rest. */
const DUMP_NEEDS = { schema: ['USAGE'], table: ['SELECT'], sequence: ['SELECT'] } as const

/** The schema as it was just before the dump: who reads it, and the tables the dump must hold. */
interface DumpPlan {
  role: string
  database: string
  serverMajor: number
  tables: string[]
}

/**
 * Backs up the sink's schema with `pg_dump --format=custom --schema=<schema>` into
 * `<database>.<schema>-<UTC time>.dump`, verified by `pg_restore --list` (every table of the schema,
 * sync_runs among them, with its data), then keeps the newest `keep` of them.
 *
 * pg_dump rather than sending users to the server's own backups: it reads one consistent snapshot (a
 * repeatable-read transaction: safe while syncs write, as SQLite's backup API is), it needs no more
 * than SELECT on what it dumps (pg_basebackup needs REPLICATION and copies the whole cluster), and it
 * takes exactly cachesync's schema, which pg_restore brings back into any database of the same or a
 * newer major version. It does not replace a cluster's physical backups and WAL archiving where the
 * whole server must be restorable to a point in time: those belong to the server's administrator.
 */
export async function backupPostgres(sink: PgSinkConfig, options: BackupOptions & { toDir: string }): Promise<BackupResult> {
  const started = performance.now()
  const keep = checkKeep(options.keep ?? DEFAULT_BACKUP_OPTIONS.keep)
  const stamp = backupTimestamp(options.now ?? new Date())
  const toDir = resolve(options.toDir)
  // A missing tool is told before anything is asked of the server.
  requirePgTools(['pg_dump', 'pg_restore'])
  const plan = await planDump(sink)
  makeBackupDir(toDir)
  const naming = backupNaming(`${plan.database}.${sink.schema}`.replaceAll(/[^A-Za-z0-9_.-]/g, '_'), '.dump')
  const partial = partialName(toDir, naming, stamp)
  try {
    await dump(sink, toolConnection(sink.url), partial, plan)
    await verifyDump(sink, partial, plan.tables)
    const path = claimName(partial, toDir, naming, stamp)
    const bytes = statSync(path).size
    return { path, bytes, ms: performance.now() - started, integrity: 'ok', pruned: pruneBackups(toDir, naming, keep) }
  } finally {
    rmSync(partial, { force: true })
  }
}

/** True when a sync has made cachesync's tables in the sink's schema: there is something to back up. */
export async function pgHasSyncTables(sink: PgSinkConfig): Promise<boolean> {
  return withPool(sink, async (pool) => {
    const { rows } = await pool.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'sync_runs'`,
      [sink.schema],
    )
    return rows.length > 0
  })
}

/** Reads the catalog: the tables to find in the dump, and every privilege pg_dump will need, named at once. */
async function planDump(sink: PgSinkConfig): Promise<DumpPlan> {
  const { at, relations } = await withPool(sink, async (pool) => {
    const { rows } = await pool.query<{ role: string; database: string; version: number; schema_exists: boolean; usage: boolean }>(
      `SELECT current_user AS role, current_database() AS database, current_setting('server_version_num')::int AS version,
         n.oid IS NOT NULL AS schema_exists, coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS usage
       FROM (VALUES (1)) AS one LEFT JOIN pg_namespace n ON n.nspname = $1`,
      [sink.schema],
    )
    const { rows: relations } = await pool.query<{ name: string; kind: string; readable: boolean }>(
      `SELECT c.relname AS name, c.relkind AS kind,
         CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT') ELSE has_table_privilege(c.oid, 'SELECT') END AS readable
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S') ORDER BY c.relname`,
      [sink.schema],
    )
    return { at: rows[0] as NonNullable<(typeof rows)[0]>, relations }
  })
  const tables = relations.filter((r) => r.kind === 'r').map((r) => r.name)
  if (!tables.includes('sync_runs')) {
    throw new CachesyncError(
      'ERR_USAGE',
      `Nothing to back up in schema "${sink.schema}" of ${sink.display}: it has no sync_runs table (no sync wrote there yet)`,
    )
  }
  const missing: MissingGrant[] = [
    ...(at.usage ? [] : [{ privileges: ['USAGE'], on: 'schema' as const, name: sink.schema }]),
    ...relations
      .filter((r) => !r.readable)
      .map((r) => ({ privileges: ['SELECT'], on: r.kind === 'S' ? ('sequence' as const) : ('table' as const), name: r.name, schema: sink.schema })),
  ]
  if (missing.length > 0) throw privilegeError(at.role, missing, sink.display, { purpose: 'pg_dump needs' })
  return { role: at.role, database: at.database, serverMajor: Math.floor(at.version / 10_000), tables }
}

async function dump(sink: PgSinkConfig, connection: ToolConnection, file: string, plan: DumpPlan): Promise<void> {
  // Double quotes make the name a literal to pg_dump, not a pattern to fold to lower case.
  const args = ['--format=custom', `--schema="${sink.schema}"`, `--file=${file}`, '--no-password', `--dbname=${connection.dbname}`]
  const result = await runPgTool('pg_dump', args, connection.env)
  if (result.code === 0) return
  const line = oneLine(result.stderr, connection.secret)
  const denied = /permission denied for (schema|table|sequence) ("?[^"\s]+"?)/.exec(result.stderr)
  if (denied !== null) {
    const context: PgErrorContext = { display: sink.display, schema: sink.schema, role: plan.role, needs: DUMP_NEEDS, purpose: 'pg_dump needs' }
    throw translatePgError(Object.assign(new Error(denied[0]), { code: '42501' }), context)
  }
  if (/server version mismatch/.test(result.stderr)) {
    throw new CachesyncError(
      'ERR_TOOL',
      `pg_dump cannot back up ${sink.display}: ${line}; install the client tools of PostgreSQL ${plan.serverMajor} or newer ` +
        `(Debian: postgresql-client-${plan.serverMajor}) and put them first on the PATH`,
    )
  }
  if (/No space left on device/.test(result.stderr)) throw new CachesyncError('ERR_DISK_FULL', `Disk full while backing up ${sink.display}: ${line}`)
  throw new CachesyncError('ERR_TOOL', `pg_dump could not back up ${sink.display}: ${line}`)
}

/** `pg_restore --list` must read the file and list, for every table the schema had, the table and its data. */
async function verifyDump(sink: PgSinkConfig, file: string, tables: readonly string[]): Promise<void> {
  const listed = await runPgTool('pg_restore', ['--list', file])
  const failed = (why: string): CachesyncError =>
    new CachesyncError('ERR_IO', `Backup of ${sink.display} failed verification (pg_restore --list: ${why}); the copy was removed`)
  if (listed.code !== 0) throw failed(oneLine(listed.stderr, undefined) || `exit status ${listed.code}`)
  // Entries read `215; 1259 16390 TABLE public sync_runs postgres` and `3350; 0 16390 TABLE DATA public sync_runs postgres`.
  const entries = new Set(listed.stdout.split('\n').flatMap((line) => /^\d+; \d+ \d+ (TABLE DATA|TABLE) (\S+) (\S+) /.exec(line)?.slice(1, 4).join(' ') ?? []))
  const lacking = tables.filter((t) => !entries.has(`TABLE ${sink.schema} ${t}`) || !entries.has(`TABLE DATA ${sink.schema} ${t}`))
  if (lacking.length > 0) throw failed(`no table or no data for ${lacking.join(', ')}`)
}

async function withPool<R>(sink: PgSinkConfig, fn: (pool: PgPool) => Promise<R>): Promise<R> {
  const pool = createPgPool({ url: sink.url, max: 1, applicationName: applicationName('backup') })
  try {
    return await fn(pool)
  } catch (err) {
    throw err instanceof CachesyncError ? err : connectError(err, sink)
  } finally {
    await pool.end().catch(() => {})
  }
}
