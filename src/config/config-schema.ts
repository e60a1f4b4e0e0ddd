import * as z from 'zod'
import { parseDuration } from '../util/duration.js'

/** Table and column names: plain SQL identifiers, so they never need to be trusted raw. */
const identifier = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must start with a letter and hold only letters, digits and _')
  .max(63, 'must be at most 63 characters')

/** Column names may also start with `_` (`_id`), as inferred ones do; `_hash` and `_deleted_at` are refused later. */
const columnName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and hold only letters, digits and _')
  .max(63, 'must be at most 63 characters')

const sourceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must hold only letters, digits, _ and - (it names files in the cache directory)')
  .max(63)

export const COLUMN_TYPES = ['integer', 'real', 'text', 'boolean', 'json'] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]

/** What a sync does with a field its table has no column for, or a value its column's type cannot hold. */
export const SCHEMA_POLICIES = ['evolve', 'freeze', 'discard'] as const
export type SchemaPolicy = (typeof SCHEMA_POLICIES)[number]

const schemaPolicy = z.enum(SCHEMA_POLICIES, { error: `must be one of ${SCHEMA_POLICIES.join(', ')}` })

export const NORMALIZERS = ['network', 'trim', 'upper', 'lower', 'empty-null'] as const
export type Normalizer = (typeof NORMALIZERS)[number]

const columnType = z.enum(COLUMN_TYPES, { error: `must be one of ${COLUMN_TYPES.join(', ')}` })

/** A column written as an object; exported for the configuration page. */
export const columnObjectSchema = z.strictObject({
  type: columnType.meta({ description: 'The column type.' }),
  from: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'The field of the record, dotted for a nested field (`location.lat`).', defaultText: 'the column name' }),
  required: z.boolean().optional().meta({ description: 'A record without a value here is rejected. Key columns are always required.', defaultText: '`false`' }),
  normalize: z
    .enum(NORMALIZERS, { error: `must be one of ${NORMALIZERS.join(', ')}` })
    .optional()
    .meta({ description: 'Cleans a string value before it is typed.', defaultText: 'none' }),
  invalid: z
    .enum(['reject', 'null'], { error: 'must be reject or null' })
    .optional()
    .meta({ description: 'What a value that cannot be coerced to the type does: reject the record, or become null.', defaultText: '`reject`' }),
})

/**
 * A column is a type name or an object. Chosen by the value's shape rather than as a union, so that an
 * error says what the chosen form expected instead of zod's bare "Invalid input".
 */
const columnSpec = z.unknown().transform((value, ctx): ColumnType | 'auto' | z.infer<typeof columnObjectSchema> => {
  if (value === 'auto') return 'auto'
  const form = typeof value === 'object' && value !== null ? columnObjectSchema : columnType
  const result = form.safeParse(value)
  if (result.success) return result.data
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path })
  return z.NEVER
})

const positiveInt = z.number().int('must be an integer').positive('must be a positive integer')
const nonNegativeInt = z.number().int('must be an integer').nonnegative('must be 0 or more')
const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1')

/** A duration: `500ms`, `90s`, `30m`, `1h`, `1d` (or combined, `1h30m`), or a number of milliseconds. */
const duration = z
  .union([z.number(), z.string()])
  .transform((value, ctx): number => {
    const ms = typeof value === 'number' ? value : parseDuration(value)
    if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 90s, 30m or 1h (or a number of milliseconds)' })
      return z.NEVER
    }
    return ms
  })
  .meta({ typeText: 'duration' })

const httpUrl = z.string().refine(isHttpUrl, 'must be an absolute http:// or https:// URL').meta({ typeText: 'http(s) URL' })

/** A dotted path into a JSON body: `meta.next`, `links.next`. */
const jsonPath = z.string().min(1, 'must name a field, such as meta.next').meta({ typeText: 'dotted path' })

