import * as z from 'zod'
import { DEFAULT_MEMORY_THRESHOLD_MB } from '../engine/memory-guard.js'
import {
  authSchema,
  COLUMN_TYPES,
  columnObjectSchema,
  configFileSchema,
  incrementalSchema,
  NORMALIZERS,
  PAGINATION_FORMS,
  sourceSchema,
} from './config-schema.js'
import { DMR_SOURCES } from './dmr-sources.js'
import { DEFAULT_CONFIG, ENV_KEYS, WARM_ENV_KEYS } from './resolve-config.js'
import { DEFAULT_SCHEMA } from './resolve-sink.js'
import { DEFAULT_WARM } from './resolve-warm.js'

/** Where `npm run docs:config` writes the page, relative to the repository. */
export const CONFIGURATION_PAGE = 'docs/configuration.md'

/** The example of the page; a test checks that it validates. */
export const CONFIGURATION_EXAMPLE = `db: ./data/stations.db
cacheDir: ./cache
warm:
  concurrency: 4
  maxAge: 30m
  retry: { attempts: 5, initialDelay: 1s, maxDelay: 30s }
sources:
  - name: stations              # cache file stations.ndjson in cacheDir
    url: https://api.example/v1/stations
    recordsPath: data.items     # where the records sit in each body
    pagination: { style: offset, limitKey: limit, skipKey: offset, limitMax: 500 }
    auth: { type: bearer, env: STATIONS_TOKEN }
    minRecords: 1000            # fewer is refused, the old cache kept
    key: [network, id]          # one or more columns
    delete: soft                # rows that vanish upstream get _deleted_at
    columns:
      id: integer
      network: { type: text, normalize: network }
      freq: { type: real, from: frequency }   # numbers from numeric strings too
      tags: json                              # arrays and objects as JSON text
      active: boolean                         # true/false, 1/0, "1"/"0"
`

/** A JSON Schema node as `z.toJSONSchema` writes it, with the meta keys that config-schema.ts sets. */
interface SchemaNode {
  type?: string | string[]
  enum?: unknown[]
  anyOf?: SchemaNode[]
  properties?: Record<string, SchemaNode>
  required?: string[]
  items?: SchemaNode
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  description?: string
  typeText?: string
  defaultText?: string
  flag?: string
}

interface Row {
  key: string
  node: SchemaNode
  required: boolean
  defaultValue: unknown
  env?: string | undefined
}

