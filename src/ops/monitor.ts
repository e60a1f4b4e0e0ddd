import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import type { ResolvedConfig } from '../config/resolve-config.js'
import { CachesyncError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { type Alert, judge, type Measurement, type MonitorRules, type ProductionFacts, type VerdictStatus } from './monitor-rules.js'
import { lastSuccessfulRun, openForReading, readRuns } from './run-history.js'
import { lastRunMeasurement, timeScratchSync, timeSyntheticSync } from './timed-sync.js'
import { sendWebhook, type WebhookOptions, type WebhookResult } from './webhook.js'

/** Options of {@link runMonitor}. */
export interface MonitorOptions extends MonitorRules {
  /** Time a sync of the current cache into a scratch copy (`run`), or judge the newest recorded run (`last`). @default 'run' */
  measure?: 'run' | 'last'
  /** Time a first sync of this many generated records instead of the cache (a synthetic check). */
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
  const before = readFacts(config.db)
  let measured: Measurement
  if (options.records !== undefined) measured = await timeSyntheticSync(config, options.records, logger)
  else if (options.measure === 'last') measured = lastRunMeasurement(before.lastRun, config.db, before.dbExists)
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
    db: config.db,
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

function readFacts(dbPath: string): ProductionFacts {
  if (!existsSync(dbPath)) return { dbExists: false, lastRun: undefined, lastSuccess: undefined }
  let db: ReturnType<typeof openForReading>
  try {
    db = openForReading(dbPath)
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot read database ${dbPath}: ${(err as Error).message}`, { cause: err })
  }
  if (db === undefined) return { dbExists: false, lastRun: undefined, lastSuccess: undefined }
  try {
    return { dbExists: true, lastRun: readRuns(db, { limit: 1, finishedOnly: true })[0], lastSuccess: lastSuccessfulRun(db) }
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot read the runs of ${dbPath}: ${(err as Error).message}`, { cause: err })
  } finally {
    db.close()
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
