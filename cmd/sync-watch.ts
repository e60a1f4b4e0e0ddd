import type { ResolvedConfig } from '../src/config/resolve-config.js'
import type { SyncOptions } from '../src/engine/sync.js'
import { failedSyncMetrics, readDatabaseBytes, syncMetrics } from '../src/metrics/sync-metrics.js'
import { parseDuration } from '../src/util/duration.js'
import { CachesyncError } from '../src/util/errors.js'
import type { Logger } from '../src/util/logger.js'
import { runWatch, type WatchCycle } from '../src/watch/run-watch.js'
import type { SyncArgs } from './definitions/sync.js'
import { EXIT } from './exit-status.js'
import { warmToJson } from './format-warm-report.js'
import { writeMetrics } from './metrics-file.js'
import { listenForStop } from './stop-signals.js'
import { syncToJson } from './sync-to-json.js'

/** The flags of `sync` that `--watch` reads. */
export type WatchArgs = Pick<SyncArgs, 'watch' | 'interval' | 'maxAge' | 'warm' | 'dryRun' | 'json'>

/** The flags that belong to `--watch` alone, checked before anything runs. */
export function checkWatchArgs(args: WatchArgs): { intervalMs: number; maxAgeMs: number | undefined } {
  if (!args.watch) {
    for (const [flag, given] of [
      ['--interval', args.interval !== undefined],
      ['--max-age', args.maxAge !== undefined],
      ['--no-warm', !args.warm],
    ] as const) {
      if (given) throw new CachesyncError('ERR_USAGE', `${flag} only applies with --watch`)
    }
    return { intervalMs: 0, maxAgeMs: undefined }
  }
  if (args.dryRun) throw new CachesyncError('ERR_USAGE', '--watch cannot be combined with --dry-run: a dry run writes nothing to watch for')
  return {
    intervalMs: durationFlag('--interval', args.interval ?? '2m'),
    maxAgeMs: args.maxAge === undefined ? undefined : durationFlag('--max-age', args.maxAge),
  }
}

function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) throw new CachesyncError('ERR_USAGE', `${flag} ${JSON.stringify(text)}: must be a positive duration such as 30s, 2m or 1h`)
  return ms
}

/**
 * `cachesync sync --watch`: warm and sync every interval until SIGTERM or SIGINT, which stop it cleanly
 * (exit 0). One log line a cycle on stderr; with `--json`, one JSON object a cycle on stdout; with
 * `--metrics-file`, the metrics rewritten after every cycle that ran a sync (a skipped cycle leaves the
 * last sync's, which still describe the database).
 */
export async function runSyncWatch(
  config: ResolvedConfig,
  args: WatchArgs,
  flags: { intervalMs: number; maxAgeMs: number | undefined; metricsFile: string | undefined },
  loggers: { cycles: Logger; runs: Logger },
  syncOptions: Omit<SyncOptions, 'signal' | 'logger'>,
): Promise<number> {
  const stop = listenForStop(loggers.cycles)
  try {
    loggers.cycles.info({ intervalMs: flags.intervalMs, db: config.db, cacheDir: config.cacheDir }, 'watching: warm and sync every interval')
    const result = await runWatch(config, {
      intervalMs: flags.intervalMs,
      warm: args.warm,
      warmOptions: { logger: loggers.runs, ...(flags.maxAgeMs === undefined ? {} : { maxAgeMs: flags.maxAgeMs }) },
      syncOptions: { ...syncOptions, logger: loggers.runs },
      logger: loggers.cycles,
      signal: stop.signal,
      onCycle: async (cycle) => {
        if (args.json) process.stdout.write(`${JSON.stringify(cycleToJson(cycle))}\n`)
        if (flags.metricsFile === undefined) return
        if (cycle.sync.kind === 'synced') {
          const report = cycle.sync.report
          await writeMetrics(flags.metricsFile, syncMetrics(report, new Date(), report.dryRun ? undefined : await readDatabaseBytes(config.sink)))
        }
        if (cycle.sync.kind === 'failed') await writeMetrics(flags.metricsFile, failedSyncMetrics(new Date()))
      },
    })
    loggers.cycles.info({ cycles: result.cycles, signal: stop.received() }, 'watch stopped')
    return EXIT.ok
  } finally {
    stop.dispose()
  }
}

/** One line of `sync --watch --json`. */
function cycleToJson(cycle: WatchCycle): object {
  return {
    cycle: cycle.n,
    startedAt: cycle.startedAt.toISOString(),
    ms: Math.round(cycle.ms),
    overran: cycle.overran,
    nextInMs: Math.round(cycle.nextInMs),
    warm: cycle.warm === undefined ? null : warmToJson(cycle.warm),
    warmError: cycle.warmError?.message ?? null,
    sync: cycle.sync.kind,
    report: cycle.sync.kind === 'synced' ? syncToJson(cycle.sync.report) : null,
    error: cycle.sync.kind === 'failed' ? cycle.sync.error.message : null,
  }
}