/** One form per pagination style, chosen by `style`; exported for the configuration page. */
export const PAGINATION_FORMS = {
  offset: z
    .strictObject({
      style: z.literal('offset'),
      limitKey: z.string().min(1).optional().meta({ description: 'The query parameter of the page size.', defaultText: '`limit`' }),
      skipKey: z.string().min(1).optional().meta({ description: 'The query parameter of the records to skip.', defaultText: '`offset`' }),
      limitMax: positiveInt.optional().meta({ description: 'Records asked for per page: the most the API gives.', defaultText: '`1000`' }),
    })
    .meta({ description: '`?limit=1000&offset=2000`. Stops on an empty page or a page shorter than the limit.' }),
  page: z
    .strictObject({
      style: z.literal('page'),
      pageKey: z.string().min(1).optional().meta({ description: 'The query parameter of the page number.', defaultText: '`page`' }),
      perPageKey: z.string().min(1).optional().meta({ description: 'The query parameter of the page size.', defaultText: '`per_page`' }),
      perPage: positiveInt.optional().meta({ description: 'Records asked for per page.', defaultText: '`100`' }),
      firstPage: nonNegativeInt.optional().meta({ description: 'The number of the first page.', defaultText: '`1`' }),
    })
    .meta({ description: '`?page=3&per_page=100`. Stops on an empty page or a page shorter than `perPage`.' }),
  cursor: z
    .strictObject({
      style: z.literal('cursor'),
      cursorPath: jsonPath.meta({ description: 'Where the body holds the next cursor (`meta.next_cursor`).' }),
      cursorKey: z.string().min(1).optional().meta({ description: 'The query parameter the cursor is sent back as.', defaultText: '`cursor`' }),
    })
    .meta({ description: 'The body holds the cursor of the next page. Stops when there is none.' }),
  'next-link': z
    .strictObject({
      style: z.literal('next-link'),
      nextPath: jsonPath.meta({ description: 'Where the body holds the URL of the next page (`links.next`), absolute or relative.' }),
    })
    .meta({ description: 'The body holds the URL of the next page. Stops when there is none.' }),
  'link-header': z
    .strictObject({ style: z.literal('link-header') })
    .meta({ description: 'A `Link: <…>; rel="next"` response header names the next page. Stops when there is none.' }),
}
export const PAGINATION_STYLES = Object.keys(PAGINATION_FORMS) as (keyof typeof PAGINATION_FORMS)[]

/** Chosen by `style`, so that an error names what that style expects rather than zod's bare "Invalid input". */
const pagination = z.unknown().transform((value, ctx): Pagination => {
  const style = typeof value === 'object' && value !== null ? (value as { style?: unknown }).style : undefined
  const form = typeof style === 'string' ? PAGINATION_FORMS[style as keyof typeof PAGINATION_FORMS] : undefined
  if (form === undefined) {
    ctx.addIssue({ code: 'custom', message: `style must be one of ${PAGINATION_STYLES.join(', ')}`, path: ['style'] })
    return z.NEVER
  }
  const result = (form as z.ZodType<Pagination>).safeParse(value)
  if (result.success) return result.data
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path })
  return z.NEVER
})

/**
 * Credentials of an HTTP source: `bearer` sends `Authorization: <scheme> <secret>`, `header` a header named
 * `name`, `query` a query parameter named `name`. The secret comes from the environment variable `env` or,
 * less safely, `value`. Exported for the configuration page.
 */
export const authSchema = z
  .strictObject({
    type: z
      .enum(['bearer', 'header', 'query'], { error: 'must be bearer, header or query' })
      .meta({ description: '`bearer` sends `Authorization: <scheme> <secret>`; `header` a header named `name`; `query` a query parameter named `name`.' }),
    name: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'The header or query parameter that carries the secret.', defaultText: 'required for `header` and `query`' }),
    scheme: z.string().min(1).optional().meta({ description: 'The word before the secret in `Authorization` (type `bearer`).', defaultText: '`Bearer`' }),
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional()
      .meta({ typeText: 'variable name', description: 'The environment variable that holds the secret. Give `env` or `value`, not both.' }),
    value: z.string().min(1).optional().meta({ description: 'The secret itself, in the file: less safe than `env`.' }),
  })
  .superRefine((auth, ctx) => {
    if ((auth.env === undefined) === (auth.value === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of env and value' })
    if (auth.type !== 'bearer' && auth.name === undefined) ctx.addIssue({ code: 'custom', message: `type ${auth.type} needs name`, path: ['name'] })
  })

/**
 * An incremental fetch: the cursor goes in a query parameter, taken from a field of the records. Exported
 * for the configuration page.
 */
export const incrementalSchema = z
  .strictObject({
    param: z
      .string()
      .min(1, 'must name a query parameter, such as updated_since')
      .meta({ description: 'The query parameter that takes the cursor (`updated_since`); the API answers the records changed since it.' }),
    field: jsonPath.meta({ description: 'The field of each record the cursor comes from (`updated_at`), dotted for a nested one.' }),
    kind: z.enum(['timestamp', 'number'], { error: 'must be timestamp or number' }).optional().meta({
      description: '`timestamp`: an ISO 8601 time (sent back as one); `number`: a growing number (a version, a sequence).',
      defaultText: '`timestamp`',
    }),
    lag: z.union([z.number(), z.string()]).optional().meta({
      typeText: 'duration or number',
      description:
        'Asked again from this far before the newest cursor seen, for clocks that differ and transactions that commit late: a duration for `timestamp`, an amount for `number`. Records met again are applied as unchanged.',
      defaultText: '`5m`, or `0` for `number`',
    }),
    fullEvery: duration
      .optional()
      .meta({ description: 'A full fetch runs anyway when the last is this old: the only way deletes upstream are seen.', defaultText: '`1d`' }),
  })
  .superRefine((spec, ctx) => {
    if (spec.lag === undefined) return
    if (spec.kind === 'number' && (typeof spec.lag !== 'number' || spec.lag < 0)) {
      ctx.addIssue({ code: 'custom', message: 'must be a number of 0 or more where kind is number', path: ['lag'] })
    }
    if (spec.kind !== 'number') {
      const ms = typeof spec.lag === 'number' ? spec.lag : parseDuration(spec.lag)
      if (ms === undefined || !Number.isFinite(ms) || ms < 0) ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s or 5m', path: ['lag'] })
    }
  })

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name')
const headersSchema = z.record(headerName, z.string()).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (/^(authorization|cookie|proxy-authorization)$/i.test(name)) {
      ctx.addIssue({ code: 'custom', message: `${name} carries a secret: set it with auth (type header), which keeps it out of logs`, path: [name] })
    }
  }
})

