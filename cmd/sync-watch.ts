import type { ResolvedConfig } from '../src/config/resolve-config.js'
import type { SyncOptions } from '../src/engine/sync.js'
import { failedSyncMetrics, readDatabaseBytes, syncMetrics } from '../src/metrics/sync-metrics.js'
import type { Logger } from '../src/util/logger.js'
import { runWatch, type WatchCycle } from '../src/watch/run-watch.js'
import { EXIT } from './exit-status.js'
import { warmToJson } from './format-warm-report.js'
import { writeMetrics } from './metrics-file.js'
import { listenForStop } from './stop-signals.js'
import { syncToJson } from './sync-to-json.js'
import type { WatchArgs } from './watch-args.js'

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
