import type { CommandModule } from 'yargs'
import { type MonitorVerdict, runMonitor } from '../../src/ops/monitor.js'
import { parseWebhookUrl } from '../../src/ops/webhook.js'
import { parseDuration } from '../../src/util/duration.js'
import { CachesyncError } from '../../src/util/errors.js'
import { cliLogger, loadConfig, withConfigOptions } from '../shared-options.js'

interface MonitorArgs {
  config?: string
  db?: string
  cacheDir?: string
  json: boolean
  logLevel?: string
  threshold: number
  last?: boolean
  run?: boolean
  records?: number
  webhook?: string
  minRate?: number
  maxRssMb?: number
  maxStaleness?: string
}

export function monitorCommand(setExit: (code: number) => void): CommandModule<object, MonitorArgs> {
  return {
    command: 'monitor',
    describe: 'time a sync (or read the last one) and print OK or ALERT: exit 0 OK, 2 ALERT, 1 the sync failed',
    builder: (y) =>
      withConfigOptions(y)
        .option('threshold', { type: 'number', default: 5, describe: 'seconds the sync may take' })
        .option('run', { type: 'boolean', describe: 'time a sync of the current cache into a scratch copy of the database (the default)' })
        .option('last', { type: 'boolean', describe: 'judge the newest run recorded in the database instead of timing one' })
        .conflicts('run', 'last')
        .option('records', {
          type: 'number',
          describe:
            'time a first sync of N generated records instead (a synthetic check, independent of upstream, into a scratch SQLite file whatever the sink)',
        })
        .conflicts('records', 'last')
        .option('min-rate', { type: 'number', describe: 'alert below this many records/s' })
        .option('max-rss-mb', { type: 'number', describe: 'alert when peak RSS exceeds this many MB' })
        .option('max-staleness', { type: 'string', describe: 'alert when the last successful sync is older than this (30m, 2h, 1d)' })
        .option('webhook', {
          type: 'string',
          describe: 'POST the verdict as JSON here (Slack-style `text` included); a failure is reported, not fatal',
        }) as never,
    handler: async (args) => {
      const maxStalenessMs = args.maxStaleness === undefined ? undefined : parseDuration(args.maxStaleness)
      if (args.maxStaleness !== undefined && maxStalenessMs === undefined) {
        throw new CachesyncError('ERR_USAGE', `--max-staleness ${JSON.stringify(args.maxStaleness)}: must be a duration such as 30m, 2h or 1d`)
      }
      const webhook = args.webhook === undefined ? undefined : parseWebhookUrl(args.webhook)
      const config = loadConfig(args)
      // The sync's own info lines would bury the verdict in a cron mail: warnings only, unless asked.
      const logger = cliLogger({ ...args, logLevel: args.logLevel ?? process.env.CACHESYNC_LOG_LEVEL ?? 'warn' })
      const verdict = await runMonitor(config, {
        thresholdSeconds: args.threshold,
        measure: args.last === true ? 'last' : 'run',
        records: args.records,
        minRate: args.minRate,
        maxRssMb: args.maxRssMb,
        maxStalenessMs,
        webhook,
        logger,
      })
      if (verdict.webhook !== undefined && !verdict.webhook.ok) {
        const w = verdict.webhook
        process.stderr.write(`cachesync: webhook to ${w.target} failed after ${w.attempts} attempt(s): ${w.error ?? 'unknown error'}\n`)
      }
      process.stdout.write(args.json ? `${JSON.stringify(monitorToJson(verdict))}\n` : `${verdict.lines.join('\n')}\n`)
      setExit(verdict.exitCode)
    },
  }
}

/** The `--json` contract of `cachesync monitor`. */
export function monitorToJson(v: MonitorVerdict): object {
  const m = v.measured
  return {
    status: v.status,
    exitCode: v.exitCode,
    message: v.lines[0],
    alerts: v.alerts,
    measured: {
      kind: m.kind,
      ok: m.ok,
      seconds: m.seconds === undefined ? null : Math.round(m.seconds * 1000) / 1000,
      records: m.records,
      recordsPerSec: m.recordsPerSec ?? null,
      peakRssMb: m.peakRssMb ?? null,
      mode: m.mode ?? null,
      runId: m.runId ?? null,
      startedAt: m.startedAt ?? null,
      error: m.error ?? null,
    },
    rules: {
      thresholdSeconds: v.rules.thresholdSeconds,
      minRate: v.rules.minRate ?? null,
      maxRssMb: v.rules.maxRssMb ?? null,
      maxStalenessMs: v.rules.maxStalenessMs ?? null,
    },
    db: v.db,
    host: v.host,
    checkedAt: v.checkedAt,
    webhook: v.webhook === undefined ? null : { ...v.webhook, status: v.webhook.status ?? null, error: v.webhook.error ?? null },
  }
}
