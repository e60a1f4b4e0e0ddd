import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { extname, isAbsolute, relative, resolve } from 'node:path'
import type { FieldType } from '../schema/field-type.js'
import { deepFreeze } from '../util/deep-freeze.js'
import { ConfigError } from '../util/errors.js'
import {
  type ArchiveSettings,
  type ColumnSpec,
  type ColumnType,
  type ConfigFile,
  configFileSchema,
  type ModeOption,
  type Normalizer,
  type SchemaPolicy,
  type SourceSpec,
  validate,
  type WarmSettings,
} from './config-schema.js'
import { DMR_SOURCES } from './dmr-sources.js'
import { type ResolvedSink, resolveSink } from './resolve-sink.js'
import { mergeWarmSettings, type ResolvedHttp, type ResolvedWarmSettings, resolveHttp, resolveWarmSettings } from './resolve-warm.js'

/** How a column of a source's table is filled from its records. */
export interface ResolvedColumn {
  readonly name: string
  /** Path of the field in the record. */
  readonly from: readonly string[]
  readonly type: ColumnType
  readonly required: boolean
  readonly normalize: Normalizer | undefined
  /** A value that cannot be coerced: reject the record, or store null. */
  readonly invalid: 'reject' | 'null'
}

/** How a source maps the fields that have no configured column: each becomes a column of its own. */
export interface OpenSettings {
  /** Nested objects become `parent__child` columns down to this depth. */
  readonly flatten: number
  readonly policy: SchemaPolicy
}

/** A column the sync made for a field, with the type of the values it has seen. */
export interface InferredColumn {
  readonly name: string
  readonly path: readonly string[]
  readonly type: FieldType
  readonly key: boolean
}

/**
 * One source of a resolved configuration: where its records come from and the table they go to.
 *
 * @example
 * for (const source of config.sources) console.log(source.name, '→', source.table, source.key)
 */
export interface ResolvedSource {
  readonly name: string
  /** The cache file's name as configured, or undefined to look for `<name>.ndjson|.jsonl|.json[.gz]`. */
  readonly file: string | undefined
  readonly format: 'ndjson' | 'json' | undefined
  readonly recordsPath: readonly string[]
  readonly table: string
  /** Empty until the sync chose it, where columns are inferred and no key is configured. */
  readonly key: readonly string[]
  readonly delete: 'hard' | 'soft'
  /** The configured columns, then (once a sync has resolved the source) the inferred ones. */
  readonly columns: readonly ResolvedColumn[]
  /** Set when the fields without a configured column become columns too (`'*': auto`, or no `columns`). */
  readonly open: OpenSettings | undefined
  /** The inferred columns, the last of `columns`: empty until a sync resolves the source (`resolveOpenSources`). */
  readonly inferred: readonly InferredColumn[]
  readonly maxRejects: number | undefined
  readonly chunk: number | undefined
  /** Where `cachesync warm` fetches it; undefined for a source without a URL. */
  readonly http: ResolvedHttp | undefined
}

/**
 * The configuration every stage runs with: complete, checked and frozen. Made by {@link resolveConfig}.
 *
 * @example
 * const config: ResolvedConfig = resolveConfig({ configFile: 'cachesync.yaml' })
 * console.log(config.sink.kind, config.cacheDir, config.sources.map((s) => s.name))
 */
export interface ResolvedConfig {
  /** The SQLite file of `--db` (or its default): what `backup` works on. */
  readonly db: string
  /** Where `sync` writes: `--sink`, or the SQLite file `db`. */
  readonly sink: ResolvedSink
  readonly cacheDir: string
  readonly mode: ModeOption
  /** Records a chunk (a transaction, a streamed batch); undefined lets the mode choice pick. */
  readonly chunk: number | undefined
  readonly workers: number
  /** Past this many rejects a source fails; undefined means no limit. */
  readonly maxRejects: number | undefined
  readonly sources: readonly ResolvedSource[]
  /** Already applied to every source URL; kept to be reported. */
  readonly baseUrl: string | undefined
  readonly warm: ResolvedWarmSettings
  /** What `cachesync archive` takes out where its flags do not say: durations in milliseconds, `dir` absolute. */
  readonly archive: ResolvedArchiveSettings
}

/** The configuration's `archive:` section, checked; every field optional (the flags may say it). */
export interface ResolvedArchiveSettings {
  readonly deletedBefore: number | undefined
  readonly olderThan: readonly { readonly column: string; readonly ms: number }[]
  readonly sources: readonly string[] | undefined
  readonly history: number | undefined
  readonly dir: string | undefined
  readonly vacuum: 'analyze' | 'full' | 'none' | undefined
  readonly level: number | undefined
}

/**
 * The settings of the command line's flags, as `resolveConfig`'s `flags`: every field optional.
 *
 * @example
 * const flags: ConfigOptions = { db: './data/dmr.db', cacheDir: './cache', mode: 'streaming', chunk: 5000 }
 */