/** The page docs/configuration.md: every key of the configuration file, its default, variable and flag. */
export function renderConfigurationReference(): string {
  const root = toNode(configFileSchema)
  const top = root.properties ?? {}
  const warm = top.warm as SchemaNode
  const topDefaults: Record<string, unknown> = { ...DEFAULT_CONFIG, schema: DEFAULT_SCHEMA }
  const env: Record<string, string> = ENV_KEYS
  const warmEnv: Record<string, string> = WARM_ENV_KEYS
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/config-schema.ts by `npm run docs:config`. Edit the schema, not this page. -->',
    '',
    'Settings come from four layers. Each one wins over the one before:',
    '',
    '1. the defaults below;',
    '2. the configuration file, YAML or JSON (`--config FILE`, or `CACHESYNC_CONFIG`; a `.json` file is read as JSON, any other as YAML);',
    '3. the environment variables below;',
    '4. the command-line flags (see [cli.md](cli.md)).',
    '',
    'Every key is validated. An error names the key path and what was expected, and the command exits 2.',
    'Paths are relative to the working directory. A duration is `500ms`, `90s`, `30m`, `1h`, `1d`, a',
    'combination such as `1h30m`, or a number of milliseconds.',
    '',
    '## Example',
    '',
    '```yaml',
    CONFIGURATION_EXAMPLE.trimEnd(),
    '```',
    '',
    '## Top-level keys',
    '',
    table(rowsOf(root, topDefaults, env)),
    '',
    '## warm',
    '',
    'Under `warm:`, the settings of `cachesync warm` (see [warm.md](warm.md)).',
    '',
    table(rowsOf(warm, DEFAULT_WARM, warmEnv, true)),
    '',
    '## sources',
    '',
    'A list under `sources:`. Each source is one cache file and one table.',
    '',
    table(rowsOf(toNode(sourceSchema), {}, {})),
    '',
    '### Columns',
    '',
    "Under a source's `columns:`, each column is a type name (`id: integer`) or an object (`freq: { type: real, from: frequency }`).",
    '',
    table(rowsOf(toNode(columnObjectSchema), {}, {})),
    '',
    `Types: ${COLUMN_TYPES.map(code).join(', ')}. \`integer\` and \`real\` take numbers and numeric strings;`,
    '`boolean` takes `true`/`false`, `1`/`0` and `"1"`/`"0"`; `json` stores arrays and objects as JSON text;',
    '`text` stores numbers and booleans as text. An empty string is null in `integer`, `real` and `boolean` columns.',
    '',
    `Normalizers: ${NORMALIZERS.map(code).join(', ')}. \`trim\` trims; \`upper\` and \`lower\` trim and change case;`,
    '`empty-null` makes a blank string null; `network` trims and spells the DMR networks one way',
    '(`bm`, `Brand Meister` → `BrandMeister`; `dmrplus` → `DMR+`; `none` → null).',
    '',
    "Without `columns` (or with `'*': auto` beside configured ones), every other field becomes a column of its",
    'own, typed by the values the sync meets and widened when a wider one comes; `flatten`, `schema` (or',
    '`sync.schema` for every source) and the key are described in [any-api.md](any-api.md).',
    '`cachesync schema` prints the mapping a sync inferred, to freeze here.',
    '',
    'cachesync adds its own columns to every table, named with a leading `_` (`_hash`, `_deleted_at`).',
    'Its own tables start with `sync_` (`sync_schema` records every column and `sync_schema_changes` every change).',
    '',
    '### Pagination',
    '',
    "Under a source's `pagination:`, chosen by `style`.",
    '',
    ...Object.entries(PAGINATION_FORMS).flatMap(([style, form]) => {
      const node = toNode(form)
      const rows = rowsOf(node, {}, {}).filter((row) => row.key !== 'style')
      return [`#### \`style: ${style}\``, '', node.description ?? '', '', ...(rows.length > 0 ? [table(rows), ''] : [])]
    }),
    '### Authentication',
    '',
    "Under a source's `auth:`. The secret never appears in logs, errors, reports or cache meta files.",
    'Header and query credentials are not sent along redirects.',
    '',
    table(rowsOf(toNode(authSchema), {}, {})),
    '',
    '### Incremental fetch',
    '',
    "Under a source's `incremental:`. A warm with a saved cursor asks only for the records changed since it, into a delta",
    'file that `sync` applies as upserts; a full fetch now and then brings deletes in. See [incremental.md](incremental.md).',
    '',
    table(rowsOf(toNode(incrementalSchema), {}, {})),
    '',
    '## Built-in sources',
    '',
    'Without `sources` in the file, cachesync syncs the DMR data set (src/config/dmr-sources.ts).',
    '`--base-url` points them at a mirror or at `cachesync serve-demo`.',
    '',
    '| source | url | records at | key | delete | columns |',
    '|---|---|---|---|---|---|',
    ...DMR_SOURCES.map(
      (s) =>
        `| ${code(s.name)} | ${s.url ?? '—'} | ${s.recordsPath === undefined ? 'pages of a top-level array' : code(s.recordsPath)} | ${code(String(s.key))} | ${code(s.delete ?? 'hard')} | ${Object.keys(s.columns ?? {}).length} |`,
    ),
    '',
    '## Other environment variables',
    '',
    '| variable | default | what it does |',
    '|---|---|---|',
    '| `CACHESYNC_CONFIG` | none | The configuration file, as `--config`. |',
    '| `CACHESYNC_LOG_LEVEL` | `info` | `fatal`, `error`, `warn`, `info`, `debug` or `silent`, as `--log-level`. `monitor` and the runs inside `sync --watch` log `warn` unless asked. |',
    `| \`CACHESYNC_CHUNK\` | none | Also takes \`auto\`, as \`--chunk auto\`. |`,
    `| \`CACHESYNC_MEMORY_THRESHOLD_MB\` | \`${DEFAULT_MEMORY_THRESHOLD_MB}\` | RSS past which a sync backs off, as \`--memory-threshold-mb\`. |`,
    "| `CACHESYNC_MEMORY_LIMIT_MB` | detected | The memory `--mode auto` takes as available, instead of the cgroup limit or the host's free memory. |",
    '| `PGHOST`, `PGUSER`, `PGPASSWORD`, … | none | What a `postgres://` URL leaves out, as with libpq; `~/.pgpass` too. |',
    '',
    'The wrapper scripts under `scripts/` read a few more (`CACHESYNC_HOME`, `CACHESYNC_LOG_DIR`, …):',
    'see [operations.md](operations.md#the-wrapper-scripts).',
    '',
  ].join('\n')
}