export const sourceSchema = z.strictObject({
  name: sourceName.meta({ typeText: 'name', description: 'The source, its cache file and, by default, its table. Letters, digits, `_` and `-`.' }),
  url: httpUrl
    .optional()
    .meta({ description: 'The HTTP(S) JSON API that `cachesync warm` fetches. A source without one is only synced.', defaultText: 'none' }),
  pagination: pagination
    .optional()
    .meta({ typeText: 'object', description: 'How to fetch the next page: see [Pagination](#pagination).', defaultText: 'one request' }),
  auth: authSchema.optional().meta({ description: 'Credentials: see [Authentication](#authentication).', defaultText: 'none' }),
  headers: headersSchema.optional().meta({
    typeText: 'map of header to text',
    description: 'Extra request headers. Secrets go in `auth`, which keeps them out of logs.',
    defaultText: 'none',
  }),
  incremental: incrementalSchema.optional().meta({
    typeText: 'object',
    description: 'Fetch only what changed since the last warm: see [Incremental fetch](#incremental-fetch) and [incremental.md](incremental.md).',
    defaultText: 'every warm fetches everything',
  }),
  maxAge: duration.optional().meta({ description: 'A cache checked more recently than this is not fetched again.', defaultText: '`warm.maxAge`' }),
  minRecords: nonNegativeInt
    .optional()
    .meta({ description: 'A fetch with fewer records is refused and the old cache kept.', defaultText: '1 once the cache holds records' }),
  maxShrink: fraction.optional().meta({ description: 'The largest fraction of its cached records a fetch may drop.', defaultText: '`warm.maxShrink`' }),
  file: z.string().min(1).optional().meta({
    description: 'The cache file, relative to the cache directory; `.gz` files are read too.',
    defaultText: 'the first of `<name>.ndjson`, `.jsonl`, `.json` (each also `.gz`)',
  }),
  format: z.enum(['ndjson', 'json']).optional().meta({ description: 'How the cache file is read.', defaultText: '`json` for a `.json` file, else `ndjson`' }),
  recordsPath: z.string().optional().meta({
    typeText: 'dotted path',
    description: 'Where the records sit in each JSON body or file (`rptrs`, `data.items`).',
    defaultText: 'the top-level array',
  }),
  table: identifier.optional().meta({
    typeText: 'SQL identifier',
    description: "The table the rows go to. Names starting with `sync_` are cachesync's own.",
    defaultText: 'the name, `-` made `_`',
  }),
  key: z
    .union([z.string(), z.array(z.string()).min(1)])
    .optional()
    .meta({
      description: 'The column or columns that identify a record; each must be one of `columns`, or a field of the records where columns are inferred.',
      defaultText: '`id` where columns are inferred and every record has a unique one; otherwise required',
    }),
  delete: z
    .enum(['hard', 'soft'])
    .optional()
    .meta({ description: 'Rows that vanish upstream are deleted (`hard`) or get `_deleted_at` (`soft`).', defaultText: '`hard`' }),
  columns: z
    .record(z.union([z.literal('*'), columnName]), columnSpec)
    .optional()
    .meta({
      typeText: 'map of column to type',
      description: "The mapping from record to row: see [Columns](#columns). `'*': auto` adds a column for every other field.",
      defaultText: 'every field of the records, inferred',
    }),
  flatten: nonNegativeInt
    .max(16, 'must be at most 16')
    .optional()
    .meta({ description: 'Inferred columns: nested objects become `parent__child` columns down to this depth; arrays stay JSON.', defaultText: '`0`' }),
  schema: schemaPolicy.optional().meta({
    description:
      'A field without a column, or a value its inferred column cannot hold: add or widen the column (`evolve`), reject the record (`freeze`), or drop the value (`discard`).',
    defaultText: '`sync.schema`',
  }),
  maxRejects: nonNegativeInt.optional().meta({ description: 'Past this many rejected records the source fails.', defaultText: 'the top-level `maxRejects`' }),
  chunk: positiveInt.optional().meta({ description: "Accepted, but not read yet: the run's `chunk` applies to every source.", defaultText: "the run's chunk" }),
})

