import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { ColumnType, SourceSpec } from '../config/config-schema.js'
import { storageType } from '../schema/field-type.js'
import { CachesyncError } from '../util/errors.js'
import { writeFileAtomic } from '../util/write-file-atomic.js'
import { maskSourceUrl } from '../warm/source-auth.js'
import { addSourceToConfig } from './add-source-to-config.js'
import { detectPagination } from './detect-pagination.js'
import { locateRecords, type RecordsLocation } from './locate-records.js'
import { createPageFetcher, type PageFetcher, type PageFetcherOptions } from './page-fetcher.js'
import { proposeSource } from './propose-source.js'
import { sourceNameFor } from './source-name.js'

/**
 * Options of {@link runInit}.
 *
 * @example
 * const report = await runInit({ url: 'https://api.example/v1/stations', configFile: 'stations.yaml', dryRun: true })
 */
export interface InitOptions {
  /** The API's URL: its first page is fetched and read. */
  url: string
  /** The configuration file to write, or to add the source to when it exists. */
  configFile: string
  /** The source's name. @default from the URL's path (`/v1/stations` → `stations`) */
  name?: string | undefined
  /** Return the configuration's text without writing it. @default false */
  dryRun?: boolean
  /** How pages are fetched. @default the warm's HTTP client, with DEFAULT_INIT_FETCH */
  fetch?: PageFetcherOptions
}

/** A column `sync` will infer, as `init` proposes it. */
export interface ProposedColumn {
  readonly name: string
  /** The field of the record, dotted where it is nested. */
  readonly from: string
  readonly type: ColumnType
  readonly key: boolean
}

/** One thing `init` decided, and why: `{ topic: 'key', text: 'id: present and unique in all 25 records…' }`. */
export interface InitDecision {
  readonly topic: string
  readonly text: string
}

/** What {@link runInit} found, decided and wrote. */
export interface InitReport {
  readonly source: SourceSpec
  readonly columns: readonly ProposedColumn[]
  /** In order: name, records, pagination (and notes), key, flatten, columns. */
  readonly decisions: readonly InitDecision[]
  /** False when no field can be the key: `sync` needs one set in the file first. */
  readonly keyFound: boolean
  readonly configFile: string
  /** The configuration file's text, with the source added. */
  readonly text: string
  /** True when the file did not exist before. */
  readonly created: boolean
  readonly written: boolean
}

/**
 * `cachesync init`: fetches the first page of an API, finds its records and how it pages, proposes a key,
 * and writes a source without columns (so that `sync` infers them from every record) to the configuration
 * file, or adds it to the file's sources, keeping the file's comments. Throws, naming the URL, when the
 * API cannot be reached, answers an error status, or holds no array of objects.
 */
export async function runInit(options: InitOptions): Promise<InitReport> {
  const url = parseUrl(options.url)
  const name = options.name ?? sourceNameFor(url)
  checkName(name, options.name !== undefined)
  const file = options.configFile
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw new CachesyncError('ERR_IO', `Cannot read configuration file ${file}: ${err.message}`)
  })
  // A taken name or a broken file is refused before any request.
  addSourceToConfig(existing, file, { name, url: options.url }, '')

  const fetcher: PageFetcher = createPageFetcher(options.fetch)
  try {
    const shown = maskSourceUrl(url)
    const first = await fetcher.json(url)
    let location: RecordsLocation
    try {
      location = locateRecords(first.body)
    } catch (err) {
      throw err instanceof CachesyncError ? new CachesyncError(err.code, `${shown}: ${err.message}`, { cause: err }) : err
    }
    const recordsPath = location.path
    const lines = location.records.map((record) => JSON.stringify(record))
    const paging = await detectPagination({ url, body: first.body, headers: first.headers, recordsPath, records: lines }, (at, max) =>
      fetcher.records(at, recordsPath, max),
    )
    const proposal = proposeSource(name, location.records)
    const source: SourceSpec = {
      name,
      url: options.url,
      ...(recordsPath.length > 0 ? { recordsPath: recordsPath.join('.') } : {}),
      ...(paging.pagination === undefined ? {} : { pagination: paging.pagination }),
      ...(proposal.key === undefined ? {} : { key: proposal.key }),
      ...(proposal.flatten === 0 ? {} : { flatten: proposal.flatten }),
    }
    const columns = proposal.columns.map((c) => ({ name: c.name, from: c.path.join('.'), type: storageType(c.type), key: c.key }))
    const n = location.records.length
    const text = addSourceToConfig(existing, file, source, columnsComment(columns, n, proposal.keyFound))
    if (options.dryRun !== true) {
      await mkdir(dirname(file), { recursive: true })
      await writeFileAtomic(file, text)
    }
    const decisions: InitDecision[] = [
      { topic: 'name', text: `${name}: ${options.name === undefined ? "from the URL's path" : 'from --name'}; its table is ${name.replaceAll('-', '_')}` },
      { topic: 'records', text: location.reason },
      { topic: 'pagination', text: paging.reason },
      ...paging.notes.map((note) => ({ topic: 'note', text: note })),
      { topic: 'key', text: proposal.keyReason },
      { topic: 'flatten', text: proposal.flattenReason },
      {
        topic: 'columns',
        text: `none written: sync infers them from every record; these ${columns.length} are those of the ${n} records of the first page`,
      },
    ]
    return {
      source,
      columns,
      decisions,
      keyFound: proposal.keyFound,
      configFile: file,
      text,
      created: existing === undefined,
      written: options.dryRun !== true,
    }
  } finally {
    await fetcher.close()
  }
}

/** The comment above the source: the columns `sync` will infer, and how to freeze them. */
function columnsComment(columns: readonly ProposedColumn[], records: number, keyFound: boolean): string {
  const width = Math.max(...columns.map((c) => c.name.length))
  const rows = columns.map((c) => `   ${c.name.padEnd(width)}  ${c.type.padEnd(7)}${c.key ? '  key' : ''}`.trimEnd())
  return [
    ` Columns that cachesync sync infers (here from the ${records} records of the first page; sync reads every record):`,
    ...rows,
    ...(keyFound ? [] : [' No field is unique in every record: set key to the field (or list of fields) that identifies one.']),
    ' To freeze the mapping after a sync, run `cachesync schema`: it prints the columns as configuration to paste here.',
  ].join('\n')
}

function parseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new CachesyncError('ERR_USAGE', `--url ${text}: not a URL; give an absolute http:// or https:// URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CachesyncError('ERR_USAGE', `--url ${maskSourceUrl(url)}: not an http:// or https:// URL`)
  return url
}

function checkName(name: string, given: boolean): void {
  if (/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(name) && !/^sync_/i.test(name.replaceAll('-', '_'))) return
  const what = given ? `--name ${name}` : `The name ${name} taken from the URL`
  throw new CachesyncError(
    'ERR_USAGE',
    `${what}: a source name starts with a letter, holds only letters, digits, _ and - (at most 63), and does not start with sync_${given ? '' : '; give one with --name'}`,
  )
}
