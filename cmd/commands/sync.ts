import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { failedSyncMetrics, readDatabaseBytes, syncMetrics } from '../../src/metrics/sync-metrics.js'
import { ConfigError } from '../../src/util/errors.js'
import { cliLogger } from '../cli-logger.js'
import type { SyncArgs } from '../definitions/sync.js'
import { EXIT } from '../exit-status.js'
import { formatSyncReport } from '../format-report.js'
import { loadConfig } from '../load-config.js'
import { metricsPath, writeMetrics } from '../metrics-file.js'
import { createProgress } from '../progress.js'
import { listenForStop } from '../stop-signals.js'
import { syncToJson } from '../sync-to-json.js'
import { checkWatchArgs } from '../watch-args.js'

/** `cachesync sync`: load the cache files into the database, once or with `--watch` every interval. */
export async function run(args: SyncArgs): Promise<number> {
  const watch = checkWatchArgs(args)
  // CACHESYNC_CHUNK=auto is read here; a number (or a mistake) there is the configuration's to check.
  const chunk = parseChunk(args.chunk ?? (process.env.CACHESYNC_CHUNK === 'auto' ? 'auto' : undefined))
  const metricsFile = metricsPath(args.metricsFile)
  const config = loadConfig(
    args,
    { mode: args.mode, chunk: chunk.size, workers: args.workers, maxRejects: args.maxRejects, sink: args.sink, schema: args.schema, pgLock: args.pgLock },
    { ignoreEnv: chunk.adaptive ? ['CACHESYNC_CHUNK'] : [] },
  )
  const logger = cliLogger(args)
  const options = {
    dryRun: args.dryRun,
    force: args.force,
    vacuum: args.vacuum,
    backupBefore: args.backupBefore,
    adaptiveChunk: chunk.adaptive,
    ...(args.memoryThresholdMb === undefined ? {} : { memoryThresholdMb: args.memoryThresholdMb }),
  }
  if (args.watch) {
    // The runs inside log warnings and errors only, unless asked: the watch logs one line a cycle.
    const runs = cliLogger({ logLevel: args.logLevel ?? process.env.CACHESYNC_LOG_LEVEL ?? 'warn' })
    // The watch loop (and the warm it runs) is loaded only for --watch: a cron run's start-up stays small.
    const { runSyncWatch } = await import('../sync-watch.js')
    return runSyncWatch(config, args, { ...watch, metricsFile }, { cycles: logger, runs }, options)
  }
  const progress = await createProgress(logger, args.progress)
  const stop = listenForStop(logger)
  let report: SyncReport
  try {
    report = await runSync(config, { ...options, logger, onProgress: progress.onProgress, signal: stop.signal })
  } catch (err) {
    // A requested stop is not a failure: the committed chunks are kept and the next sync resumes.
    if ((err as { code?: unknown }).code === 'ERR_ABORTED') {
      process.stderr.write(`cachesync: ${(err as Error).message}\n`)
      return EXIT.ok
    }
    if (metricsFile !== undefined) await writeMetrics(metricsFile, failedSyncMetrics(new Date()))
    throw err
  } finally {
    progress.stop()
    stop.dispose()
  }
  process.stdout.write(args.json ? `${JSON.stringify(syncToJson(report))}\n` : `${formatSyncReport(report)}\n`)
  const metricsWritten =
    metricsFile === undefined ||
    (await writeMetrics(metricsFile, syncMetrics(report, new Date(), report.dryRun ? undefined : await readDatabaseBytes(config.sink))))
  return report.ok && metricsWritten ? EXIT.ok : EXIT.failed
}

/** `--chunk N` or `--chunk auto`; anything else is a usage error. */
function parseChunk(raw: string | undefined): { size: number | undefined; adaptive: boolean } {
  if (raw === undefined || raw === '') return { size: undefined, adaptive: false }
  if (raw === 'auto') return { size: undefined, adaptive: true }
  const size = Number(raw)
  if (!Number.isInteger(size) || size <= 0) throw new ConfigError(`--chunk must be a positive integer or auto, got ${JSON.stringify(raw)}`)
  return { size, adaptive: false }
}
