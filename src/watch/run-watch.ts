import { setTimeout as sleepFor } from 'node:timers/promises'
import type { ResolvedConfig } from '../config/resolve-config.js'
import { isStopped, stopRequested } from '../engine/stop-request.js'
import { runSync, type SyncOptions } from '../engine/sync.js'
import type { SyncReport } from '../engine/sync-report.js'
import { isUserError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { runWarm, type WarmOptions } from '../warm/run-warm.js'
import type { WarmReport } from '../warm/warm-report.js'
import { cacheFingerprint } from './cache-fingerprint.js'

/** Options of {@link runWatch}; all optional. */
export interface WatchOptions {
  /** From one cycle's start to the next's. @default 120000 (2 min) */
  intervalMs?: number
  /** Warm the sources that have a url before each sync. @default true when a source has a url */
  warm?: boolean
  /** Passed to every `runWarm` (its `signal` is the watch's). */
  warmOptions?: Omit<WarmOptions, 'signal'>
  /** Passed to every `runSync` (its `signal` is the watch's). */
  syncOptions?: Omit<SyncOptions, 'signal'>
  /** Where the one line per cycle goes. @default silent */
  logger?: Logger
  /** Ends the loop: at once while it sleeps, after the chunk in flight while it syncs. */
  signal?: AbortSignal
  /** Called after each cycle, before the sleep. */
  onCycle?: (cycle: WatchCycle) => void | Promise<void>
  /** Stop after this many cycles. @default no limit */
  maxCycles?: number
  /** @default Date.now */
  now?: () => number
  /** Waits `ms`, returning early when `signal` aborts. @default a timer */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>
}

/** What a cycle did with the sync. */
export type WatchSync =
  | { readonly kind: 'synced'; readonly report: SyncReport }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'stopped' }

export interface WatchCycle {
  /** 1 for the first cycle. */
  readonly n: number
  readonly startedAt: Date
  /** The warm's report; undefined when the cycle did not warm (or the warm could not start: `warmError`). */
  readonly warm: WarmReport | undefined
  readonly warmError: Error | undefined
  readonly sync: WatchSync
  readonly ms: number
  /** How long until the next cycle starts; 0 when this one took the whole interval or longer. */
  readonly nextInMs: number
  /** True when the cycle took longer than the interval: the next one starts at once. */
  readonly overran: boolean
}

export interface WatchResult {
  readonly cycles: number
  /** True when the loop ended because the signal aborted (not `maxCycles`). */
  readonly stopped: boolean
}

export const DEFAULT_WATCH_INTERVAL_MS = 120_000

/**
 * Warms and syncs in a loop, one cycle per interval measured from cycle start, until the signal aborts:
 * the library side of `cachesync sync --watch`. A cycle after which every cache file has the content the
 * last good sync of this loop loaded (warm fetched nothing new) does not open the database at all. A
 * failed warm or sync is logged and the loop goes on; a configuration error or a bug ends it (rejects).
 */
export async function runWatch(config: ResolvedConfig, options: WatchOptions = {}): Promise<WatchResult> {
  const intervalMs = options.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS
  const logger = options.logger ?? silentLogger
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? sleepUnlessStopped
  const signal = options.signal
  const warm = options.warm ?? config.sources.some((source) => source.http !== undefined)
  let syncedFingerprint: string | undefined
  let cycles = 0
  while (!stopRequested(signal) && cycles < (options.maxCycles ?? Number.POSITIVE_INFINITY)) {
    cycles++
    const started = now()
    const warmed = warm ? await warmOnce(config, options.warmOptions, signal) : { report: undefined, error: undefined }
    let sync: WatchSync
    if (stopRequested(signal)) sync = { kind: 'stopped' }
    else {
      const fingerprint = await cacheFingerprint(config)
      if (fingerprint === syncedFingerprint && options.syncOptions?.force !== true) {
        sync = { kind: 'skipped', reason: 'the cache holds what the last sync loaded' }
      } else {
        sync = await syncOnce(config, options.syncOptions, signal)
        syncedFingerprint = sync.kind === 'synced' && sync.report.ok ? fingerprint : undefined
      }
    }
    const ms = now() - started
    const overran = ms >= intervalMs
    const cycle: WatchCycle = {
      n: cycles,
      startedAt: new Date(Date.now() - ms),
      warm: warmed.report,
      warmError: warmed.error,
      sync,
      ms,
      nextInMs: Math.max(0, intervalMs - ms),
      overran,
    }
    logCycle(logger, cycle, intervalMs)
    await options.onCycle?.(cycle)
    if (sync.kind === 'stopped' || stopRequested(signal)) break
    if (cycles >= (options.maxCycles ?? Number.POSITIVE_INFINITY)) break
    // Measured from the cycle's start: a cycle that took the interval or longer is followed at once.
    const wait = intervalMs - (now() - started)
    if (wait > 0) await sleep(wait, signal)
  }
  return { cycles, stopped: stopRequested(signal) }
}

