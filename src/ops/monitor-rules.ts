import type { RecordCounts } from '../engine/sync-report.js'
import type { RecordedRun } from '../sink/recorded-run.js'
import { formatDuration, formatInt, formatMiB } from '../util/format.js'

/** What a monitor check measured: a sync it timed (`run`, `synthetic`) or the newest recorded one (`last`). */
export interface Measurement {
  readonly kind: 'run' | 'last' | 'synthetic'
  /** False when the sync failed (a source failed, or the run could not finish). */
  readonly ok: boolean
  /** Wall time of the sync; undefined when none was measured or recorded. */
  readonly seconds: number | undefined
  readonly records: RecordCounts
  readonly recordsPerSec: number | undefined
  readonly peakRssMb: number | undefined
  readonly mode: string | undefined
  /** The `sync_runs` id of a `last` measurement. */
  readonly runId: number | undefined
  /** When the measured sync started (ISO 8601). */
  readonly startedAt: string | undefined
  /** Why the sync failed, or why there was nothing to measure. */
  readonly error: string | undefined
}

/** The alert rules of `cachesync monitor`; only `thresholdSeconds` is always on. */
export interface MonitorRules {
  /** The sync may take this long. */
  readonly thresholdSeconds: number
  /** Records per second below this alert (not judged when no record was read). */
  readonly minRate?: number | undefined
  /** Peak RSS above this many MiB alerts. */
  readonly maxRssMb?: number | undefined
  /** A last successful sync (of the production database) older than this alerts. */
  readonly maxStalenessMs?: number | undefined
}

/** What the production database says, whatever was measured. */
export interface ProductionFacts {
  readonly dbExists: boolean
  /** The newest run that is not running any more. */
  readonly lastRun: RecordedRun | undefined
  readonly lastSuccess: RecordedRun | undefined
}

export type AlertRule = 'time' | 'min-rate' | 'max-rss' | 'staleness' | 'last-run-failed' | 'sync-failed' | 'no-run'

export interface Alert {
  readonly rule: AlertRule
  readonly message: string
}

export type VerdictStatus = 'ok' | 'alert' | 'failed'

/** Exit statuses of `cachesync monitor`, for cron wrappers: 0 OK, 2 ALERT, 1 the sync itself failed. */
export const MONITOR_EXIT: Readonly<Record<VerdictStatus, number>> = Object.freeze({ ok: 0, alert: 2, failed: 1 })

export interface Judgement {
  readonly status: VerdictStatus
  readonly exitCode: number
  /** Every rule that fired, the sync's failure first. */
  readonly alerts: readonly Alert[]
  /** `OK: …` or `ALERT: …` lines, then one line of figures: what a person or a chat channel reads. */
  readonly lines: readonly string[]
}

/** Applies every rule to a measurement and the production database's facts. Pure: `now` is passed in. */
export function judge(measured: Measurement, facts: ProductionFacts, rules: MonitorRules, now: number): Judgement {
  const alerts: Alert[] = []
  if (!measured.ok) {
    const rule = measured.seconds === undefined && measured.kind === 'last' && measured.runId === undefined ? 'no-run' : 'sync-failed'
    alerts.push({
      rule,
      message: rule === 'no-run' ? `no sync to judge: ${measured.error ?? 'none recorded'}` : `sync failed: ${measured.error ?? 'unknown error'}`,
    })
  }
  const threshold = `${rules.thresholdSeconds} s`
  if (measured.seconds !== undefined && measured.seconds > rules.thresholdSeconds) {
    alerts.push({ rule: 'time', message: `sync performance degraded: ${formatDuration(measured.seconds * 1000)} (threshold ${threshold})` })
  }
  const rate = measured.recordsPerSec
  if (rules.minRate !== undefined && rate !== undefined && measured.records.read > 0 && rate < rules.minRate) {
    alerts.push({ rule: 'min-rate', message: `throughput too low: ${formatInt(rate)} records/s (minimum ${formatInt(rules.minRate)})` })
  }
  if (rules.maxRssMb !== undefined && measured.peakRssMb !== undefined && measured.peakRssMb > rules.maxRssMb) {
    alerts.push({ rule: 'max-rss', message: `memory too high: peak RSS ${formatMiB(measured.peakRssMb)} (maximum ${formatMiB(rules.maxRssMb)})` })
  }
  if (rules.maxStalenessMs !== undefined) {
    const at = Date.parse(facts.lastSuccess?.endedAt ?? '')
    if (Number.isNaN(at)) alerts.push({ rule: 'staleness', message: 'data stale: no successful sync recorded' })
    else if (now - at > rules.maxStalenessMs) {
      alerts.push({
        rule: 'staleness',
        message: `data stale: last successful sync ${formatDuration(now - at)} ago, at ${facts.lastSuccess?.endedAt} (maximum ${formatDuration(rules.maxStalenessMs)})`,
      })
    }
  }
  // In --last mode the last run is what was measured: its failure is already the first alert.
  const last = facts.lastRun
  if (measured.kind !== 'last' && last !== undefined && last.outcome !== 'ok') {
    alerts.push({
      rule: 'last-run-failed',
      message: `last sync of the database (run ${last.id}, ${last.startedAt}) ended ${last.outcome}${last.error ? `: ${firstLine(last.error)}` : ''}`,
    })
  }
  const status: VerdictStatus = alerts.some((a) => a.rule === 'sync-failed') ? 'failed' : alerts.length > 0 ? 'alert' : 'ok'
  const took = measured.seconds === undefined ? undefined : `sync took ${formatDuration(measured.seconds * 1000)} (threshold ${threshold})`
  const lines = alerts.length === 0 ? [`OK: ${took ?? 'nothing measured'}`] : alerts.map((a) => `ALERT: ${a.message}`)
  if (alerts.length > 0 && took !== undefined && !alerts.some((a) => a.rule === 'time')) lines.push(took)
  lines.push(figures(measured))
  return { status, exitCode: MONITOR_EXIT[status], alerts, lines }
}

function figures(m: Measurement): string {
  const what =
    m.kind === 'last'
      ? `run ${m.runId ?? '-'}${m.startedAt === undefined ? '' : ` at ${m.startedAt}`}`
      : m.kind === 'synthetic'
        ? 'synthetic data, into a scratch SQLite file'
        : 'current cache'
  const rate = m.recordsPerSec === undefined ? '- records/s' : `${formatInt(m.recordsPerSec)} records/s`
  const rss = m.peakRssMb === undefined ? '-' : formatMiB(m.peakRssMb)
  return `  ${formatInt(m.records.read)} records read, ${rate}, peak RSS ${rss}${m.mode === undefined ? '' : `, ${m.mode} mode`} (${what})`
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? ''
}
