import { locateCacheFile } from '../cache/cache-files.js'
import { sampleRecords } from '../cache/sample-records.js'
import type { ColumnSpec } from '../config/config-schema.js'
import type { ResolvedColumn, ResolvedConfig, ResolvedSource } from '../config/resolve-config.js'
import { inferColumns, SAMPLE_RECORDS, withInferred } from '../engine/resolve-open-sources.js'
import { openSinkReader } from '../sink/open-sink.js'
import { ConfigError } from '../util/errors.js'

/**
 * A source's mapping as configuration: what `cachesync schema` prints, for a user to paste into their
 * file and edit. `from` says where the columns came from: the configuration alone, the table (what
 * syncs recorded in `sync_schema`), or, before a first sync, the first records of the cache file.
 */
export interface SourceMapping {
  name: string
  from: 'configuration' | 'table' | 'cache file'
  /** Written as the configuration writes it. */
  source: { name: string; table?: string; key: string | string[]; columns: Record<string, ColumnSpec> }
  /** Inferred columns that have met only nulls so far: typed text until they learn more. */
  untyped: string[]
}

/** The mappings of the named sources (all when none is named), in configuration order. */
export async function readSourceMappings(config: ResolvedConfig, names: readonly string[] = []): Promise<SourceMapping[]> {
  const unknown = names.filter((name) => !config.sources.some((s) => s.name === name))
  if (unknown.length > 0) {
    throw new ConfigError(`No source named ${unknown.join(', ')}; the configuration has ${config.sources.map((s) => s.name).join(', ')}`)
  }
  const sources = config.sources.filter((s) => names.length === 0 || names.includes(s.name))
  const reader = await openSinkReader(config.sink)
  try {
    const mappings: SourceMapping[] = []
    for (const source of sources) {
      if (source.open === undefined) {
        mappings.push(asMapping(source, 'configuration'))
        continue
      }
      const stored = await reader.storedSchema(source.name)
      if (stored !== undefined) {
        mappings.push(asMapping(withInferred(source, stored), 'table'))
        continue
      }
      const file = await locateCacheFile(config.cacheDir, source)
      const records = await sampleRecords(file, source.recordsPath, SAMPLE_RECORDS)
      if (records.length === 0) throw new ConfigError(`${file.path}: no record to infer source ${source.name}'s columns from; warm it first`)
      mappings.push(asMapping(withInferred(source, inferColumns(source, records)), 'cache file'))
    }
    return mappings
  } finally {
    await reader.close()
  }
}

function asMapping(source: ResolvedSource, from: SourceMapping['from']): SourceMapping {
  const defaultTable = source.name.replaceAll('-', '_')
  return {
    name: source.name,
    from,
    source: {
      name: source.name,
      ...(source.table === defaultTable ? {} : { table: source.table }),
      key: source.key.length === 1 ? (source.key[0] as string) : [...source.key],
      columns: Object.fromEntries(source.columns.map((c) => [c.name, columnSpec(c, source.key.includes(c.name))])),
    },
    untyped: source.inferred.filter((c) => c.type === 'null').map((c) => c.name),
  }
}

/** A column as the configuration writes it: its type alone where nothing else differs from the defaults. */
function columnSpec(column: ResolvedColumn, isKey: boolean): ColumnSpec {
  const from = column.from.join('.')
  const required = column.required && !isKey
  if (from === column.name && !required && column.normalize === undefined && column.invalid === 'reject') return column.type
  return {
    type: column.type,
    ...(from === column.name ? {} : { from }),
    ...(required ? { required } : {}),
    ...(column.normalize === undefined ? {} : { normalize: column.normalize }),
    ...(column.invalid === 'reject' ? {} : { invalid: column.invalid }),
  }
}
