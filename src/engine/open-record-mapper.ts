import type { SchemaPolicy } from '../config/config-schema.js'
import { type FieldType, holds, joinTypes, toStored, typeOfValue } from '../schema/field-type.js'
import { forEachField, pathKey } from '../schema/flatten-record.js'
import type { OpenColumn, OpenSpec } from '../schema/open-spec.js'
import { holdsNonFinite } from '../util/json-limits.js'
import { createRecordMapper, describeValue, isStorableText, type MappingSpec, type MapResult, type RowValues } from './record-mapper.js'

interface LiveColumn {
  readonly path: readonly string[]
  readonly dotted: string
  type: FieldType
  readonly key: boolean
}

/**
 * Maps records to rows of the configured columns followed by one column per other field, learning as it
 * goes: a field never seen before becomes a column at the end, a value that does not fit its column's
 * type widens it (`evolve`); `freeze` rejects such a record instead, and `discard` drops the value.
 *
 * Until `finishRows`, the inferred part of a row holds the record's own values: only when the chunk's
 * records are all mapped is each column's type known, and the values are stored under it then.
 */
export class OpenRecordMapper {
  readonly #configured: (record: unknown) => MapResult
  readonly #fixed: number
  readonly #columns: LiveColumn[] = []
  readonly #keys: LiveColumn[] = []
  readonly #index = new Map<string, number>()
  readonly #configuredPaths: ReadonlySet<string>
  readonly #flatten: number
  readonly #policy: SchemaPolicy
  /** Values dropped under `discard`, by field (dotted). */
  readonly dropped = new Map<string, number>()

  constructor(spec: MappingSpec & { open: OpenSpec }) {
    this.#configured = createRecordMapper({ columns: spec.columns, recordsPath: spec.recordsPath })
    this.#fixed = spec.columns.length
    this.#configuredPaths = new Set(spec.columns.map((c) => pathKey(c.from)))
    this.#flatten = spec.open.flatten
    this.#policy = spec.open.policy
    for (const column of spec.open.columns) this.#add(column.path, column.type, column.key)
  }

  map = (record: unknown): MapResult => {
    const head = this.#configured(record)
    if (!head.ok) return head
    // The key first: a record rejected for it must teach the schema nothing.
    for (const column of this.#keys) {
      const value = readPath(record as Record<string, unknown>, column.path)
      if (value === undefined || value === null || value === '') return { ok: false, reason: `${column.dotted}: missing (it is the key)` }
      if (!holds(column.type, typeOfValue(value))) {
        return { ok: false, reason: `${column.dotted}: expected ${column.type} (the key's type), got ${describeValue(value)}` }
      }
    }
    const values = head.values
    values.length = this.#fixed + this.#columns.length
    const problem = this.#flatten === 0 ? this.#topLevel(record as Record<string, unknown>, values) : this.#nested(record as Record<string, unknown>, values)
    if (problem !== undefined) return { ok: false, reason: problem }
    return { ok: true, values }
  }

  /** Every field of a record not flattened: the field's name is its key, no path made for it. */
  #topLevel(record: Record<string, unknown>, values: RowValues): string | undefined {
    for (const name in record) {
      if (!Object.hasOwn(record, name)) continue
      const problem = this.#field(name, undefined, record[name], values)
      if (problem !== undefined) return problem
    }
    return undefined
  }

  #nested(record: Record<string, unknown>, values: RowValues): string | undefined {
    let problem: string | undefined
    forEachField(record, this.#flatten, (path, value) => {
      problem ??= this.#field(pathKey(path), path, value, values)
    })
    return problem
  }

  /** Puts one field's value in its column, adding or widening the column as the policy says; or why not. */
  #field(key: string, fieldPath: readonly string[] | undefined, value: unknown, values: RowValues): string | undefined {
    if (this.#configuredPaths.has(key)) return undefined
    let at = this.#index.get(key)
    const known = at === undefined ? undefined : (this.#columns[at] as LiveColumn)
    // The common case, a text column meeting a string, needs no typing: text holds any string.
    if (known?.type === 'text' && typeof value === 'string' && isStorableText(value)) {
      values[this.#fixed + (at as number)] = value
      return undefined
    }
    const path = fieldPath ?? [key]
    const unstorable = whyUnstorable(value)
    if (unstorable !== undefined) return `${path.join('.')}: ${unstorable}`
    const type = typeOfValue(value)
    if (known === undefined) {
      if (this.#policy === 'freeze') return `${path.join('.')}: a field the schema does not have (schema: freeze)`
      if (this.#policy === 'discard') {
        this.#drop(path.join('.'))
        return undefined
      }
      at = this.#add(path, type, false)
    } else if (!holds(known.type, type)) {
      if (this.#policy === 'freeze') return `${known.dotted}: expected ${known.type} (schema: freeze), got ${describeValue(value)}`
      if (this.#policy === 'discard') {
        this.#drop(known.dotted)
        return undefined
      }
      known.type = joinTypes(known.type, type)
    }
    values[this.#fixed + (at as number)] = value as RowValues[number]
    return undefined
  }

  /** Stores the inferred values of rows mapped so far under their columns' types, in place. */
  finishRows(rows: readonly RowValues[]): void {
    const fixed = this.#fixed
    const types = this.#columns.map((c) => c.type)
    const width = fixed + types.length
    for (const row of rows) {
      const had = row.length
      row.length = width
      for (let at = 0; at < types.length; at++) {
        const i = fixed + at
        const value = i < had ? row[i] : undefined
        const type = types[at] as FieldType
        // Most values are stored as they came: a string in a text column, a number in a numeric one.
        if (value === undefined) row[i] = null
        else if (value !== null && !(typeof value === 'string' ? type === 'text' : typeof value === 'number' && (type === 'integer' || type === 'real')))
          row[i] = toStored(value, type)
      }
    }
  }

  /** The inferred columns as they stand: those the mapper started with, in order, then those it added. */
  columns(): OpenColumn[] {
    return this.#columns.map(({ path, type, key }) => ({ path, type, key }))
  }

  #add(path: readonly string[], type: FieldType, key: boolean): number {
    const at = this.#columns.length
    const column = { path, dotted: path.join('.'), type, key }
    this.#columns.push(column)
    if (key) this.#keys.push(column)
    this.#index.set(pathKey(path), at)
    return at
  }

  #drop(field: string): void {
    this.dropped.set(field, (this.dropped.get(field) ?? 0) + 1)
  }
}

function readPath(record: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = record
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

/** Why neither sink can keep a value as it is (see `isStorableText`); undefined when it can. */
function whyUnstorable(value: unknown): string | undefined {
  if (typeof value === 'string') {
    if (isStorableText(value)) return undefined
    return value.includes('\u0000') ? 'a text that holds a NUL character' : 'a text that holds a lone surrogate'
  }
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'a number out of range'
  if (typeof value === 'object' && value !== null && holdsNonFinite(value)) return 'holds a number out of range'
  return undefined
}
