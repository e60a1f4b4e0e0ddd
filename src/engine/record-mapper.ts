import { normalize } from '../config/normalizers.js'
import type { ResolvedColumn, ResolvedSource } from '../config/resolve-config.js'
import { ROW_HASH_ALGORITHM, textFingerprint } from '../util/row-hash.js'

/** A mapped row: one SQLite value per configured column, in column order. */
export type RowValues = (string | number | null)[]

export type MapResult = { ok: true; values: RowValues } | { ok: false; reason: string }

/** The serialisable part of a source that a mapper needs: what workers receive. */
export interface MappingSpec {
  readonly columns: readonly ResolvedColumn[]
  readonly recordsPath: readonly string[]
}

/** The mapping's identity: when it changes, every record is mapped again rather than trusted by its hash. */
export function mappingFingerprint(source: Pick<ResolvedSource, 'columns' | 'key'>): string {
  return textFingerprint(JSON.stringify([ROW_HASH_ALGORITHM, source.key, source.columns]))
}

/** Compiles the column mapping of a source into one function from a parsed record to a row. */
export function createRecordMapper(spec: MappingSpec): (record: unknown) => MapResult {
  const columns = spec.columns
  const count = columns.length
  return (record) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return { ok: false, reason: `expected a JSON object, got ${describe(record)}` }
    }
    const values: RowValues = new Array(count)
    for (let i = 0; i < count; i++) {
      const column = columns[i] as ResolvedColumn
      const raw = readField(record as Record<string, unknown>, column.from)
      let value = coerce(column.normalize === undefined ? raw : normalize(column.normalize, raw), column)
      if (value === INVALID && column.invalid === 'null') value = null
      if (value === INVALID) return { ok: false, reason: `${column.name}: expected ${column.type}, got ${describe(raw)}` }
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
      if (typeof raw === 'string') return raw
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw)
      return JSON.stringify(raw)
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
      return JSON.stringify(raw)
  }
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

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