function toNode(schema: z.ZodType): SchemaNode {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as SchemaNode
}

/** The keys of an object node, nested objects as dotted keys when `flatten`; defaults looked up in `defaults`. */
function rowsOf(node: SchemaNode, defaults: object, env: Record<string, string>, flatten = false, prefix: readonly string[] = []): Row[] {
  return Object.entries(node.properties ?? {}).flatMap(([name, child]) => {
    const path = [...prefix, name]
    const row: Row = {
      key: path.join('.'),
      node: child,
      required: node.required?.includes(name) === true,
      defaultValue: defaultAt(defaults, path),
      env: prefix.length === 0 ? env[name] : undefined,
    }
    return flatten && child.properties !== undefined ? [row, ...rowsOf(child, defaults, env, flatten, path)] : [row]
  })
}

/** A default from a `DEFAULT_…` object: `retry.maxDelay` is found as `retry.maxDelayMs`, shown as a duration. */
function defaultAt(defaults: object, path: readonly string[]): unknown {
  let at: unknown = defaults
  for (const [i, part] of path.entries()) {
    if (typeof at !== 'object' || at === null) return undefined
    const record = at as Record<string, unknown>
    if (i === path.length - 1 && !(part in record) && typeof record[`${part}Ms`] === 'number') return durationText(record[`${part}Ms`] as number)
    at = record[part]
  }
  return typeof at === 'object' ? undefined : at
}

function table(rows: readonly Row[]): string {
  const withEnv = rows.some((row) => row.env !== undefined)
  const withFlag = rows.some((row) => row.node.flag !== undefined)
  const header = ['key', 'type', 'default', ...(withEnv ? ['environment'] : []), ...(withFlag ? ['flag'] : []), 'what it does']
  const lines = rows.map((row) => {
    const cells = [
      code(row.key),
      typeText(row.node),
      defaultText(row),
      ...(withEnv ? [row.env === undefined ? '' : code(row.env)] : []),
      ...(withFlag ? [row.node.flag === undefined ? '' : code(row.node.flag)] : []),
      row.node.description ?? '',
    ]
    return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`
  })
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines].join('\n')
}

function defaultText(row: Row): string {
  if (row.node.defaultText !== undefined) return row.node.defaultText
  if (row.defaultValue !== undefined) return code(String(row.defaultValue))
  return row.required ? 'required' : '—'
}

function typeText(node: SchemaNode): string {
  if (node.typeText !== undefined) return node.typeText
  if (node.enum !== undefined) return node.enum.map((value) => code(String(value))).join(', ')
  if (node.anyOf !== undefined) return node.anyOf.map(typeText).join(' or ')
  if (node.type === 'array') return `list of ${node.items === undefined ? 'values' : typeText(node.items)}`
  if (node.type === 'integer' || node.type === 'number') {
    if (node.minimum === 0 && node.maximum === 1) return 'number, 0 to 1'
    if (node.exclusiveMinimum === 0) return node.type === 'integer' ? 'integer ≥ 1' : 'number > 0'
    if (node.minimum !== undefined) return `${node.type} ≥ ${node.minimum}`
  }
  return Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any')
}

/** `30_000` → `30s`: the largest unit that divides the duration. */
function durationText(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ]
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  return `${ms}ms`
}

function code(text: string): string {
  return `\`${text}\``
}
