import type { CommandModule } from 'yargs'
import { warmMetrics } from '../../src/metrics/warm-metrics.js'
import { parseDuration } from '../../src/util/duration.js'
import { CachesyncError } from '../../src/util/errors.js'
import { runWarm } from '../../src/warm/run-warm.js'
import type { WarmReport } from '../../src/warm/warm-report.js'
import { formatWarmReport, warmToJson } from '../format-warm-report.js'
import { METRICS_FILE_DESCRIBE, metricsPath, writeMetrics } from '../metrics-option.js'
import { cliLogger, loadConfig } from '../shared-options.js'
import { createWarmProgress } from '../warm-progress.js'

interface WarmArgs {
  config?: string
  cacheDir?: string
  json: boolean
  logLevel?: string
  maxAge?: string
  source?: string[]
  concurrency?: number
  baseUrl?: string
  progress: boolean
  allowShrink: boolean
  metricsFile?: string
}

export function warmCommand(setExit: (code: number) => void): CommandModule<object, WarmArgs> {
  return {
    command: 'warm',
    describe: 'fetch the sources from their HTTP APIs into the cache directory',
    builder: (y) =>
      y
        .option('config', { type: 'string', describe: 'configuration file (YAML or JSON); env CACHESYNC_CONFIG' })
        .option('cache-dir', { type: 'string', describe: 'cache directory; env CACHESYNC_CACHE_DIR [default: ./cache]' })
        .option('max-age', { type: 'string', describe: 'skip a source whose cache is younger than this (90s, 30m, 1h); env CACHESYNC_MAX_AGE' })
        .option('source', { type: 'string', array: true, describe: 'warm only these sources (repeat, or list them)' })
        .option('concurrency', { type: 'number', describe: 'requests in flight at once; env CACHESYNC_CONCURRENCY [default: 4]' })
        .option('base-url', { type: 'string', describe: 'replace the scheme, host and port of every source URL; env CACHESYNC_BASE_URL' })
        .option('allow-shrink', {
          type: 'boolean',
          default: false,
          describe: "accept a fetch with fewer records than the source's minRecords, or dropping more than its maxShrink [default: 50 %]",
        })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout at the end' })
        .option('metrics-file', { type: 'string', describe: METRICS_FILE_DESCRIBE })
        .option('log-level', { type: 'string', describe: 'fatal, error, warn, info, debug or silent; env CACHESYNC_LOG_LEVEL' })
        .option('progress', { type: 'boolean', default: true, describe: 'show progress (a line per source on a terminal, log lines otherwise)' }) as never,
    handler: async (args) => {
      const maxAgeMs = args.maxAge === undefined ? undefined : parseDuration(args.maxAge)
      if (args.maxAge !== undefined && maxAgeMs === undefined) {
        throw new CachesyncError('ERR_USAGE', `--max-age ${JSON.stringify(args.maxAge)}: must be a duration such as 90s, 30m, 1h or 1d`)
      }
      const metricsFile = metricsPath(args.metricsFile)
      const config = loadConfig(args, { baseUrl: args.baseUrl, ...(args.concurrency === undefined ? {} : { warm: { concurrency: args.concurrency } }) })
      // Info lines would tear through the progress lines on a terminal: there they are asked for explicitly.
      const quietOnTty = args.progress && process.stderr.isTTY === true && process.env.CACHESYNC_LOG_LEVEL === undefined
      const logger = cliLogger({ ...args, logLevel: args.logLevel ?? (quietOnTty ? 'warn' : undefined) })
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
      setExit(report.ok && metricsWritten ? 0 : 1)
    },
  }
}