export const MODES = ['auto', 'parallel', 'sequential', 'streaming'] as const
export type ModeOption = (typeof MODES)[number]

/** Settings of `cachesync sync` that apply to every source. */
const syncSchema = z.strictObject({
  schema: schemaPolicy.optional().meta({ description: "The sources' schema policy, where a source sets none.", defaultText: '`evolve`' }),
})

/** What `cachesync archive` takes out, and where it puts it, where its flags do not say. */
const archiveSchema = z.strictObject({
  deletedBefore: duration
    .optional()
    .meta({ flag: '--deleted-before', description: 'Soft-deleted rows whose `_deleted_at` is older than this.', defaultText: 'none' }),
  olderThan: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column name'), duration)
    .optional()
    .meta({
      typeText: 'column: duration',
      flag: '--older-than',
      description: 'Rows whose column is older than its duration, as `last_seen: 365d`.',
      defaultText: 'none',
    }),
  sources: z
    .array(z.string().min(1))
    .optional()
    .meta({ typeText: 'list', flag: '--source', description: 'The sources to archive.', defaultText: 'every source' }),
  history: duration
    .optional()
    .meta({ flag: '--history', description: "cachesync's own run history (`sync_runs`, `sync_rejects`, archive runs) older than this.", defaultText: 'none' }),
  dir: z.string().min(1).optional().meta({
    typeText: 'path',
    flag: '--to',
    description: 'Where the archive files go.',
    defaultText: '`archive/` beside the database (PostgreSQL: beside the cache directory)',
  }),
  vacuum: z
    .enum(['analyze', 'full', 'none'])
    .optional()
    .meta({ flag: '--vacuum', description: 'After an archive run: ANALYZE, VACUUM then ANALYZE, or nothing.', defaultText: '`analyze`' }),
  level: z
    .number()
    .int('must be an integer')
    .min(1, 'must be from 1 to 9')
    .max(9, 'must be from 1 to 9')
    .optional()
    .meta({ flag: '--level', description: 'gzip level of the archive files.', defaultText: '6' }),
})

/** Settings of `cachesync warm`. Defaults are in `DEFAULT_WARM`. */
const warmSchema = z.strictObject({
  concurrency: positiveInt.optional().meta({ flag: '--concurrency', description: 'Requests in flight at once, over all sources.' }),
  maxAge: duration
    .optional()
    .meta({ flag: '--max-age', description: 'A cache checked more recently than this is not fetched again.', defaultText: 'none: every source is checked' }),
  maxShrink: fraction
    .optional()
    .meta({ description: "The largest fraction of a source's cached records a fetch may drop; more is refused and the old cache kept." }),
  requestsPerSecond: z
    .number()
    .positive('must be a positive number')
    .optional()
    .meta({ description: 'Requests a second to any one host.', defaultText: 'no cap' }),
  headersTimeout: duration.optional().meta({ description: 'How long to wait for the response headers.' }),
  bodyTimeout: duration.optional().meta({ description: 'How long the body may stay silent before the request fails.' }),
  retry: z
    .strictObject({
      attempts: positiveInt.optional().meta({ description: 'Attempts per request, the first included.' }),
      initialDelay: duration.optional().meta({ description: 'The wait before the first retry.' }),
      maxDelay: duration.optional().meta({ description: 'The longest wait between two attempts.' }),
      factor: z.number().min(1, 'must be 1 or more').optional().meta({ description: 'Each wait is the one before times this.' }),
      jitter: fraction.optional().meta({ description: 'Up to this fraction is added to each wait at random.' }),
      maxRetryAfter: duration.optional().meta({ description: 'A longer `Retry-After` fails the request instead of waiting.' }),
    })
    .optional()
    .meta({ description: 'Retries on network errors, timeouts, 429 and 5xx, with exponential backoff and jitter.' }),
  breaker: z
    .strictObject({
      failures: positiveInt.optional().meta({ description: 'Consecutive failures on one host that open its circuit.' }),
      openFor: duration.optional().meta({ description: 'How long an open circuit fails requests at once before one probe.' }),
    })
    .optional()
    .meta({ description: 'A circuit breaker per host.' }),
})

