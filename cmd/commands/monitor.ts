import { type MonitorVerdict, runMonitor } from '../../src/ops/monitor.js'
import { parseWebhookUrl } from '../../src/ops/webhook.js'
import { parseDuration } from '../../src/util/duration.js'
import { CachesyncError } from '../../src/util/errors.js'
import { cliLogger } from '../cli-logger.js'
import type { MonitorArgs } from '../definitions/monitor.js'
import { loadConfig } from '../load-config.js'

/** `cachesync monitor`: time a sync (or read the last one) and judge it; the verdict is the exit status. */
export async function run(args: MonitorArgs): Promise<number> {
  const maxStalenessMs = args.maxStaleness === undefined ? undefined : parseDuration(args.maxStaleness)
  if (args.maxStaleness !== undefined && maxStalenessMs === undefined) {
    throw new CachesyncError('ERR_USAGE', `--max-staleness ${JSON.stringify(args.maxStaleness)}: must be a duration such as 30m, 2h or 1d`)
  }
  const webhook = args.webhook === undefined ? undefined : parseWebhookUrl(args.webhook)
  const config = loadConfig(args)
  // The sync's own info lines would bury the verdict in a cron mail: warnings only, unless asked.
  const logger = cliLogger({ logLevel: args.logLevel ?? process.env.CACHESYNC_LOG_LEVEL ?? 'warn' })
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
  return verdict.exitCode
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
