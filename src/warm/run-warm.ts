import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ResolvedConfig, ResolvedSource } from '../config/resolve-config.js'
import type { ResolvedHttp } from '../config/resolve-warm.js'
import { CachesyncError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { PACKAGE_VERSION } from '../util/package-version.js'
import { PidLock } from '../util/pid-lock.js'
import { loadRowHash } from '../util/row-hash.js'
import { createTaskLimiter } from '../util/task-limiter.js'
import { createBreakerSaver, readBreakerFile } from './breaker-file.js'
import { TEMP_FILE } from './cache-file-writer.js'
import { CircuitBreakers } from './circuit-breaker.js'
import { HostPacer, realSleep, type Sleep } from './host-pacer.js'
import { createHttpClient, type HttpClient } from './http-client.js'
import { recordWarm } from './warm-record.js'
import type { WarmProgressEvent, WarmReport } from './warm-report.js'
import { type WarmContext, warmSource } from './warm-source.js'

/**
 * Options of {@link runWarm}; all optional.
 *
 * @example
 * await runWarm(config, { sources: ['rptrs'], maxAgeMs: 60 * 60 * 1000, logger })
 */
export interface WarmOptions {
  /** Warm only these sources. @default every source with a url */
  sources?: readonly string[]
  /** A cache file younger than this is not fetched; overrides the configuration. */
  maxAgeMs?: number
  /** Accept a fetch that shrinks a source beyond its maxShrink or minRecords: the operator knows it is real. */
  allowShrink?: boolean
  /** Incremental sources fetch everything, as if their full fetch were due (`--full`). @default false */
  full?: boolean
  logger?: Logger
  onProgress?: (event: WarmProgressEvent) => void
  /** Cancels the run: requests in flight are aborted, their temp files removed, old caches kept. */
  signal?: AbortSignal
  /** Where `auth.env` secrets are read. @default process.env */
  env?: NodeJS.ProcessEnv
  /** The HTTP client. @default undici, with the configured timeouts */
  client?: HttpClient
  /** Circuit breakers to share between runs. @default new ones for this run */
  breakers?: CircuitBreakers
  /** @default setTimeout */
  sleep?: Sleep
  /** @default Date.now */
  now?: () => number
  /** Jitter source, in [0, 1). @default Math.random */
  random?: () => number
}

/** The lock file that keeps two warms of one cache directory from interleaving. */
export const WARM_LOCK_FILE = '.cachesync-warm.lock'

/**
 * Fetches every source (or those named) into the cache directory: the library side of `cachesync warm`. Sources
 * fail one by one, keeping their old cache; the run throws only when it cannot start (bad source names, the cache
 * directory locked by another warm).
 *
 * @example
 * const warm = await runWarm(resolveConfig({ flags: { cacheDir: './cache' } }), { maxAgeMs: 60 * 60 * 1000 })
 * for (const s of warm.sources) console.log(s.name, s.outcome, s.records)
 */
export async function runWarm(config: ResolvedConfig, options: WarmOptions = {}): Promise<WarmReport> {
  const started = performance.now()
  const sources = selectSources(config.sources, options.sources)
  const settings = config.warm
  await mkdir(config.cacheDir, { recursive: true })
  // The warm writes each cache file's line index, which holds the row hash of every line.
  await loadRowHash()
  const lock = PidLock.acquire(
    join(config.cacheDir, WARM_LOCK_FILE),
    (holder) => `Cache directory ${config.cacheDir} is being warmed by another process: pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}`,
  )
  let client: HttpClient | undefined
  try {
    client =
      options.client ??
      createHttpClient({
        userAgent: `cachesync/${PACKAGE_VERSION}`,
        headersTimeoutMs: settings.headersTimeoutMs,
        bodyTimeoutMs: settings.bodyTimeoutMs,
        connections: settings.concurrency,
      })
    await removeStaleTempFiles(config.cacheDir)
    const now = options.now ?? Date.now
    const sleep = options.sleep ?? realSleep
    const logger = options.logger ?? silentLogger
    // Breakers live in the cache directory between runs, unless the caller shares its own.
    const saver =
      options.breakers === undefined
        ? createBreakerSaver(config.cacheDir, (err) =>
            logger.warn({ error: (err as Error)?.message ?? String(err) }, 'could not save the circuit breakers in the cache directory'),
          )
        : undefined
    const breakers = options.breakers ?? new CircuitBreakers(settings.breaker, now, () => saver?.save(breakers.snapshot()))
    const savedBreakers = options.breakers === undefined ? await readBreakerFile(config.cacheDir) : {}
    breakers.restore(savedBreakers)
    const ctx: WarmContext = {
      cacheDir: config.cacheDir,
      client,
      guards: {
        retry: settings.retry,
        timeouts: { headersMs: settings.headersTimeoutMs, bodyMs: settings.bodyTimeoutMs },
        breakers,
        pacer: new HostPacer(settings.requestsPerSecond, now, sleep),
        limiter: createTaskLimiter(settings.concurrency),
        sleep,
        random: options.random ?? Math.random,
        signal: options.signal,
      },
      maxAgeMs: options.maxAgeMs,
      defaultMaxAgeMs: settings.maxAgeMs,
      defaultMaxShrink: settings.maxShrink,
      allowShrink: options.allowShrink === true,
      full: options.full === true,
      now,
      env: options.env ?? process.env,
      logger,
      version: PACKAGE_VERSION,
      onProgress: options.onProgress,
    }
    const opensBefore = breakers.opens
    const reports = await Promise.all(sources.map(([source, http]) => warmSource(source, http, ctx)))
    // Nothing to remember and nothing remembered: no file (a healthy cache directory holds none).
    const snapshot = breakers.snapshot()
    if (Object.keys(snapshot).length > 0 || Object.keys(savedBreakers).length > 0) saver?.save(snapshot)
    await saver?.flush()
    const report: WarmReport = {
      ok: reports.every((r) => r.outcome !== 'failed'),
      sources: reports,
      ms: performance.now() - started,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      breakerOpens: breakers.opens - opensBefore,
    }
    await recordWarm(config.cacheDir, report, new Date(now())).catch((err: unknown) =>
      ctx.logger.warn({ error: (err as Error)?.message ?? String(err) }, 'could not record the warm outcome in the cache directory'),
    )
    return report
  } finally {
    if (options.client === undefined) await client?.close()
    lock.release()
  }
}

function selectSources(all: readonly ResolvedSource[], names: readonly string[] | undefined): [ResolvedSource, ResolvedHttp][] {
  const withUrl = all.filter((s): s is ResolvedSource & { http: ResolvedHttp } => s.http !== undefined)
  if (names === undefined || names.length === 0) {
    if (withUrl.length === 0) throw new CachesyncError('ERR_CONFIG', 'No source has a url to warm from: give sources a url in the configuration')
    return withUrl.map((s) => [s, s.http])
  }
  const picked: [ResolvedSource, ResolvedHttp][] = []
  for (const name of new Set(names)) {
    const source = all.find((s) => s.name === name)
    if (source === undefined) throw new CachesyncError('ERR_USAGE', `Unknown source ${name}: the configuration has ${all.map((s) => s.name).join(', ')}`)
    if (source.http === undefined) throw new CachesyncError('ERR_USAGE', `Source ${name} has no url: there is nothing to warm it from`)
    picked.push([source, source.http])
  }
  return picked
}

/** Temp files left by a warm that was killed: under the lock, no other warm is writing any. */
async function removeStaleTempFiles(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (TEMP_FILE.test(name)) await rm(join(cacheDir, name), { force: true })
  }
}