/**
 * The configuration file. Each key's `meta` feeds docs/configuration.md (`npm run docs:config`): a
 * `description`, a `defaultText` where the default is not a constant, a `flag` where one sets it.
 */
export const configFileSchema = z.strictObject({
  db: z.string().min(1).optional().meta({
    typeText: 'path',
    flag: '--db',
    description: 'The SQLite database file: what `sync` writes unless `sink` names another, and what `backup` copies.',
  }),
  sink: z.string().min(1).optional().meta({
    typeText: 'URL',
    flag: '--sink',
    description: 'Where `sync` writes: `sqlite://FILE` or `postgres://user@host:port/db`. A `--db` flag wins over a sink set in the environment or file.',
    defaultText: '`sqlite://` and `db`',
  }),
  schema: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier (letters, digits, _; at most 63)')
    .optional()
    .meta({ typeText: 'SQL identifier', flag: '--schema', description: 'The PostgreSQL schema that holds the tables.' }),
  pgLock: z
    .enum(['wait', 'skip'])
    .optional()
    .meta({ flag: '--pg-lock', description: 'A source another host is syncing into PostgreSQL: wait for it, or skip it in this run.', defaultText: '`wait`' }),
  cacheDir: z
    .string()
    .min(1)
    .optional()
    .meta({ typeText: 'path', flag: '--cache-dir', description: 'The directory of the cache files: `warm` writes them, `sync` reads them.' }),
  mode: z
    .enum(MODES)
    .optional()
    .meta({ flag: '--mode', description: 'How `sync` loads: `auto` picks a mode from the memory available and the size of the cache.' }),
  chunk: positiveInt.optional().meta({
    flag: '--chunk',
    description: 'Records per transaction in sequential and streaming mode (parallel mode commits per file range). `--chunk auto` sizes them as the run goes.',
    defaultText: 'chosen with the mode',
  }),
  workers: positiveInt.optional().meta({ flag: '--workers', description: 'Worker threads in parallel mode.', defaultText: 'the number of cores' }),
  maxRejects: nonNegativeInt
    .optional()
    .meta({ flag: '--max-rejects', description: 'Past this many rejected records a source fails.', defaultText: 'no limit' }),
  baseUrl: httpUrl
    .optional()
    .meta({ flag: '--base-url', description: 'Replaces the scheme, host and port of every source URL: a mirror, or the local demo API.', defaultText: 'none' }),
  sync: syncSchema.optional().meta({ description: 'Settings of `sync` for every source.' }),
  warm: warmSchema.optional().meta({ description: 'How `warm` paces, retries and times its requests: see [warm](#warm).' }),
  archive: archiveSchema.optional().meta({ description: 'What `cachesync archive` takes out and where it puts it: see [archive.md](archive.md).' }),
  extendBuiltin: z.boolean().optional().meta({ description: 'Add `sources` to the built-in DMR sources instead of replacing them.', defaultText: '`false`' }),
  sources: z
    .array(sourceSchema)
    .optional()
    .meta({ typeText: 'list', description: 'The sources: see [sources](#sources).', defaultText: 'the built-in DMR sources' }),
})

export type ConfigFile = z.infer<typeof configFileSchema>
export type SourceSpec = z.infer<typeof sourceSchema>
export type ColumnSpec = ColumnType | 'auto' | z.infer<typeof columnObjectSchema>
export type WarmSettings = z.infer<typeof warmSchema>
export type ArchiveSettings = z.output<typeof archiveSchema>
export type AuthSpec = z.infer<typeof authSchema>
export type IncrementalSpec = z.infer<typeof incrementalSchema>
export type Pagination = { [K in keyof typeof PAGINATION_FORMS]: z.infer<(typeof PAGINATION_FORMS)[K]> }[keyof typeof PAGINATION_FORMS]

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** Validates an unknown value against a schema, returning issues as `path: message` lines. */
export function validate<T>(schema: z.ZodType<T>, value: unknown): { ok: true; value: T } | { ok: false; issues: string[] } {
  const result = schema.safeParse(value)
  if (result.success) return { ok: true, value: result.data }
  return {
    ok: false,
    issues: result.error.issues.map((issue) => `${formatPath(issue.path) || '(top level)'}: ${issue.message}`),
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('')
}
