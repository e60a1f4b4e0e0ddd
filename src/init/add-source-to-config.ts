import { extname } from 'node:path'
import { Document, isMap, isScalar, isSeq, parseDocument, YAMLSeq } from 'yaml'
import { configFileSchema, type SourceSpec, validate } from '../config/config-schema.js'
import { CachesyncError, ConfigError } from '../util/errors.js'

/**
 * The text of configuration file `file` with `source` added at the end of its `sources`: `existing` is its
 * text, or undefined for a new file. YAML keeps every comment and adds `comment` (lines without `#`) above
 * the source; a `.json` file stays JSON, without the comment. A source of the same name or table is refused
 * (ERR_USAGE), as is a file that does not parse or a result that would not validate (ERR_CONFIG).
 */
export function addSourceToConfig(existing: string | undefined, file: string, source: SourceSpec, comment: string): string {
  if (extname(file).toLowerCase() === '.json') return addToJson(existing, file, source)
  const doc = existing === undefined || existing.trim() === '' ? new Document({}) : parseDocument(existing)
  if (doc.errors.length > 0) throw new ConfigError(`Configuration file ${file} is not valid YAML: ${(doc.errors[0] as Error).message.split('\n')[0]}`)
  if (!isMap(doc.contents)) throw new ConfigError(`Configuration file ${file} does not hold a map of settings at its top level`)
  refuseTaken(doc.toJS() as Record<string, unknown>, file, source)
  let sources = doc.get('sources', true)
  if (sources === undefined || (isScalar(sources) && sources.value === null)) {
    sources = new YAMLSeq()
    doc.set('sources', sources)
  }
  if (!isSeq(sources)) throw new ConfigError(`Configuration file ${file}: sources is not a list`)
  // A `sources: []` written inline would put the new source, comment and all, on one line.
  sources.flow = false
  const node = doc.createNode(source)
  node.commentBefore = comment
  node.spaceBefore = sources.items.length > 0
  sources.items.push(node)
  const text = doc.toString({ lineWidth: 0 })
  check(parseDocument(text).toJS(), file)
  return text
}

function addToJson(existing: string | undefined, file: string, source: SourceSpec): string {
  let parsed: unknown = {}
  if (existing !== undefined && existing.trim() !== '') {
    try {
      parsed = JSON.parse(existing)
    } catch (err) {
      throw new ConfigError(`Configuration file ${file} is not valid JSON: ${(err as Error).message}`)
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`Configuration file ${file} does not hold an object`)
  const config = parsed as Record<string, unknown>
  refuseTaken(config, file, source)
  if (config.sources !== undefined && config.sources !== null && !Array.isArray(config.sources))
    throw new ConfigError(`Configuration file ${file}: sources is not a list`)
  const result = { ...config, sources: [...((config.sources as unknown[] | null) ?? []), source] }
  check(result, file)
  return `${JSON.stringify(result, null, 2)}\n`
}

/** Refuses a source whose name or table another source of the file has. */
function refuseTaken(config: Record<string, unknown>, file: string, source: SourceSpec): void {
  const sources = Array.isArray(config.sources) ? (config.sources as unknown[]) : []
  const table = source.table ?? source.name.replaceAll('-', '_')
  for (const other of sources) {
    if (typeof other !== 'object' || other === null) continue
    const { name, table: otherTable } = other as { name?: unknown; table?: unknown }
    if (name === source.name) throw new CachesyncError('ERR_USAGE', `${file} already has a source named ${source.name}: give another name with --name`)
    if (typeof name === 'string' && (otherTable ?? name.replaceAll('-', '_')) === table) {
      throw new CachesyncError('ERR_USAGE', `${file}: source ${name} already writes table ${table}: give another name with --name`)
    }
  }
}

function check(config: unknown, file: string): void {
  const checked = validate(configFileSchema, config)
  if (!checked.ok) throw new ConfigError(`Configuration file ${file} would not be valid with the new source:`, checked.issues)
}
