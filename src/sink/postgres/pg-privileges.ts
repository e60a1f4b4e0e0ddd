import type { ResolvedSource } from '../../config/resolve-config.js'
import { CachesyncError } from '../../util/errors.js'
import type { PgClient } from './pg-driver.js'
import { SYNC_RELATIONS } from './pg-schema.js'

type Query = PgClient['query']

export type PgObjectKind = 'database' | 'schema' | 'table' | 'sequence'

/** Privileges a role lacks on one object. */
export interface MissingGrant {
  readonly privileges: readonly string[]
  readonly on: PgObjectKind
  readonly name: string
  /** The schema of a table or sequence. */
  readonly schema?: string | undefined
}

/** What a sync needs on each of cachesync's tables beyond their sequences' USAGE (see the SQL in `PgSink`). */
const SYNC_TABLE_NEEDS: Readonly<Record<string, readonly string[]>> = {
  sync_runs: ['SELECT', 'INSERT', 'UPDATE'],
  sync_rejects: ['SELECT', 'INSERT', 'DELETE'],
  sync_sources: ['SELECT', 'INSERT', 'UPDATE'],
  sync_checkpoints: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
}

interface SchemaRow {
  role: string
  database: string
  db_create: boolean
  db_temp: boolean
  schema_exists: boolean
  usage: boolean
  create: boolean
}

interface RelationRow {
  name: string
  select: boolean
  insert: boolean
  update: boolean
  delete: boolean
  sequence: string | null
  sequence_usage: boolean | null
}

/**
 * Looks in the catalog, before a sync changes anything, for every privilege it will need in `schema`
 * and throws one `ERR_PRIVILEGE` error naming all that are missing, with the GRANTs that fix them.
 * Returns the role and which of cachesync's relations exist already (what is missing is created).
 */
export async function checkSyncPrivileges(
  query: Query,
  target: { schema: string; display: string },
  sources: readonly ResolvedSource[],
): Promise<{ role: string; schemaExists: boolean; relations: Set<string> }> {
  const { rows: schemaRows } = await query<SchemaRow>(
    `SELECT current_user AS role, current_database() AS database,
       has_database_privilege(current_database(), 'CREATE') AS db_create, has_database_privilege(current_database(), 'TEMPORARY') AS db_temp,
       n.oid IS NOT NULL AS schema_exists, coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS usage,
       coalesce(has_schema_privilege(n.oid, 'CREATE'), false) AS create
     FROM (VALUES (1)) AS one LEFT JOIN pg_namespace n ON n.nspname = $1`,
    [target.schema],
  )
  const at = schemaRows[0] as SchemaRow
  const names = [...SYNC_RELATIONS, ...sources.map((s) => s.table)]
  // By oid, so that the catalog answers even without USAGE on the schema; column grants count as granted.
  const { rows } = await query<RelationRow>(
    `SELECT c.relname AS name, t.oid IS NOT NULL AND has_any_column_privilege(t.oid, 'SELECT') AS select,
       t.oid IS NOT NULL AND has_any_column_privilege(t.oid, 'INSERT') AS insert,
       t.oid IS NOT NULL AND has_any_column_privilege(t.oid, 'UPDATE') AS update, t.oid IS NOT NULL AND has_table_privilege(t.oid, 'DELETE') AS delete,
       seq.relname AS sequence, has_sequence_privilege(seq.oid, 'USAGE') AS sequence_usage
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_class t ON t.oid = c.oid AND t.relkind IN ('r', 'p')
     LEFT JOIN LATERAL (SELECT s.oid, s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
       WHERE d.classid = 'pg_class'::regclass AND d.refobjid = t.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS seq ON true
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
    [target.schema, names],
  )
  const relations = new Set(rows.map((r) => r.name))
  const missing: MissingGrant[] = []
  if (!at.schema_exists) {
    if (!at.db_create) missing.push({ privileges: ['CREATE'], on: 'database', name: at.database })
  } else {
    const creates = names.some((name) => !relations.has(name))
    const onSchema = [...(at.usage ? [] : ['USAGE']), ...(at.create || !creates ? [] : ['CREATE'])]
    if (onSchema.length > 0) missing.push({ privileges: onSchema, on: 'schema', name: target.schema })
  }
  if (!at.db_temp) missing.push({ privileges: ['TEMPORARY'], on: 'database', name: at.database })
  const needs = new Map(Object.entries(SYNC_TABLE_NEEDS))
  for (const source of sources) needs.set(source.table, ['SELECT', 'INSERT', 'UPDATE', ...(source.delete === 'hard' ? ['DELETE'] : [])])
  for (const row of rows) {
    const lacking = (needs.get(row.name) ?? []).filter((p) => !row[p.toLowerCase() as 'select' | 'insert' | 'update' | 'delete'])
    if (lacking.length > 0) missing.push({ privileges: lacking, on: 'table', name: row.name, schema: target.schema })
    if (row.sequence !== null && row.sequence_usage === false)
      missing.push({ privileges: ['USAGE'], on: 'sequence', name: row.sequence, schema: target.schema })
  }
  if (missing.length > 0) {
    const alternative =
      at.schema_exists || missing.length > 1
        ? undefined
        : `or create the schema for it: CREATE SCHEMA ${sqlName(target.schema)} AUTHORIZATION ${sqlName(at.role)}`
    throw privilegeError(at.role, missing, target.display, { alternative })
  }
  return { role: at.role, schemaExists: at.schema_exists, relations }
}

/**
 * `role "reader" lacks CREATE on schema "public" of postgres://reader:***@h:5432/app: grant it with
 * GRANT CREATE ON SCHEMA public TO reader`, one line whatever the number of grants. With `denied`
 * (PostgreSQL's message, where it does not say which privilege): `role "w" was denied access to table
 * "public.t" of … (permission denied for table t; cachesync needs SELECT, … on it): grant them with …`.
 */
export function privilegeError(
  role: string,
  missing: readonly MissingGrant[],
  display: string,
  options: { purpose?: string | undefined; denied?: string | undefined; alternative?: string | undefined; cause?: unknown } = {},
): CachesyncError {
  const objects = missing.map((m) => `${m.on} "${m.schema === undefined ? '' : `${m.schema}.`}${m.name}"`)
  const what =
    options.denied === undefined
      ? `lacks ${listed(missing.map((m, i) => `${m.privileges.join(', ')} on ${objects[i]}`))} of ${display}` +
        (options.purpose === undefined ? '' : `, which ${options.purpose}`)
      : `was denied access to ${listed(objects)} of ${display} (${options.denied})`
  const grants = missing.map(
    (m) =>
      `GRANT ${m.privileges.join(', ')} ON ${m.on.toUpperCase()} ${m.schema === undefined ? '' : `${sqlName(m.schema)}.`}${sqlName(m.name)} TO ${sqlName(role)}`,
  )
  const count = missing.reduce((sum, m) => sum + m.privileges.length, 0)
  return new CachesyncError(
    'ERR_PRIVILEGE',
    `role "${role}" ${what}: grant ${count === 1 ? 'it' : 'them'} with ${grants.join('; ')}${options.alternative === undefined ? '' : `, ${options.alternative}`}`,
    { cause: options.cause },
  )
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

/** A name as SQL takes it: a plain lower-case name bare, any other double-quoted. */
export function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`
}
