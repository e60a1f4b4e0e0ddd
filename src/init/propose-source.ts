import type { InferredColumn, ResolvedSource } from '../config/resolve-config.js'
import { inferColumns } from '../engine/resolve-open-sources.js'
import { ColumnNamer } from '../schema/column-names.js'
import { chooseKey, type SampledField, sampleFields } from '../schema/infer-schema.js'

/** The key, nesting and columns proposed for a source from the records of its first page. */
export interface SourceProposal {
  /** The key to configure; undefined when it is `id` (the engine's default) or when there is none. */
  readonly key: string | undefined
  /** False when no field can be the key: the source needs one set by hand. */
  readonly keyFound: boolean
  readonly keyReason: string
  /** 1 when records hold objects: their fields become `parent__child` columns. */
  readonly flatten: 0 | 1
  readonly flattenReason: string
  /** The columns `sync` infers from these records, as the engine names and types them. */
  readonly columns: readonly InferredColumn[]
}

/**
 * Proposes a source's key, flatten and columns by the engine's own inference (`sampleFields`, `chooseKey`,
 * `inferColumns`), so that what `init` prints is what `sync` will make. Where no unique `id` exists, the
 * best unique field is proposed: one named like an identifier, then an integer, then the first.
 */
export function proposeSource(name: string, records: readonly Record<string, unknown>[]): SourceProposal {
  const nested = nestedFields(records)
  const flatten = nested.length > 0 ? 1 : 0
  const flattenReason =
    flatten === 1
      ? `1: ${list(nested)} ${nested.length === 1 ? 'holds objects' : 'hold objects'}, whose fields become ${nested[0]}__… columns`
      : '0: no field holds an object'
  const fields = sampleFields(records, flatten)
  const n = records.length
  const choice = chooseKey(fields)
  const source = openSource(name, flatten)
  if ('key' in choice) {
    return {
      key: undefined,
      keyFound: true,
      keyReason: `id: present and unique in all ${n} records of the first page`,
      flatten,
      flattenReason,
      columns: inferColumns(source, records),
    }
  }
  const why = whyNotId(fields, n)
  const best = bestCandidate(choice.candidates, fields)
  if (best === undefined) {
    const namer = new ColumnNamer([])
    const columns = fields.map((f) => ({ name: namer.name(f.path), path: f.path, type: f.type, key: false }))
    return {
      key: undefined,
      keyFound: false,
      keyReason: `none: ${why}, and no other field is present and unique in all ${n} records; set key: <field> (or a list of fields) in the source before cachesync sync`,
      flatten,
      flattenReason,
      columns,
    }
  }
  const others = choice.candidates.filter((c) => c !== best.name)
  return {
    key: best.name,
    keyFound: true,
    keyReason: `${best.name}: ${why}; ${best.name} is present and unique in all ${n} records of the first page${best.why}${others.length > 0 ? ` (also unique: ${list(others)})` : ''}`,
    flatten,
    flattenReason,
    columns: inferColumns({ ...source, key: [best.name] }, records),
  }
}

/** The source as the engine resolves one without columns, for `inferColumns`. */
function openSource(name: string, flatten: number): ResolvedSource {
  return {
    name,
    file: undefined,
    format: undefined,
    recordsPath: [],
    table: name.replaceAll('-', '_'),
    key: [],
    delete: 'hard',
    columns: [],
    open: { flatten, policy: 'evolve' },
    inferred: [],
    maxRejects: undefined,
    chunk: undefined,
    http: undefined,
  }
}

function bestCandidate(candidates: readonly string[], fields: readonly SampledField[]): { name: string; why: string } | undefined {
  // A key is named in the configuration and is a column name too: a field whose name is not an identifier cannot be both.
  const usable = candidates.filter((c) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(c))
  const typeOf = (name: string) => fields.find((f) => f.path.length === 1 && f.path[0] === name)?.type
  const idLike = usable.find((c) => /(^|_)(id|uuid|guid|key|code|slug)$/i.test(c) || /[a-z](Id|Uuid|Key|Code)$/.test(c))
  if (idLike !== undefined) return { name: idLike, why: ' and named like an identifier' }
  const integer = usable.find((c) => typeOf(c) === 'integer')
  if (integer !== undefined) return { name: integer, why: ', the first such integer field' }
  const first = usable[0]
  return first === undefined ? undefined : { name: first, why: ', the first such field' }
}

function whyNotId(fields: readonly SampledField[], n: number): string {
  const id = fields.find((f) => f.path.length === 1 && f.path[0] === 'id')
  if (id === undefined) return 'the records have no id'
  if (id.present < n) return `id is missing from ${n - id.present} of the ${n} records`
  if (id.type !== 'integer' && id.type !== 'text') return `id holds ${id.type} values`
  return 'id is not unique'
}

/** The top-level fields that hold a non-empty object in some record. */
function nestedFields(records: readonly Record<string, unknown>[]): string[] {
  const nested = new Set<string>()
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) nested.add(name)
    }
  }
  return [...nested]
}

function list(names: readonly string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`
}
