import { normalize } from '../config/normalizers.js'
import type { ResolvedColumn, ResolvedSource } from '../config/resolve-config.js'
import type { OpenSpec } from '../schema/open-spec.js'
import { holdsNonFinite } from '../util/json-limits.js'
import { ROW_HASH_ALGORITHM, textFingerprint } from '../util/row-hash.js'

/** A mapped row: one SQLite value per configured column, in column order. */
export type RowValues = (string | number | null)[]

export type MapResult = { ok: true; values: RowValues } | { ok: false; reason: string }

/** The serialisable part of a source that a mapper needs: what workers receive. */
export interface MappingSpec {
  /** The configured columns (where `open` is set, the inferred ones are in `open.columns`). */
  readonly columns: readonly ResolvedColumn[]
  readonly recordsPath: readonly string[]
  readonly open?: OpenSpec | undefined
}

/**
 * The mapping's identity: when it changes, every row is rewritten rather than trusted by its hash. The
 * columns a sync inferred are not part of it: they grow with the data, and widening one converts its
 * stored values as the mapper would have written them.
 */
export function mappingFingerprint(source: Pick<ResolvedSource, 'columns' | 'key' | 'open' | 'inferred'>): string {
  if (source.open === undefined) return textFingerprint(JSON.stringify([ROW_HASH_ALGORITHM, source.key, source.columns]))
  const configured = source.columns.slice(0, source.columns.length - source.inferred.length)
  return textFingerprint(JSON.stringify([ROW_HASH_ALGORITHM, source.key, configured, source.open]))
}

/** What a job's mapper is given: the configured columns, and the inferred ones of an open source. */
export function mappingSpecOf(source: ResolvedSource): MappingSpec {
  if (source.open === undefined) return { columns: source.columns, recordsPath: source.recordsPath }
  const configured = source.columns.length - source.inferred.length
  return {
    columns: source.columns.slice(0, configured),
    recordsPath: source.recordsPath,
    open: { flatten: source.open.flatten, policy: source.open.policy, columns: source.inferred.map(({ path, type, key }) => ({ path, type, key })) },
  }
}

/** Compiles the column mapping of a source into one function from a parsed record to a row. */
export function createRecordMapper(spec: MappingSpec): (record: unknown) => MapResult {
  const columns = spec.columns
  const count = columns.length
  return (record) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return { ok: false, reason: `expected a JSON object, got ${describeValue(record)}` }
    }
    const values: RowValues = new Array(count)
    for (let i = 0; i < count; i++) {
      const column = columns[i] as ResolvedColumn
      const raw = readField(record as Record<string, unknown>, column.from)
      let value = coerce(column.normalize === undefined ? raw : normalize(column.normalize, raw), column)
      if (value === INVALID && column.invalid === 'null') value = null
      if (value === INVALID) return { ok: false, reason: `${column.name}: expected ${column.type}, got ${describeValue(raw)}${whyInvalid(raw, column)}` }
      if (value === null && column.required)
        return { ok: false, reason: `${column.name}: missing (it is ${raw === undefined ? 'absent' : 'null or empty'}; the column is required)` }
      values[i] = value
    }
    return { ok: true, values }
  }
}

const INVALID = Symbol('invalid')

function readField(record: Record<string, unknown>, path: readonly string[]): unknown {
  if (path.length === 1) return record[path[0] as string]
  let current: unknown = record
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

function coerce(raw: unknown, column: ResolvedColumn): string | number | null | typeof INVALID {
  if (raw === undefined || raw === null) return null
  switch (column.type) {
    case 'text':
      if (typeof raw === 'string') return isStorableText(raw) ? raw : INVALID
      if (typeof raw === 'number') return Number.isFinite(raw) ? String(raw) : INVALID
      if (typeof raw === 'boolean') return String(raw)
      return toJson(raw)
    case 'integer': {
      const n = toNumber(raw)
      if (n === null) return null
      return Number.isSafeInteger(n) ? n : INVALID
    }
    case 'real':
      return toNumber(raw)
    case 'boolean':
      return toBoolean(raw)
    case 'json':
      return toJson(raw)
  }
}

/** JSON text, but not for a value holding a number out of range, which JSON.stringify would write as null. */
function toJson(raw: unknown): string | typeof INVALID {
  // Cannot overflow the stack: RecordProcessor rejects records nested deeper than MAX_JSON_DEPTH.
  const text = JSON.stringify(raw)
  return text.includes('null') && holdsNonFinite(raw) ? INVALID : text
}

/**
 * False for a string that neither sink can keep as it is: PostgreSQL text cannot hold NUL, and a lone
 * surrogate (`"\ud800"`) has no UTF-8 form, so it would be written as U+FFFD.
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && (text as string & { isWellFormed(): boolean }).isWellFormed()
}

/** What a reject's reason adds to "expected <type>, got <value>" where the value alone does not say what is wrong. */
function whyInvalid(raw: unknown, column: ResolvedColumn): string {
  if (column.type === 'text' || column.type === 'json') {
    if (typeof raw === 'string') return raw.includes('\u0000') ? ', which holds a NUL character' : ', which holds a lone surrogate'
    return typeof raw === 'object' && raw !== null ? ', which holds a number out of range' : ''
  }
  const n = typeof raw === 'string' ? Number(raw.trim()) : raw
  if (typeof raw === 'string' && Math.abs(n as number) === Number.POSITIVE_INFINITY && /\d/.test(raw)) return ', a number out of range'
  if (column.type === 'integer' && Number.isInteger(n) && !Number.isSafeInteger(n)) return `, out of the exact integer range (±${Number.MAX_SAFE_INTEGER})`
  return ''
}

function toNumber(raw: unknown): number | null | typeof INVALID {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : INVALID
  if (typeof raw === 'string') {
    const trimmed = raw.trim()
    if (trimmed === '') return null
    const n = Number(trimmed)
    return Number.isFinite(n) ? n : INVALID
  }
  if (typeof raw === 'boolean') return raw ? 1 : 0
  return INVALID
}

function toBoolean(raw: unknown): number | null | typeof INVALID {
  if (raw === true || raw === 1 || raw === '1' || raw === 'true') return 1
  if (raw === false || raw === 0 || raw === '0' || raw === 'false') return 0
  if (raw === '') return null
  return INVALID
}

/** A value as a reject's reason quotes it: short, and never a whole object. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  // JSON.parse reads 1e400 as Infinity, which JSON.stringify would show as null.
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a number out of range'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
