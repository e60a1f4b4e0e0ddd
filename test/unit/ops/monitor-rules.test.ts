import { describe, expect, it } from 'vitest'
import type { Measurement, ProductionFacts } from '../../../src/ops/monitor-rules.js'
import { judge } from '../../../src/ops/monitor-rules.js'
import type { RecordedRun } from '../../../src/sink/recorded-run.js'

const NOW = Date.parse('2026-12-01T12:00:00Z')

function measured(overrides: Partial<Measurement> = {}): Measurement {
  return {
    kind: 'run',
    ok: true,
    seconds: 1.18,
    records: { read: 10_000, inserted: 0, updated: 0, unchanged: 10_000, deleted: 0, rejected: 0 },
    recordsPerSec: 8_475,
    peakRssMb: 120,
    mode: 'parallel',
    runId: undefined,
    startedAt: '2026-12-01T11:59:58Z',
    error: undefined,
    ...overrides,
  }
}

function run(id: number, outcome: RecordedRun['outcome'], endedAt: string, error?: string): RecordedRun {
  return {
    id,
    startedAt: endedAt,
    endedAt,
    outcome,
    mode: 'parallel',
    chunk: 2000,
    workers: 2,
    records: { read: 1, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 },
    phases: undefined,
    recordsPerSec: 1,
    peakRssMb: 1,
    error,
    pid: 1,
    host: 'h',
    sources: [],
  }
}

const healthy: ProductionFacts = { dbExists: true, lastRun: run(7, 'ok', '2026-12-01T11:50:00Z'), lastSuccess: run(7, 'ok', '2026-12-01T11:50:00Z') }

describe('judge: the monitor rules', () => {
  it('OK within every limit: exit 0, the DMR line and the figures', () => {
    const j = judge(measured(), healthy, { thresholdSeconds: 5, minRate: 1000, maxRssMb: 500, maxStalenessMs: 3_600_000 }, NOW)
    expect(j).toMatchObject({ status: 'ok', exitCode: 0, alerts: [] })
    expect(j.lines).toEqual(['OK: sync took 1.18 s (threshold 5 s)', '  10,000 records read, 8,475 records/s, peak RSS 120 MiB, parallel mode (current cache)'])
  })

  it('past the threshold: exit 2 and the DMR alert line', () => {
    const j = judge(measured({ seconds: 7.4 }), healthy, { thresholdSeconds: 5 }, NOW)
    expect(j).toMatchObject({ status: 'alert', exitCode: 2 })
    expect(j.lines[0]).toBe('ALERT: sync performance degraded: 7.40 s (threshold 5 s)')
  })

  it('each further rule fires on its own and is named; the time line stays when time is fine', () => {
    const j = judge(
      measured({ recordsPerSec: 900, peakRssMb: 700 }),
      { ...healthy, lastRun: run(8, 'failed', '2026-12-01T11:55:00Z', 'users: boom\nmore') },
      {
        thresholdSeconds: 5,
        minRate: 1000,
        maxRssMb: 500,
        maxStalenessMs: 60_000,
      },
      NOW,
    )
    expect(j.alerts.map((a) => a.rule)).toEqual(['min-rate', 'max-rss', 'staleness', 'last-run-failed'])
    expect(j.lines).toEqual([
      'ALERT: throughput too low: 900 records/s (minimum 1,000)',
      'ALERT: memory too high: peak RSS 700 MiB (maximum 500 MiB)',
      'ALERT: data stale: last successful sync 10 min 0 s ago, at 2026-12-01T11:50:00Z (maximum 1 min 0 s)',
      'ALERT: last sync of the database (run 8, 2026-12-01T11:55:00Z) ended failed: users: boom',
      'sync took 1.18 s (threshold 5 s)',
      '  10,000 records read, 900 records/s, peak RSS 700 MiB, parallel mode (current cache)',
    ])
    expect(j.exitCode).toBe(2)
  })

  it('a run that read nothing has no rate to judge', () => {
    const j = judge(
      measured({ records: { read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 }, recordsPerSec: 0 }),
      healthy,
      { thresholdSeconds: 5, minRate: 1000 },
      NOW,
    )
    expect(j.status).toBe('ok')
  })

  it('staleness with no successful sync ever recorded', () => {
    const j = judge(measured(), { dbExists: false, lastRun: undefined, lastSuccess: undefined }, { thresholdSeconds: 5, maxStalenessMs: 1000 }, NOW)
    expect(j.alerts).toEqual([{ rule: 'staleness', message: 'data stale: no successful sync recorded' }])
  })

  it('a failed sync: exit 1, named first, even when other rules fire too', () => {
    const j = judge(measured({ ok: false, seconds: 9, error: 'devices: bad JSON' }), healthy, { thresholdSeconds: 5 }, NOW)
    expect(j).toMatchObject({ status: 'failed', exitCode: 1 })
    expect(j.alerts.map((a) => a.rule)).toEqual(['sync-failed', 'time'])
    expect(j.lines[0]).toBe('ALERT: sync failed: devices: bad JSON')
  })

  it('--last: the last run failing is the measured failure, not a second alert', () => {
    const last = run(8, 'partial', '2026-12-01T11:55:00Z', 'users: boom')
    const j = judge(
      measured({ kind: 'last', ok: false, runId: 8, error: 'run 8 ended partial: users: boom' }),
      { ...healthy, lastRun: last },
      { thresholdSeconds: 5 },
      NOW,
    )
    expect(j.alerts.map((a) => a.rule)).toEqual(['sync-failed'])
    expect(j.exitCode).toBe(1)
  })

  it('--last with nothing recorded: an alert (exit 2), not a failed sync', () => {
    const j = judge(
      measured({ kind: 'last', ok: false, seconds: undefined, runId: undefined, recordsPerSec: undefined, error: 'no database at /x.db yet' }),
      { dbExists: false, lastRun: undefined, lastSuccess: undefined },
      { thresholdSeconds: 5 },
      NOW,
    )
    expect(j).toMatchObject({ status: 'alert', exitCode: 2, alerts: [{ rule: 'no-run', message: 'no sync to judge: no database at /x.db yet' }] })
  })
})
