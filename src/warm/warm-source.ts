import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { type CacheMeta, readCacheMeta, writeCacheMeta } from '../cache/cache-meta.js'
import type { ResolvedSource } from '../config/resolve-config.js'
import type { ResolvedHttp } from '../config/resolve-warm.js'
import { CachesyncError, HttpStatusError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { CacheFileWriter } from './cache-file-writer.js'
import type { HttpClient } from './http-client.js'
import { CursorTracker, type IncrementalReport, planIncremental, saveAfterDelta, saveAfterFull } from './incremental-fetch.js'
import { extractRecords, type RecordSink } from './json-records.js'
import { createPaginator } from './pagination.js'
import { type FetchGuards, fetchWithRetries } from './resilient-fetch.js'
import { parseRetryAfter } from './retry-policy.js'
import { countCachedRecords, shrinkRefusal } from './shrink-guard.js'
import { maskSourceUrl, prepareAuth, scrubSecrets, userInfoAuth } from './source-auth.js'
import type { WarmProgressEvent, WarmSourceReport } from './warm-report.js'

/** Everything a source's fetch shares with the others of the run. */
export interface WarmContext {
  readonly cacheDir: string
  readonly client: HttpClient
  readonly guards: FetchGuards
  /** Overrides every source's max age (the `--max-age` flag). */
  readonly maxAgeMs: number | undefined
  /** The warm settings' max age, for sources without their own. */
  readonly defaultMaxAgeMs: number | undefined
  /** The warm settings' max shrink, for sources without their own. */
  readonly defaultMaxShrink: number
  /** Skips the shrink guard (`--allow-shrink`). */
  readonly allowShrink: boolean
  /** Incremental sources fetch everything this time (`--full`). */
  readonly full: boolean
  readonly now: () => number
  readonly env: NodeJS.ProcessEnv
  readonly logger: Logger
  readonly version: string
  readonly onProgress: ((event: WarmProgressEvent) => void) | undefined
}

/** The cache file a source is warmed into: `<name>.ndjson`, or its configured file, in the cache directory. */
export function cacheFileOf(cacheDir: string, source: ResolvedSource): string {
  return join(cacheDir, source.file ?? `${source.name}.ndjson`)
}

interface CacheState {
  /** The meta file, only when it describes the cache file as it is (same size). */
  readonly meta: CacheMeta | undefined
  /** When the content was last known current: checkedAt, fetchedAt, or the file's mtime. */
  readonly checkedAt: number | undefined
}

async function readCacheState(target: string): Promise<CacheState> {
  const info = await stat(target).catch(() => undefined)
  if (info === undefined || !info.isFile()) return { meta: undefined, checkedAt: undefined }
  const found = await readCacheMeta(target)
  const meta = found?.bytes === info.size ? found : undefined
  const stamp = Date.parse(meta?.checkedAt ?? meta?.fetchedAt ?? '')
  return { meta, checkedAt: Number.isNaN(stamp) ? info.mtimeMs : stamp }
}

/** Fetches one source into its cache file, or leaves the file as it is; never throws. */
export async function warmSource(source: ResolvedSource, http: ResolvedHttp, ctx: WarmContext): Promise<WarmSourceReport> {
  const started = performance.now()
  const target = cacheFileOf(ctx.cacheDir, source)
  const paginator = createPaginator(http.pagination)
  const firstUrl = paginator.first(new URL(http.url))
  let secrets: readonly string[] = []
  let secretParams: string[] = []
  const shown = (url: URL): string => maskSourceUrl(url, secretParams)
  const progress = { pages: 0, retries: 0 }
  const base = { name: source.name, url: shown(firstUrl) }
  const finish = (outcome: 'fetched' | 'not-modified' | 'fresh', records: number, bytes: number, incremental?: IncrementalReport): WarmSourceReport => {
    const report = { ...base, outcome, records, bytes, ...progress, ms: performance.now() - started, ...(incremental === undefined ? {} : { incremental }) }
    ctx.logger.info(
      { source: source.name, outcome, records, bytes, pages: progress.pages, retries: progress.retries, ms: Math.round(report.ms), ...incremental },
      'source warmed',
    )
    return report
  }
  let writer: CacheFileWriter | undefined
  try {
    const auth = prepareAuth(source.name, http.auth, ctx.env)
    const inUrl = userInfoAuth(firstUrl)
    secrets = [...auth.secrets, ...(inUrl?.secrets ?? [])]
    secretParams = auth.queryParam === undefined ? [] : [auth.queryParam.name]
    const state = await readCacheState(target)
    const maxAgeMs = ctx.maxAgeMs ?? http.maxAgeMs ?? ctx.defaultMaxAgeMs
    const age = state.checkedAt === undefined ? undefined : ctx.now() - state.checkedAt
    // A check stamped in the future (a clock set back) proves nothing: such a cache is not fresh.
    if (maxAgeMs !== undefined && state.meta !== undefined && age !== undefined && age >= 0 && age < maxAgeMs) {
      return finish('fresh', state.meta.records ?? 0, state.meta.bytes ?? 0)
    }
    // An incremental source asks by cursor, or everything (its deltas build on the fetch): never conditionally.
    const plan =
      http.incremental === undefined
        ? undefined
        : await planIncremental(ctx.cacheDir, source.name, http.incremental, state.meta, { now: ctx.now(), full: ctx.full })
    const tracker = http.incremental === undefined ? undefined : new CursorTracker(http.incremental)
    const startUrl = plan?.fetch === 'delta' ? paginator.first(withCursor(http.url, http.incremental?.param as string, plan.cursor)) : firstUrl
    // A paginated source has no one validator for all its pages: conditional requests are for single bodies.
    const conditional = http.pagination === undefined && state.meta !== undefined && plan === undefined ? validators(state.meta) : {}
    const headers = { ...http.headers, ...inUrl?.headers, ...auth.headers, ...conditional }
    const followRedirects = http.auth === undefined || http.auth.type === 'bearer'
    const host = firstUrl.host
    writer = await CacheFileWriter.open(plan?.fetch === 'delta' ? plan.target : target)
    const sink = progressSink(
      writer,
      () => ctx.onProgress?.({ source: source.name, pages: progress.pages, records: writer?.records ?? 0, bytes: writer?.bytes ?? 0 }),
      tracker,
    )
    let previousPage: string | undefined
    const visited = new Set<string>()
    let validatorsOfBody: { etag?: string; lastModified?: string } = {}
    ctx.logger.info({ source: source.name, url: base.url, ...(plan?.fetch === 'delta' ? { since: plan.cursor } : {}) }, 'fetching')
    for (let url: URL | undefined = startUrl; url !== undefined; ) {
      if (visited.has(url.href)) throw new CachesyncError('ERR_SOURCE', `pagination loops: ${shown(url)} was already fetched`)
      visited.add(url.href)
      const requestUrl = new URL(url)
      requestUrl.username = ''
      requestUrl.password = ''
      if (auth.queryParam !== undefined) requestUrl.searchParams.set(auth.queryParam.name, auth.queryParam.value)
      const pageUrl: URL = url
      const page = await fetchWithRetries(
        ctx.guards,
        host,
        shown(pageUrl),
        async () => {
          const mark = await (writer as CacheFileWriter).mark()
          sink.pageStart()
          const response = await ctx.client.get(requestUrl, { headers, signal: ctx.guards.signal, followRedirects })
          if (response.status === 304 && progress.pages === 0 && Object.keys(conditional).length > 0) {
            await response.discard()
            return undefined
          }
          if (response.status < 200 || response.status > 299) {
            await response.discard()
            const retryAfter = response.status === 429 || response.status === 503 ? parseRetryAfter(response.headers['retry-after'], ctx.now()) : undefined
            throw new HttpStatusError(response.status, shown(pageUrl), retryAfter)
          }
          try {
            const extracted = await extractRecords(response.body, { recordsPath: source.recordsPath, capturePath: paginator.capturePath, sink })
            return { ...extracted, link: response.headers.link, etag: response.headers.etag, lastModified: response.headers['last-modified'] }
          } catch (err) {
            await (writer as CacheFileWriter).rollback(mark)
            tracker?.rollback()
            throw err instanceof CachesyncError && err.code === 'ERR_PARSE' ? new CachesyncError('ERR_PARSE', `${shown(pageUrl)}: ${err.message}`) : err
          }
        },
        (notice) => {
          progress.retries++
          ctx.logger.warn(
            { source: source.name, attempt: notice.attempt, delayMs: notice.delayMs, error: scrubSecrets(notice.error.message, secrets) },
            'retrying',
          )
        },
      )
      if (page === undefined) {
        await writer.abort()
        writer = undefined
        await writeCacheMeta(target, { ...state.meta, checkedAt: new Date(ctx.now()).toISOString() })
        return finish('not-modified', state.meta?.records ?? 0, state.meta?.bytes ?? 0)
      }
      // An API that ignores the paging parameters sends the same page again and again: stop it there.
      const signature = `${page.records}:${sink.firstLine}`
      if (page.records > 0 && signature === previousPage) {
        throw new CachesyncError('ERR_SOURCE', `pagination does not advance: ${shown(pageUrl)} returned the same records as the page before it`)
      }
      previousPage = signature
      progress.pages++
      if (progress.pages === 1) validatorsOfBody = { ...optional('etag', page.etag), ...optional('lastModified', page.lastModified) }
      ctx.onProgress?.({ source: source.name, pages: progress.pages, records: writer.records, bytes: writer.bytes })
      url = paginator.next({ url: pageUrl, records: page.records, captured: page.captured, link: page.link })
    }
    if (plan?.fetch === 'delta' && tracker !== undefined) {
      const at = new Date(ctx.now()).toISOString()
      // No change since the cursor: no delta file, the cursor stays where it is.
      const written = writer.records === 0 ? undefined : await writer.commit({ fetchedAt: at, checkedAt: at, source: base.url, version: ctx.version })
      if (written === undefined) await writer.abort()
      writer = undefined
      const entry = written === undefined ? undefined : { seq: plan.seq, file: basename(plan.target), fetchedAt: at, ...written }
      // Only now, the delta synced to disk and renamed into place, does the cursor move.
      const saved = await saveAfterDelta(ctx.cacheDir, source.name, plan.state, entry, tracker, at)
      // The cache as a whole is current now: `maxAge` counts from here, as after a 304 (fetchedAt, the deltas' base, stays).
      if (state.meta !== undefined) await writeCacheMeta(target, { ...state.meta, checkedAt: at })
      const report = { fetch: 'delta' as const, since: plan.cursor, cursor: saved.cursor, nullCursor: tracker.nullCursor, deltas: saved.deltas.length }
      return finish('fetched', written?.records ?? 0, written?.bytes ?? 0, report)
    }
    if (!ctx.allowShrink) await refuseShrink(source.name, target, state.meta, writer.records, http, ctx.defaultMaxShrink)
    const at = new Date(ctx.now()).toISOString()
    const written = await writer.commit({
      fetchedAt: at,
      checkedAt: at,
      ...(http.pagination === undefined ? validatorsOfBody : {}),
      source: base.url,
      version: ctx.version,
    })
    writer = undefined
    if (plan !== undefined && tracker !== undefined) {
      const saved = await saveAfterFull(ctx.cacheDir, source.name, plan.state, { sha256: written.sha256, fetchedAt: at }, tracker)
      const why = plan.fetch === 'full' ? { why: plan.why } : {}
      return finish('fetched', written.records, written.bytes, { fetch: 'full', ...why, cursor: saved.cursor, nullCursor: tracker.nullCursor, deltas: 0 })
    }
    return finish('fetched', written.records, written.bytes)
  } catch (err) {
    await writer?.abort()
    const error = scrubSecrets((err as Error)?.message ?? String(err), secrets)
    const raw = String((err as { code?: unknown })?.code ?? '')
    const code = raw.startsWith('ERR_') ? raw : /^E[A-Z]+$/.test(raw) ? 'ERR_IO' : 'ERR_INTERNAL'
    ctx.logger.error({ source: source.name, code, error }, 'source failed')
    return { ...base, outcome: 'failed', error, code, records: 0, bytes: 0, ...progress, ms: performance.now() - started }
  }
}

/** Throws when a fetch of `fetched` records may not replace the cache, keeping the sync from wiping the table. */
async function refuseShrink(name: string, target: string, meta: CacheMeta | undefined, fetched: number, http: ResolvedHttp, defaultMaxShrink: number) {
  const cached = meta?.records ?? (await countCachedRecords(target))
  const reason = shrinkRefusal(cached, fetched, { minRecords: http.minRecords, maxShrink: http.maxShrink ?? defaultMaxShrink })
  if (reason === undefined) return
  throw new CachesyncError(
    'ERR_SHRINK',
    `${reason}; kept the old cache. If upstream really shrank, run \`cachesync warm --allow-shrink --source ${name}\` once`,
  )
}

/** The source's URL asking for what changed since `cursor`. */
function withCursor(url: string, param: string, cursor: string | number): URL {
  const out = new URL(url)
  out.searchParams.set(param, String(cursor))
  return out
}

function validators(meta: CacheMeta): Record<string, string> {
  return { ...optional('if-none-match', meta.etag), ...optional('if-modified-since', meta.lastModified) }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string }
}