export type ConfigOptions = Omit<ConfigFile, 'sources' | 'extendBuiltin'>

export const DEFAULT_CONFIG = Object.freeze({
  db: './data/cachesync.db',
  cacheDir: './cache',
  mode: 'auto',
  workers: 2,
} as const)

/** The environment variable of each top-level key. */
export const ENV_KEYS = {
  db: 'CACHESYNC_DB',
  sink: 'CACHESYNC_SINK',
  schema: 'CACHESYNC_SCHEMA',
  pgLock: 'CACHESYNC_PG_LOCK',
  cacheDir: 'CACHESYNC_CACHE_DIR',
  mode: 'CACHESYNC_MODE',
  chunk: 'CACHESYNC_CHUNK',
  workers: 'CACHESYNC_WORKERS',
  maxRejects: 'CACHESYNC_MAX_REJECTS',
  baseUrl: 'CACHESYNC_BASE_URL',
} as const
/** The environment variable of each `warm` key that has one. */
export const WARM_ENV_KEYS = { concurrency: 'CACHESYNC_CONCURRENCY', maxAge: 'CACHESYNC_MAX_AGE' } as const
const NUMERIC_KEYS = new Set(['chunk', 'workers', 'maxRejects', 'concurrency'])

/**
 * What {@link resolveConfig} merges: a file, the environment and flags; all optional.
 *
 * @example
 * const input: ResolveConfigInput = { configFile: 'cachesync.yaml', env: {}, cwd: '/srv/dmr' }
 */
export interface ResolveConfigInput {
  /** A YAML or JSON configuration file. */
  configFile?: string | undefined
  env?: NodeJS.ProcessEnv
  flags?: ConfigOptions
  /** Base for relative paths. @default process.cwd() */
  cwd?: string
  /** Default worker count, normally the number of cores. */
  defaultWorkers?: number
}

/**
 * Merges defaults < file < environment < flags into one frozen configuration, or throws ConfigError. Without
 * a file, the sources are the built-in DMR ones.
 *
 * @example
 * const config = resolveConfig({ configFile: 'cachesync.yaml', flags: { db: './data/dmr.db' } })
 */
export function resolveConfig(input: ResolveConfigInput = {}): ResolvedConfig {
  const cwd = input.cwd ?? process.cwd()
  const env = input.env ?? process.env
  const configFile = input.configFile ?? env.CACHESYNC_CONFIG
  const file = configFile === undefined ? {} : readConfigFile(resolve(cwd, configFile))
  const fromEnv = readEnv(env, ENV_KEYS)
  const merged = {
    ...DEFAULT_CONFIG,
    workers: input.defaultWorkers ?? DEFAULT_CONFIG.workers,
    ...stripUndefined(file),
    ...fromEnv,
    ...stripUndefined(input.flags ?? {}),
    warm: mergeWarmSettings(file.warm, readEnv(env, WARM_ENV_KEYS) as WarmSettings, input.flags?.warm),
  }
  const checked = validate(configFileSchema, { ...merged, sources: undefined, extendBuiltin: undefined })
  if (!checked.ok) throw new ConfigError('Invalid configuration:', checked.issues)
  const specs = file.sources === undefined ? DMR_SOURCES : file.extendBuiltin ? [...DMR_SOURCES, ...file.sources] : file.sources
  const settings = checked.value
  const cacheDir = resolve(cwd, settings.cacheDir ?? DEFAULT_CONFIG.cacheDir)
  const db = resolve(cwd, settings.db ?? DEFAULT_CONFIG.db)
  return deepFreeze({
    db,
    sink: resolveSink([input.flags ?? {}, fromEnv, file], { db, cwd, schema: settings.schema, pgLock: settings.pgLock }),
    cacheDir,
    mode: settings.mode ?? DEFAULT_CONFIG.mode,
    chunk: settings.chunk,
    workers: settings.workers ?? DEFAULT_CONFIG.workers,
    maxRejects: settings.maxRejects,
    sources: resolveSources(specs, cacheDir, settings.baseUrl, settings.sync?.schema ?? 'evolve'),
    baseUrl: settings.baseUrl,
    warm: resolveWarmSettings(settings.warm),
    archive: resolveArchiveSettings(settings.archive, cwd),
  })
}

function resolveArchiveSettings(archive: ArchiveSettings | undefined, cwd: string): ResolvedArchiveSettings {
  return {
    deletedBefore: archive?.deletedBefore,
    olderThan: Object.entries(archive?.olderThan ?? {}).map(([column, ms]) => ({ column, ms })),
    sources: archive?.sources,
    history: archive?.history,
    dir: archive?.dir === undefined ? undefined : resolve(cwd, archive.dir),
    vacuum: archive?.vacuum,
    level: archive?.level,
  }
}

