import { z } from 'zod'
import { parseDuration } from '../util/duration.js'

/** Table and column names: plain SQL identifiers, so they never need to be trusted raw. */
const identifier = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must start with a letter and hold only letters, digits and _')
  .max(63, 'must be at most 63 characters')

const sourceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must hold only letters, digits, _ and - (it names files in the cache directory)')
  .max(63)

export const COLUMN_TYPES = ['integer', 'real', 'text', 'boolean', 'json'] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]

export const NORMALIZERS = ['network', 'trim', 'upper', 'lower', 'empty-null'] as const
export type Normalizer = (typeof NORMALIZERS)[number]

const columnType = z.enum(COLUMN_TYPES, { error: `must be one of ${COLUMN_TYPES.join(', ')}` })

const columnObject = z.strictObject({
  type: columnType,
  /** Field of the record, dotted for nested fields. @default the column name */
  from: z.string().min(1).optional(),
  required: z.boolean().optional(),
  normalize: z.enum(NORMALIZERS, { error: `must be one of ${NORMALIZERS.join(', ')}` }).optional(),
  /** What a value that cannot be coerced to the type does: reject the record, or become null. @default 'reject' */
  invalid: z.enum(['reject', 'null'], { error: 'must be reject or null' }).optional(),
})

/**
 * A column is a type name or an object. Chosen by the value's shape rather than as a union, so that an
 * error says what the chosen form expected instead of zod's bare "Invalid input".
 */
const columnSpec = z.unknown().transform((value, ctx): ColumnType | z.infer<typeof columnObject> => {
  const form = typeof value === 'object' && value !== null ? columnObject : columnType
  const result = form.safeParse(value)
  if (result.success) return result.data
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path })
  return z.NEVER
})

const positiveInt = z.number().int('must be an integer').positive('must be a positive integer')
const nonNegativeInt = z.number().int('must be an integer').nonnegative('must be 0 or more')
const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1')

/** A duration: `500ms`, `90s`, `30m`, `1h`, `1d` (or combined, `1h30m`), or a number of milliseconds. */
const duration = z.union([z.number(), z.string()]).transform((value, ctx): number => {
  const ms = typeof value === 'number' ? value : parseDuration(value)
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 90s, 30m or 1h (or a number of milliseconds)' })
    return z.NEVER
  }
  return ms
})

const httpUrl = z.string().refine(isHttpUrl, 'must be an absolute http:// or https:// URL')

/** A dotted path into a JSON body: `meta.next`, `links.next`. */
const jsonPath = z.string().min(1, 'must name a field, such as meta.next')

const paginationForms = {
  /** `?limit=1000&offset=2000`: stops on a page shorter than the limit. */
  offset: z.strictObject({
    style: z.literal('offset'),
    /** @default 'limit' */
    limitKey: z.string().min(1).optional(),
    /** @default 'offset' */
    skipKey: z.string().min(1).optional(),
    /** Records asked for per page: the most the API gives. @default 1000 */
    limitMax: positiveInt.optional(),
  }),
  /** `?page=3&per_page=100`: stops on a page shorter than perPage. */
  page: z.strictObject({
    style: z.literal('page'),
    /** @default 'page' */
    pageKey: z.string().min(1).optional(),
    /** @default 'per_page' */
    perPageKey: z.string().min(1).optional(),
    /** @default 100 */
    perPage: positiveInt.optional(),
    /** @default 1 */
    firstPage: nonNegativeInt.optional(),
  }),
  /** The body holds the cursor of the next page (`meta.next_cursor`), sent back as `cursorKey`. */
  cursor: z.strictObject({ style: z.literal('cursor'), cursorPath: jsonPath, cursorKey: z.string().min(1).optional() }),
  /** The body holds the URL of the next page (`links.next`), absolute or relative. */
  'next-link': z.strictObject({ style: z.literal('next-link'), nextPath: jsonPath }),
  /** `Link: <…>; rel="next"` response headers. */
  'link-header': z.strictObject({ style: z.literal('link-header') }),
}
export const PAGINATION_STYLES = Object.keys(paginationForms) as (keyof typeof paginationForms)[]