/** The writer as the records' sink, telling the progress each time a buffer goes to disk, and remembering each page's first record. */
function progressSink(
  writer: CacheFileWriter,
  report: () => void,
  tracker: CursorTracker | undefined,
): RecordSink & { pageStart(): void; readonly firstLine: string | undefined } {
  let firstLine: string | undefined
  let atPageStart = true
  return {
    pageStart() {
      atPageStart = true
      firstLine = undefined
      tracker?.pageStart()
    },
    get firstLine() {
      return firstLine
    },
    writeRecord: (bytes) => {
      if (atPageStart) {
        firstLine = bytes.toString()
        atPageStart = false
      }
      tracker?.observe(bytes.toString())
      writer.writeRecord(bytes)
    },
    writeRecords: (lines, count) => {
      if (atPageStart) {
        const newline = lines.indexOf(0x0a)
        firstLine = (newline < 0 ? lines : lines.subarray(0, newline)).toString()
        atPageStart = false
      }
      // An incremental source's cursor is read from every record, as one by one.
      if (tracker !== undefined) for (const line of lines.toString().split('\n')) tracker.observe(line)
      writer.writeRecords(lines, count)
    },
    get full() {
      return writer.full
    },
    flush: async () => {
      await writer.flush()
      report()
    },
  }
}
