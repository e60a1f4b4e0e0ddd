import { warmMetrics } from '../../src/metrics/warm-metrics.js'
import { parseDuration } from '../../src/util/duration.js'
import { CachesyncError } from '../../src/util/errors.js'
import { runWarm } from '../../src/warm/run-warm.js'
import type { WarmReport } from '../../src/warm/warm-report.js'
import { cliLogger } from '../cli-logger.js'
import type { WarmArgs } from '../definitions/warm.js'
import { EXIT } from '../exit-status.js'
import { formatWarmReport, warmToJson } from '../format-warm-report.js'
import { loadConfig } from '../load-config.js'
import { metricsPath, writeMetrics } from '../metrics-file.js'
import { createWarmProgress } from '../warm-progress.js'

/** `cachesync warm`: fetch the sources from their HTTP APIs into the cache directory. */
export async function run(args: WarmArgs): Promise<number> {
  const maxAgeMs = args.maxAge === undefined ? undefined : parseDuration(args.maxAge)
  if (args.maxAge !== undefined && maxAgeMs === undefined) {
    throw new CachesyncError('ERR_USAGE', `--max-age ${JSON.stringify(args.maxAge)}: must be a duration such as 90s, 30m, 1h or 1d`)
  }
  const metricsFile = metricsPath(args.metricsFile)
  const config = loadConfig(args, { baseUrl: args.baseUrl, ...(args.concurrency === undefined ? {} : { warm: { concurrency: args.concurrency } }) })
  // Info lines would tear through the progress lines on a terminal: there they are asked for explicitly.
  const quietOnTty = args.progress && process.stderr.isTTY === true && process.env.CACHESYNC_LOG_LEVEL === undefined
  const logger = cliLogger({ logLevel: args.logLevel ?? (quietOnTty ? 'warn' : undefined) })
  const progress = await createWarmProgress(logger, args.progress)
  const abort = new AbortController()
  const onSignal = (): void => abort.abort(new CachesyncError('ERR_ABORTED', 'interrupted'))
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
  let report: WarmReport
  try {
    report = await runWarm(config, {
      ...(args.source === undefined ? {} : { sources: args.source.flatMap((s) => s.split(',')).filter((s) => s !== '') }),
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
      allowShrink: args.allowShrink,
      full: args.full,
      logger,
      onProgress: progress.onProgress,
      signal: abort.signal,
    })
  } finally {
    progress.stop()
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  }
  process.stdout.write(args.json ? `${JSON.stringify(warmToJson(report))}\n` : `${formatWarmReport(report)}\n`)
  const metricsWritten = metricsFile === undefined || (await writeMetrics(metricsFile, warmMetrics(report, new Date())))
  return report.ok && metricsWritten ? EXIT.ok : EXIT.failed
}