/** Chosen by `style`, so that an error names what that style expects rather than zod's bare "Invalid input". */
const pagination = z.unknown().transform((value, ctx): Pagination => {
  const style = typeof value === 'object' && value !== null ? (value as { style?: unknown }).style : undefined
  const form = typeof style === 'string' ? paginationForms[style as keyof typeof paginationForms] : undefined
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
 * less safely, `value`.
 */
const authSchema = z
  .strictObject({
    type: z.enum(['bearer', 'header', 'query'], { error: 'must be bearer, header or query' }),
    name: z.string().min(1).optional(),
    /** @default 'Bearer' */
    scheme: z.string().min(1).optional(),
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    value: z.string().min(1).optional(),
  })
  .superRefine((auth, ctx) => {
    if ((auth.env === undefined) === (auth.value === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of env and value' })
    if (auth.type !== 'bearer' && auth.name === undefined) ctx.addIssue({ code: 'custom', message: `type ${auth.type} needs name`, path: ['name'] })
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
  name: sourceName,
  /** Where `cachesync warm` fetches the source: an HTTP(S) JSON API. */
  url: httpUrl.optional(),
  pagination: pagination.optional(),
  auth: authSchema.optional(),
  /** Extra request headers (not secrets: use auth). */
  headers: headersSchema.optional(),
  /** A cache file younger than this is not fetched again. @default the warm setting */
  maxAge: duration.optional(),
  /** A fetch with fewer records is refused and the old cache kept. @default 1 when the cache holds records */
  minRecords: nonNegativeInt.optional(),
  /** The largest fraction of its cached records a fetch may drop before it is refused. @default the warm setting */
  maxShrink: fraction.optional(),
  /** Cache file, relative to the cache directory. @default `<name>.ndjson` (or .json, .jsonl, .gz) */
  file: z.string().min(1).optional(),
  format: z.enum(['ndjson', 'json']).optional(),
  /** Where the records sit in a JSON file: `rptrs`, `data.items`. @default the top-level array */
  recordsPath: z.string().optional(),
  table: identifier.optional(),
  key: z.union([z.string(), z.array(z.string()).min(1)]),
  delete: z.enum(['hard', 'soft']).optional(),
  columns: z.record(identifier, columnSpec).optional(),
  maxRejects: nonNegativeInt.optional(),
  chunk: positiveInt.optional(),
})

export const MODES = ['auto', 'parallel', 'sequential', 'streaming'] as const
export type ModeOption = (typeof MODES)[number]

/** Settings of `cachesync warm`; every duration as in `maxAge`. */
const warmSchema = z.strictObject({
  /** Requests in flight at once, over all sources. @default 4 */
  concurrency: positiveInt.optional(),
  /** A cache file younger than this is not fetched. @default none: every source is checked */
  maxAge: duration.optional(),
  /** The largest fraction of a source's cached records a fetch may drop; more is refused, the old cache kept. @default 0.5 */
  maxShrink: fraction.optional(),
  /** Requests a second to any one host. @default no cap */
  requestsPerSecond: z.number().positive('must be a positive number').optional(),
  /** Time to wait for the response headers. @default 30s */
  headersTimeout: duration.optional(),
  /** Time without a byte of the body before giving up. @default 60s */
  bodyTimeout: duration.optional(),
  retry: z
    .strictObject({
      /** Attempts per request, the first included. @default 5 */
      attempts: positiveInt.optional(),
      /** @default 1s */
      initialDelay: duration.optional(),
      /** @default 30s */
      maxDelay: duration.optional(),
      /** @default 2 */
      factor: z.number().min(1, 'must be 1 or more').optional(),
      /** Up to this fraction is added to each delay at random. @default 0.1 */
      jitter: fraction.optional(),
      /** A Retry-After longer than this fails the request instead of waiting. @default 5m */
      maxRetryAfter: duration.optional(),
    })
    .optional(),
  breaker: z
    .strictObject({
      /** Consecutive failures on one host that open its circuit. @default 5 */
      failures: positiveInt.optional(),
      /** How long an open circuit fails requests at once before a probe. @default 60s */
      openFor: duration.optional(),
    })
    .optional(),
})

export const configFileSchema = z.strictObject({
  db: z.string().min(1).optional(),
  /** Where rows go: `sqlite://FILE` (the default, like `db`) or `postgres://user@host:port/db`. */
  sink: z.string().min(1).optional(),
  /** The PostgreSQL schema of the tables. @default public */
  schema: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier (letters, digits, _; at most 63)')
    .optional(),
  /** A source another host is syncing (PostgreSQL): wait for it, or skip it in this run. @default wait */
  pgLock: z.enum(['wait', 'skip']).optional(),
  cacheDir: z.string().min(1).optional(),
  mode: z.enum(MODES).optional(),
  chunk: positiveInt.optional(),
  workers: positiveInt.optional(),
  maxRejects: nonNegativeInt.optional(),
  /** Replaces the scheme, host and port of every source URL: a mirror, or the local demo API. */
  baseUrl: httpUrl.optional(),
  warm: warmSchema.optional(),
  /** Replace the built-in DMR sources (the default) or add to them. */
  extendBuiltin: z.boolean().optional(),
  sources: z.array(sourceSchema).optional(),
})

export type ConfigFile = z.infer<typeof configFileSchema>
export type SourceSpec = z.infer<typeof sourceSchema>
export type ColumnSpec = ColumnType | z.infer<typeof columnObject>
export type WarmSettings = z.infer<typeof warmSchema>
export type AuthSpec = z.infer<typeof authSchema>
export type Pagination = { [K in keyof typeof paginationForms]: z.infer<(typeof paginationForms)[K]> }[keyof typeof paginationForms]

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
