import { z } from 'zod'

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

export const sourceSchema = z.strictObject({
  name: sourceName,
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

export const configFileSchema = z.strictObject({
  db: z.string().min(1).optional(),
  cacheDir: z.string().min(1).optional(),
  mode: z.enum(MODES).optional(),
  chunk: positiveInt.optional(),
  workers: positiveInt.optional(),
  maxRejects: nonNegativeInt.optional(),
  /** Replace the built-in DMR sources (the default) or add to them. */
  extendBuiltin: z.boolean().optional(),
  sources: z.array(sourceSchema).optional(),
})

export type ConfigFile = z.infer<typeof configFileSchema>
export type SourceSpec = z.infer<typeof sourceSchema>
export type ColumnSpec = ColumnType | z.infer<typeof columnObject>

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
