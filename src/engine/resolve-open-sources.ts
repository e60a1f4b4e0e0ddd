import { locateCacheFile } from '../cache/cache-files.js'
import type { InferredColumn, ResolvedColumn, ResolvedSource } from '../config/resolve-config.js'
import { ColumnNamer } from '../schema/column-names.js'
import { storageType } from '../schema/field-type.js'
import { pathKey } from '../schema/flatten-record.js'
import { chooseKey, sampleFields } from '../schema/infer-schema.js'
import { CachesyncError, ConfigError } from '../util/errors.js'

/** Records read to infer a new table's columns; the sync learns the rest as it goes. */
export const SAMPLE_RECORDS = 1000

/** Where a source's inferred columns are kept between syncs. */
export interface StoredSchemaSource {
  storedSchema(source: string): Promise<InferredColumn[] | undefined>
}

/** A source ready to sync, or why it cannot be (its cache file missing, or holding no record to infer from). */
export type OpenSourceResolution = { source: ResolvedSource } | { source: ResolvedSource; error: Error }

/**
 * Gives every source with inferred columns its columns and key: those a sync recorded for its table, or
 * for a table still to be made, those of the first records of its cache file (see `inferColumns`).
 */
export async function resolveOpenSources(sources: readonly ResolvedSource[], cacheDir: string, stored: StoredSchemaSource): Promise<OpenSourceResolution[]> {
  const resolved: OpenSourceResolution[] = []
  for (const source of sources) {
    if (source.open === undefined) {
      resolved.push({ source })
      continue
    }
    const columns = await stored.storedSchema(source.name)
    if (columns !== undefined && columns.length > 0) {
      resolved.push({ source: withInferred(source, columns) })
      continue
    }
    try {
      const file = await locateCacheFile(cacheDir, source)
      // The JSON reader is loaded only here, for a first sync of an open source: a cron run skips it.
      const { sampleRecords } = await import('../cache/sample-records.js')
      const records = await sampleRecords(file, source.recordsPath, SAMPLE_RECORDS)
      if (records.length === 0) {
        const reason = `${file.path}: no record to infer source ${source.name}'s columns from; configure its columns, or warm it first`
        resolved.push({ source, error: new CachesyncError('ERR_PARSE', reason) })
        continue
      }
      // A key that cannot be chosen is the configuration's to fix: it stops the run (exit 2).
      resolved.push({ source: withInferred(source, inferColumns(source, records)) })
    } catch (err) {
      if (err instanceof ConfigError) throw err
      resolved.push({ source, error: err as Error })
    }
  }
  return resolved
}

/**
 * The inferred columns of a source from a sample of its records: one per field the configured columns
 * do not read, typed by the values seen, named by `ColumnNamer`; the key is the configured one, else `id`
 * where every record holds a unique one, else a configuration error naming the candidates.
 */
export function inferColumns(source: ResolvedSource, records: readonly unknown[]): InferredColumn[] {
  const open = source.open ?? { flatten: 0, policy: 'evolve' }
  const fields = sampleFields(records, open.flatten, new Set(source.columns.map((c) => pathKey(c.from))))
  // The key's fields that no configured column reads: inferred columns, marked as the key.
  let keyFields = source.key.filter((k) => !source.columns.some((c) => c.name === k))
  if (source.key.length === 0) {
    // Every top-level field, those the configured columns read included: a configured `id` can be the key.
    const choice = chooseKey(sampleFields(records, 0))
    if ('candidates' in choice) {
      const found =
        choice.candidates.length === 0 ? 'none of their fields is' : `${choice.candidates.join(', ')} ${choice.candidates.length === 1 ? 'is' : 'are'}`
      throw new ConfigError(
        `source ${source.name}: no key. Not every one of the first ${records.length} records has a unique "id"; ${found} present and unique in all of them. ` +
          `Set key: <field> (or a list) in the source's configuration.`,
      )
    }
    keyFields = keyColumnOf(source.columns, choice.key) === undefined ? [choice.key] : []
  }
  const namer = new ColumnNamer(source.columns.map((c) => c.name))
  const columns = fields.map((field) => {
    const isKey = field.path.length === 1 && keyFields.includes(field.path[0] as string)
    return { name: namer.name(field.path), path: field.path, type: field.type, key: isKey }
  })
  for (const k of keyFields) {
    const column = columns.find((c) => c.key && c.path[0] === k)
    if (column === undefined) throw new ConfigError(`source ${source.name}: key ${k} is not a field of its first ${records.length} records`)
    if (column.type !== 'integer' && column.type !== 'text') {
      throw new ConfigError(`source ${source.name}: key ${k} holds ${column.type} values in the first ${records.length} records; a key is integers or text`)
    }
  }
  return columns
}

/**
 * The source with these inferred columns after its configured ones, and its key as their names. Without
 * a configured key, the key is the inferred column marked so, else the configured column that reads `id`:
 * `inferColumns` chose that one, and choosing it again from the stored columns gives the same key.
 */
export function withInferred(source: ResolvedSource, inferred: readonly InferredColumn[]): ResolvedSource {
  const configured = source.columns.slice(0, source.columns.length - source.inferred.length)
  // A configured key names a field: its column may be named otherwise (`user-id` → `user_id`).
  const inferredKey = inferred.filter((c) => c.key).map((c) => c.name)
  const configuredKey = keyColumnOf(configured, 'id')
  const key =
    source.key.length > 0
      ? source.key.map((k) => (configured.some((c) => c.name === k) ? k : (inferred.find((c) => c.key && c.path.length === 1 && c.path[0] === k)?.name ?? k)))
      : inferredKey.length > 0 || configuredKey === undefined
        ? inferredKey
        : [configuredKey]
  const columns: ResolvedColumn[] = [
    ...configured.map((c) => (key.includes(c.name) && !c.required ? { ...c, required: true } : c)),
    ...inferred.map((c) => ({ name: c.name, from: c.path, type: storageType(c.type), required: c.key, normalize: undefined, invalid: 'reject' as const })),
  ]
  return { ...source, key, columns, inferred }
}

/** The configured column that reads the top-level field `field`, where one does. */
function keyColumnOf(columns: readonly ResolvedColumn[], field: string): string | undefined {
  return columns.find((c) => c.from.length === 1 && c.from[0] === field)?.name
}
