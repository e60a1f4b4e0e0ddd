import { type FieldType, joinTypes, typeOfValue } from './field-type.js'
import { forEachField, pathKey } from './flatten-record.js'

/** A field as a sample of records shows it. */
export interface SampledField {
  readonly path: readonly string[]
  readonly type: FieldType
  /** Records of the sample that hold it (null included). */
  readonly present: number
  /** Every record of the sample holds a scalar here, no two the same: it could be the key. */
  readonly unique: boolean
}

/** Distinct values kept per field to tell a key; past this the field is not a candidate. */
const MAX_DISTINCT = 100_000

/**
 * The fields of a sample of records, in order of first appearance, typed by joining every value seen
 * (see `joinTypes`). `skip` holds the paths (see `pathKey`) that configured columns already read.
 */
export function sampleFields(records: readonly unknown[], flatten: number, skip: ReadonlySet<string> = new Set()): SampledField[] {
  const fields = new Map<string, { path: readonly string[]; type: FieldType; present: number; values: Set<unknown> | undefined }>()
  let objects = 0
  for (const record of records) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) continue
    objects++
    forEachField(record as Record<string, unknown>, flatten, (path, value) => {
      const key = pathKey(path)
      if (skip.has(key)) return
      let field = fields.get(key)
      if (field === undefined) {
        field = { path, type: 'null', present: 0, values: new Set() }
        fields.set(key, field)
      }
      field.type = joinTypes(field.type, typeOfValue(value))
      field.present++
      const values = field.values
      if (values === undefined) return
      const scalar = typeof value === 'number' || (typeof value === 'string' && value !== '')
      if (!scalar || values.has(value) || values.size >= MAX_DISTINCT) field.values = undefined
      else values.add(value)
    })
  }
  return [...fields.values()].map(({ path, type, present, values }) => ({
    path,
    type,
    present,
    unique: values !== undefined && present === objects && objects > 0 && (type === 'integer' || type === 'text'),
  }))
}

/** The key of a source without a configured one: `id` when the sample says it can be; else the candidates. */
export function chooseKey(fields: readonly SampledField[]): { key: string } | { candidates: string[] } {
  const unique = fields.filter((f) => f.unique && f.path.length === 1)
  if (unique.some((f) => f.path[0] === 'id')) return { key: 'id' }
  return { candidates: unique.map((f) => f.path[0] as string) }
}
