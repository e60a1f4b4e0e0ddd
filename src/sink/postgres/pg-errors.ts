import { userInfo } from 'node:os'
import { CachesyncError } from '../../util/errors.js'
import { connectTimeoutMs, isServerError } from './pg-driver.js'
import { type MissingGrant, type PgObjectKind, privilegeError, sqlName } from './pg-privileges.js'

/** SQLSTATE insufficient_privilege: "permission denied for …", "must be owner of …", a row-level security policy. */
const INSUFFICIENT_PRIVILEGE = '42501'
/** SQLSTATE class 53, insufficient resources (too many connections, out of memory), and its disk_full. */
const INSUFFICIENT_RESOURCES = '53'
const DISK_FULL = '53100'

/** Where an error happened, for its message: the URL as it may be printed, the schema, the role. */
export interface PgErrorContext {
  display: string
  schema: string
  role: string
  /** What the work needs on each kind of object, named when PostgreSQL's message does not say which. */
  needs?: Partial<Record<PgObjectKind, readonly string[]>> | undefined
  /** Who needs the privileges, when not cachesync itself: "pg_dump needs". */
  purpose?: string | undefined
}

/** What a sync needs on each kind of object (the exact list is `checkSyncPrivileges`'). */
const SYNC_NEEDS: Readonly<Record<PgObjectKind, readonly string[]>> = {
  database: ['CONNECT', 'TEMPORARY'],
  schema: ['USAGE', 'CREATE'],
  table: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  sequence: ['USAGE'],
}

/**
 * PostgreSQL's "permission denied for table rptrs" (SQLSTATE 42501) as an `ERR_PRIVILEGE` error naming
 * the role, the object, the database and the GRANT that fixes it; any other error is returned as it is.
 * For what `checkSyncPrivileges` could not foresee: column grants, row-level security, a grant revoked
 * during the run, or a reader of the run history without SELECT on sync_runs.
 */
export function translatePgError(err: unknown, context: PgErrorContext): Error {
  if (!(err instanceof Error)) return new Error(String(err))
  if (isConnectionLoss(err)) {
    const reason = isServerError(err) && !err.message.includes(err.code) ? `${err.message} (${err.code})` : err.message
    return new CachesyncError('ERR_DB_UNAVAILABLE', `lost the connection to ${context.display}: ${reason}`, { cause: err })
  }
  const code = (err as { code?: unknown }).code
  if (code === DISK_FULL) return new CachesyncError('ERR_DISK_FULL', `Disk full on the server of ${context.display}: ${err.message}`, { cause: err })
  if (typeof code === 'string' && code.startsWith(INSUFFICIENT_RESOURCES)) {
    return new CachesyncError('ERR_DB_UNAVAILABLE', `${context.display} is out of resources: ${err.message} (${code})`, { cause: err })
  }
  if (code !== INSUFFICIENT_PRIVILEGE) return err
  const needs = { ...SYNC_NEEDS, ...context.needs }
  const denied = /permission denied for (database|schema|table|sequence) "?([^"\s]+)"?/.exec(err.message)
  if (denied !== null) {
    const on = denied[1] as PgObjectKind
    const connect = on === 'database' && /CONNECT/.test(String((err as { detail?: unknown }).detail ?? ''))
    const privileges = connect ? ['CONNECT'] : needs[on]
    const grant: MissingGrant = { privileges, on, name: denied[2] as string, schema: on === 'table' || on === 'sequence' ? context.schema : undefined }
    if (privileges.length === 1) return privilegeError(context.role, [grant], context.display, { purpose: context.purpose, cause: err })
    // The message names the object but not the privilege: say all that the work needs on it.
    return privilegeError(context.role, [grant], context.display, {
      denied: `${err.message}; ${context.purpose ?? 'cachesync needs'} ${privileges.join(', ')} on it`,
      cause: err,
    })
  }
  const owner = /must be owner of (?:table|relation) "?([^"\s]+)"?/.exec(err.message)
  if (owner !== null) {
    const table = `${sqlName(context.schema)}.${sqlName(owner[1] as string)}`
    return new CachesyncError(
      'ERR_PRIVILEGE',
      `role "${context.role}" does not own table "${context.schema}.${owner[1]}" of ${context.display}, and only its owner may change it ` +
        `(add a column, create an index): run that sync once as the owner, or ALTER TABLE ${table} OWNER TO ${sqlName(context.role)}`,
      { cause: err },
    )
  }
  return new CachesyncError('ERR_PRIVILEGE', `role "${context.role}" was refused by ${context.display}: ${err.message}`, { cause: err })
}

/** The role a connection logs in as, before the server can be asked: the URL's user, else PGUSER, else the OS user (as libpq does). */
export function connectionRole(url: string): string {
  try {
    const user = decodeURIComponent(new URL(url).username)
    if (user !== '') return user
  } catch {
    // An unparseable URL was refused by the configuration already.
  }
  return process.env.PGUSER || userInfo().username
}

/** A failed connection: a missing CONNECT privilege names its GRANT, anything else says where it failed. */
export function connectError(err: unknown, target: { url: string; display: string; schema: string }): CachesyncError {
  const code = isConnectionLoss(err) ? 'ERR_DB_UNAVAILABLE' : 'ERR_IO'
  if (code === 'ERR_IO') {
    const translated = translatePgError(err, { display: target.display, schema: target.schema, role: connectionRole(target.url) })
    if (translated instanceof CachesyncError) return translated
  }
  const message = (err as Error).message
  if (/timeout expired|connection timeout/i.test(message)) {
    const seconds = connectTimeoutMs(target.url, process.env) / 1000
    return new CachesyncError(
      'ERR_DB_UNAVAILABLE',
      `Cannot connect to PostgreSQL at ${target.display}: no answer within ${seconds} s (connect_timeout in the URL, or PGCONNECT_TIMEOUT, sets how long to wait)`,
      { cause: err },
    )
  }
  return new CachesyncError(code, `Cannot connect to PostgreSQL at ${target.display}: ${message}`, { cause: err })
}

/**
 * The server went away or ended the session: SQLSTATE classes 57P (shutdown, session ended) and 08
 * (connection exception, which the driver reports a closed socket as), or a refused or reset connection.
 */
export function isConnectionLoss(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string') return false
  return /^(57P|08)/.test(code) || code === 'ECONNREFUSED' || code === 'ECONNRESET'
}