function readConfigFile(path: string): ConfigFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`Cannot read configuration file ${path}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new ConfigError(`Configuration file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`)
  }
  const checked = validate(configFileSchema, parsed ?? {})
  if (!checked.ok) throw new ConfigError(`Invalid configuration in ${path}:`, checked.issues)
  return checked.value
}

function readEnv(env: NodeJS.ProcessEnv, keys: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, name] of Object.entries(keys)) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    if (!NUMERIC_KEYS.has(key)) {
      out[key] = raw
      continue
    }
    const value = Number(raw)
    if (!Number.isInteger(value)) throw new ConfigError(`Invalid environment variable ${name}=${JSON.stringify(raw)}: must be an integer`)
    out[key] = value
  }
  return out
}

function resolveSources(specs: readonly SourceSpec[], cacheDir: string, baseUrl: string | undefined, policy: SchemaPolicy): ResolvedSource[] {
  const issues: string[] = []
  const names = new Set<string>()
  const tables = new Set<string>()
  const sources = specs.map((spec, index) => {
    const table = spec.table ?? spec.name.replaceAll('-', '_')
    const where = `sources[${index}] (${spec.name})`
    if (names.has(spec.name)) issues.push(`${where}.name: source name used twice`)
    if (tables.has(table)) issues.push(`${where}.table: table ${table} is used by another source`)
    if (table.startsWith('sync_')) issues.push(`${where}.table: names starting with sync_ are cachesync's own`)
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(table)) issues.push(`${where}.table: ${table} is not a plain SQL identifier; set table explicitly`)
    if (spec.file !== undefined && escapesDir(cacheDir, spec.file)) {
      issues.push(`${where}.file: ${spec.file} is outside the cache directory ${cacheDir}; name a file inside it`)
    }
    if (spec.url !== undefined && (spec.format === 'json' || (spec.file !== undefined && !/\.(ndjson|jsonl)$/.test(spec.file)))) {
      issues.push(`${where}.file: cachesync warm writes NDJSON; a source with a url needs a .ndjson or .jsonl file (or none)`)
    }
    if (spec.incremental !== undefined && spec.url === undefined) issues.push(`${where}.incremental: needs a url to fetch from`)
    names.add(spec.name)
    tables.add(table)
    const entries = Object.entries(spec.columns ?? {})
    const open = spec.columns === undefined || entries.some(([name]) => name === '*')
    for (const [name, column] of entries) {
      if ((name === '*') !== (column === 'auto')) issues.push(`${where}.columns.${name}: auto is for '*' (every other field), and '*' can only be auto`)
      if (name === '_hash' || name === '_deleted_at') issues.push(`${where}.columns.${name}: a name cachesync keeps for itself`)
    }
    const columns = entries.flatMap(([name, column]) => (column === 'auto' || name === '*' ? [] : [resolveColumn(name, column)]))
    const key = spec.key === undefined ? [] : typeof spec.key === 'string' ? [spec.key] : spec.key
    if (key.length === 0 && !open) issues.push(`${where}.key: required where the columns are configured (or add '*': auto to infer the rest)`)
    for (const k of key) {
      if (!open && !columns.some((c) => c.name === k)) issues.push(`${where}.key: ${k} is not one of the source's columns`)
    }
    if (!open && (spec.flatten !== undefined || spec.schema !== undefined)) {
      issues.push(`${where}: flatten and schema apply to inferred columns; add '*': auto to columns (or leave columns out)`)
    }
    return {
      name: spec.name,
      file: spec.file,
      format: spec.format,
      recordsPath: spec.recordsPath === undefined || spec.recordsPath === '' ? [] : spec.recordsPath.split('.'),
      table,
      key,
      delete: spec.delete ?? 'hard',
      columns: columns.map((c) => (key.includes(c.name) ? { ...c, required: true } : c)),
      open: open ? { flatten: spec.flatten ?? 0, policy: spec.schema ?? policy } : undefined,
      inferred: [],
      maxRejects: spec.maxRejects,
      chunk: spec.chunk,
      http: resolveHttp(spec, baseUrl),
    }
  })
  if (sources.length === 0) issues.push('sources: at least one source is needed')
  if (issues.length > 0) throw new ConfigError('Invalid configuration:', issues)
  return sources
}

/** True when `file`, taken relative to `dir`, is not strictly inside it (`../x`, `/etc/x`, `.`). */
function escapesDir(dir: string, file: string): boolean {
  const path = relative(dir, resolve(dir, file))
  return path === '' || path === '..' || path.startsWith('../') || isAbsolute(path)
}

function resolveColumn(name: string, spec: Exclude<ColumnSpec, 'auto'>): ResolvedColumn {
  if (typeof spec === 'string') return { name, from: [name], type: spec, required: false, normalize: undefined, invalid: 'reject' }
  return {
    name,
    from: (spec.from ?? name).split('.'),
    type: spec.type,
    required: spec.required ?? false,
    normalize: spec.normalize,
    invalid: spec.invalid ?? 'reject',
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The YAML parser is loaded on first use: most runs have no configuration file. */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return yaml.parse(text)
}