async function warmOnce(
  config: ResolvedConfig,
  options: Omit<WarmOptions, 'signal'> | undefined,
  signal: AbortSignal | undefined,
): Promise<{ report: WarmReport | undefined; error: Error | undefined }> {
  try {
    return { report: await runWarm(config, { ...options, ...(signal === undefined ? {} : { signal }) }), error: undefined }
  } catch (err) {
    // Another warm of the directory, or a cache directory that cannot be written: the sync may still run.
    if (endsTheLoop(err)) throw err
    return { report: undefined, error: err as Error }
  }
}

async function syncOnce(config: ResolvedConfig, options: Omit<SyncOptions, 'signal'> | undefined, signal: AbortSignal | undefined): Promise<WatchSync> {
  try {
    return { kind: 'synced', report: await runSync(config, { ...options, ...(signal === undefined ? {} : { signal }) }) }
  } catch (err) {
    if (isStopped(err)) return { kind: 'stopped' }
    if (endsTheLoop(err)) throw err
    return { kind: 'failed', error: err as Error }
  }
}

/** A configuration or usage error fails every cycle alike, and a bug is a bug: the loop ends with them. */
function endsTheLoop(err: unknown): boolean {
  if (!isUserError(err)) return true
  return err.code === 'ERR_CONFIG' || err.code === 'ERR_USAGE'
}

function logCycle(logger: Logger, cycle: WatchCycle, intervalMs: number): void {
  const line = {
    cycle: cycle.n,
    warm: cycle.warm === undefined ? (cycle.warmError === undefined ? 'off' : cycle.warmError.message) : warmSummary(cycle.warm),
    sync: syncSummary(cycle.sync),
    ms: Math.round(cycle.ms),
    nextInMs: Math.round(cycle.nextInMs),
  }
  const syncFailed = cycle.sync.kind === 'failed' || (cycle.sync.kind === 'synced' && !cycle.sync.report.ok)
  if (syncFailed || cycle.warmError !== undefined || cycle.warm?.ok === false) logger.error(line, 'watch cycle failed in part')
  else if (cycle.overran) logger.warn({ ...line, intervalMs }, 'watch cycle took longer than the interval: the next starts at once')
  else logger.info(line, 'watch cycle')
}

function warmSummary(report: WarmReport): string {
  const counts = new Map<string, number>()
  for (const source of report.sources) counts.set(source.outcome, (counts.get(source.outcome) ?? 0) + 1)
  return [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ')
}

function syncSummary(sync: WatchSync): string {
  switch (sync.kind) {
    case 'skipped':
      return `skipped: ${sync.reason}`
    case 'stopped':
      return 'stopped on request'
    case 'failed':
      return `failed: ${sync.error.message}`
    case 'synced': {
      const { inserted, updated, deleted, unchanged, rejected } = sync.report.records
      const states = sync.report.sources.map((s) => `${s.name} ${s.state}`).join(', ')
      return `${states}; ${inserted} inserted, ${updated} updated, ${deleted} deleted, ${unchanged} unchanged, ${rejected} rejected`
    }
  }
}

async function sleepUnlessStopped(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleepFor(ms, undefined, signal === undefined ? {} : { signal })
  } catch (err) {
    if (signal?.aborted !== true) throw err
  }
}
