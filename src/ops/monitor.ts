import { hostname } from 'node:os'
import type { ResolvedConfig } from '../config/resolve-config.js'
import type { ResolvedSink } from '../config/resolve-sink.js'
import { openSinkReader } from '../sink/open-sink.js'
import { CachesyncError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { type Alert, judge, type Measurement, type MonitorRules, type ProductionFacts, type VerdictStatus } from './monitor-rules.js'
import { lastRunMeasurement, timeScratchSync, timeSyntheticSync } from './timed-sync.js'
import { sendWebhook, type WebhookOptions, type WebhookResult } from './webhook.js'

/** Options of {@link runMonitor}. */
export interface MonitorOptions extends MonitorRules {
  /**
   * Time a sync of the current cache into a scratch copy (`run`: a copy of the SQLite file, or a scratch
   * schema of the PostgreSQL database), or judge the newest recorded run (`last`). @default 'run'
   */
  measure?: 'run' | 'last'
  /** Time a first sync of this many generated records instead of the cache (a synthetic check, into a scratch SQLite file whatever the sink). */
  records?: number | undefined
  /** POST the verdict here as JSON. */
  webhook?: URL | undefined
  webhookOptions?: WebhookOptions
  logger?: Logger
  /** @default Date.now */
  now?: () => number
}

/** What `cachesync monitor` decided, with everything it looked at. */
export interface MonitorVerdict {
  readonly status: VerdictStatus
  /** 0 OK, 2 ALERT, 1 the sync itself failed. */
  readonly exitCode: number
  readonly alerts: readonly Alert[]
  /** The lines `cachesync monitor` prints: `OK: …` or `ALERT: …`, then the figures. */
  readonly lines: readonly string[]
  readonly measured: Measurement
  readonly rules: MonitorRules
  /** The production database as it may be printed: a path, or a URL without its password. */
  readonly db: string
  readonly host: string
  readonly checkedAt: string
  /** How the webhook went, when one was asked for. */
  readonly webhook: WebhookResult | undefined
}

/**
 * The library side of `cachesync monitor`: measures (a scratch sync, a synthetic one, or the last recorded
 * run), applies every rule, and POSTs the verdict to the webhook if one is given. A failed sync is a
 * verdict, not an exception; only a usage or configuration mistake throws.
 */
export async function runMonitor(config: ResolvedConfig, options: MonitorOptions): Promise<MonitorVerdict> {
  checkRules(options)
  const logger = options.logger ?? silentLogger
  const now = options.now ?? Date.now
  const before = await readFacts(config.sink)
  let measured: Measurement
  if (options.records !== undefined) measured = await timeSyntheticSync(config, options.records, logger)
  else if (options.measure === 'last') measured = lastRunMeasurement(before.lastRun, before.target, before.missing)
  else measured = await timeScratchSync(config, logger)
  const rules: MonitorRules = {
    thresholdSeconds: options.thresholdSeconds,
    minRate: options.minRate,
    maxRssMb: options.maxRssMb,
    maxStalenessMs: options.maxStalenessMs,
  }
  const judged = judge(measured, before, rules, now())
  const verdict: MonitorVerdict = {
    ...judged,
    measured,
    rules,
    db: before.target,
    host: hostname(),
    checkedAt: new Date(now()).toISOString(),
    webhook: undefined,
  }
  if (options.webhook === undefined) return verdict
  return { ...verdict, webhook: await sendWebhook(options.webhook, webhookPayload(verdict), options.webhookOptions) }
}

/**
 * The JSON a webhook receives: `text` for Slack-style receivers (a chat message), and the whole verdict
 * for generic ones.
 */
export function webhookPayload(verdict: MonitorVerdict): Record<string, unknown> {
  const { webhook: _, ...rest } = verdict
  return { text: `cachesync on ${verdict.host}: ${verdict.lines.join('\n')}`, ...rest }
}

/** What the production database says, read through the sink; nothing is written. */
async function readFacts(sink: ResolvedSink): Promise<ProductionFacts & { target: string; missing: string | undefined }> {
  const reader = await openSinkReader(sink)
  try {
    return {
      target: reader.target,
      missing: reader.missing,
      dbExists: reader.missing === undefined,
      lastRun: (await reader.readRuns({ limit: 1, finishedOnly: true }))[0],
      lastSuccess: await reader.lastSuccessfulRun(),
    }
  } finally {
    await reader.close()
  }
}

function checkRules(options: MonitorOptions): void {
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new CachesyncError('ERR_USAGE', `${name} must be a positive number, got ${value}`)
    }
  }
  positive('--threshold', options.thresholdSeconds)
  positive('--min-rate', options.minRate)
  positive('--max-rss-mb', options.maxRssMb)
  positive('--max-staleness', options.maxStalenessMs)
  if (options.records !== undefined && !(Number.isInteger(options.records) && options.records > 0)) {
    throw new CachesyncError('ERR_USAGE', `--records must be a positive integer, got ${options.records}`)
  }
  if (options.records !== undefined && options.measure === 'last')
    throw new CachesyncError('ERR_USAGE', '--records times a synthetic sync: it cannot go with --last')
}
