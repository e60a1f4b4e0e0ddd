import type { ResolvedSource } from '../../config/resolve-config.js'
import type { ResolvedSink } from '../../config/resolve-sink.js'
import { CachesyncError } from '../../util/errors.js'
import type { Logger } from '../../util/logger.js'
import type { ScratchCopy } from '../sink.js'
import { openPgSession } from './pg-connect.js'
import type { PgClient, PgPool } from './pg-driver.js'
import { pgIdent } from './pg-schema.js'
import { lockKey } from './pg-sink.js'

type PgSinkConfig = Extract<ResolvedSink, { kind: 'postgres' }>

/** Scratch schemas are named `cachesync_monitor_<backend pid>`: unique on the server while their session lives. */
const SCRATCH_PREFIX = 'cachesync_monitor_'
const SCRATCH_NAME = /^cachesync_monitor_\d+$/

/**
 * A copy of a PostgreSQL sink's tables in a scratch schema of the same database, for `cachesync monitor`
 * to time a sync against the real rows, as it does on a SQLite copy. A sync into a copy on the same
 * server is the one measurement that matches production; a dry run would hold the production sources'
 * locks and rows while it runs, making the real syncs of other hosts wait or skip.
 *
 * The production schema is only read, in one repeatable-read transaction (which blocks nothing but a
 * change of its tables' columns meanwhile); its source locks are not taken, since the scratch schema's
 * are other keys. The scratch is held by a session-level advisory lock of the connection that made it:
 * a monitor killed mid-check leaves a schema whose lock is free, which the next monitor drops.
 * Creating a schema takes the CREATE privilege on the database; without it the monitor refuses, and
 * says what to use instead.
 */
export async function createPgScratchCopy(config: PgSinkConfig, sources: readonly ResolvedSource[], logger: Logger): Promise<ScratchCopy> {
  const { pool, client: session } = await openPgSession(config, 'monitor')
  let scratch: string | undefined
  try {
    await dropDeadScratch(session, logger)
    const { rows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    scratch = `${SCRATCH_PREFIX}${rows[0]?.pid}`
    await session.query('SELECT pg_advisory_lock($1::bigint)', [scratchKey(scratch)])
    await copySchema(session, config.schema, scratch, new Set(sources.map((s) => s.table)))
  } catch (err) {
    await close(session, pool, undefined)
    throw copyError(err, config, scratch)
  }
  const made = scratch
  logger.debug({ schema: made }, 'scratch schema copied')
  return {
    sink: { ...config, schema: made, lock: 'wait' },
    remove: () => close(session, pool, made),
  }
}

/** The tables of `from` that the sources name, and the state of their syncs, copied with their rows into a new schema `to`. */
async function copySchema(session: PgClient, from: string, to: string, tables: ReadonlySet<string>): Promise<void> {
  await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ')
  try {
    await session.query(`CREATE SCHEMA ${pgIdent(to)}`)
    for (const table of [...tables, 'sync_sources', 'sync_checkpoints']) {
      const source = `${pgIdent(from)}.${pgIdent(table)}`
      const { rows } = await session.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [source])
      if (rows[0]?.ok !== true) continue
      const copy = `${pgIdent(to)}.${pgIdent(table)}`
      await session.query(`CREATE TABLE ${copy} (LIKE ${source} INCLUDING ALL)`)
      await session.query(`INSERT INTO ${copy} SELECT * FROM ${source}`)
    }
    await session.query('COMMIT')
  } catch (err) {
    await session.query('ROLLBACK').catch(() => {})
    throw err
  }
}

/** Scratch schemas whose lock nobody holds: their monitor was killed. Best effort, one at a time. */
async function dropDeadScratch(session: PgClient, logger: Logger): Promise<void> {
  const { rows } = await session.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)', [SCRATCH_PREFIX])
  for (const { name } of rows) {
    if (!SCRATCH_NAME.test(name)) continue
    const key = scratchKey(name)
    try {
      const { rows: got } = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])
      if (got[0]?.ok !== true) continue
      try {
        await session.query(`DROP SCHEMA IF EXISTS ${pgIdent(name)} CASCADE`)
        logger.info({ schema: name }, 'dropped the scratch schema of a monitor that was killed')
      } finally {
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [key])
      }
    } catch (err) {
      logger.warn({ schema: name, err: (err as Error).message }, 'cannot drop the scratch schema of a monitor that was killed')
    }
  }
}

/** Drops the scratch schema (when there is one), then ends the session: its lock goes with it. */
async function close(session: PgClient, pool: PgPool, scratch: string | undefined): Promise<void> {
  let broken = false
  try {
    if (scratch !== undefined) await session.query(`DROP SCHEMA IF EXISTS ${pgIdent(scratch)} CASCADE`)
  } catch (err) {
    broken = true
    throw new CachesyncError('ERR_IO', `Cannot drop the monitor's scratch schema ${scratch}: ${(err as Error).message}`, { cause: err })
  } finally {
    session.release(broken)
    await pool.end().catch(() => {})
  }
}

/** Not any key of the sink's: a source name holds no NUL. */
function scratchKey(schema: string): string {
  return lockKey(schema, '\u0000monitor')
}

function copyError(err: unknown, config: PgSinkConfig, scratch: string | undefined): Error {
  const message = (err as Error).message
  const where = `a scratch schema ${scratch ?? `${SCRATCH_PREFIX}<pid>`} of ${config.display}`
  if ((err as { code?: unknown }).code === '42501') {
    return new CachesyncError(
      'ERR_USAGE',
      `monitor times a sync into ${where}, a copy of schema ${config.schema}, and may not create it (${message}): ` +
        'grant CREATE on the database, or use `cachesync monitor --last` (judges the newest recorded run) ' +
        'or `--records N` (times a synthetic sync into a scratch SQLite file)',
      { cause: err },
    )
  }
  return new CachesyncError('ERR_IO', `Cannot copy schema ${config.schema} into ${where}: ${message}`, { cause: err })
}
