import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { MODES } from '../helpers/config.js'
import { query } from '../helpers/database.js'
import { type CliResult, runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 5_000
const COUNT_KEYS = ['read', 'inserted', 'updated', 'unchanged', 'deleted', 'rejected'] as const
const PHASE_KEYS = ['dbInit', 'read', 'transform', 'write', 'maintenance', 'finalize', 'total'] as const

interface JsonReport {
  mode: string
  reason: string
  chunk: number
  workers: number
  records: Record<(typeof COUNT_KEYS)[number], number>
  phases: Record<(typeof PHASE_KEYS)[number], number>
  recordsPerSec: number
  peakRssMb: number
  runId: number
  sources: { name: string; table: string; file: string; state: string; records: Record<string, number> }[]
}

describe('`sync --json` prints the contract object on stdout, and logs only on stderr', () => {
  const tmp = useTempDir()
  const cacheDir = (): string => join(tmp(), 'cache')
  const runs = new Map<string, CliResult>()

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: cacheDir(), seed: 4 })
    for (const mode of MODES) {
      runs.set(mode, await runCli(['sync', '--db', join(tmp(), `${mode}.db`), '--cache-dir', cacheDir(), '--mode', mode, '--json']))
    }
  })

  describe.each(MODES)('%s mode', (mode) => {
    const run = (): CliResult => runs.get(mode) as CliResult
    const report = (): JsonReport => JSON.parse(run().stdout) as JsonReport

    it('exits 0 and prints exactly one line on stdout: one JSON object', () => {
      expect(run().code).toBe(0)
      const lines = run().stdout.split('\n')
      expect(lines).toHaveLength(2)
      expect(lines[1]).toBe('')
      const parsed: unknown = JSON.parse(lines[0] as string)
      expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true)
    })

    it('carries every key of the contract, with the right types', () => {
      const out = report()
      for (const key of ['mode', 'reason', 'chunk', 'workers', 'records', 'phases', 'recordsPerSec', 'peakRssMb', 'sources']) {
        expect(out, key).toHaveProperty(key)
      }
      expect(out.mode).toBe(mode)
      expect(out.reason).toEqual(expect.any(String))
      expect(out.reason.length).toBeGreaterThan(0)
      expect(Number.isInteger(out.chunk) && out.chunk > 0).toBe(true)
      expect(Number.isInteger(out.workers)).toBe(true)
      expect(out.workers > 0).toBe(mode === 'parallel')
      expect(Object.keys(out.records).sort()).toEqual([...COUNT_KEYS].sort())
      for (const key of COUNT_KEYS) expect(Number.isInteger(out.records[key]), key).toBe(true)
      expect(out.records).toEqual({ read: RECORDS, inserted: RECORDS, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
      expect(Object.keys(out.phases).sort()).toEqual([...PHASE_KEYS].sort())
      for (const key of PHASE_KEYS) {
        expect(typeof out.phases[key], key).toBe('number')
        expect(out.phases[key], key).toBeGreaterThanOrEqual(0)
      }
      expect(out.phases.total).toBeGreaterThan(0)
      expect(out.recordsPerSec).toBeGreaterThan(0)
      expect(out.peakRssMb).toBeGreaterThan(0)
      expect(out.sources.map((s) => [s.name, s.table, s.state])).toEqual([
        ['rptrs', 'rptrs', 'synced'],
        ['users', 'users', 'synced'],
        ['devices', 'devices', 'synced'],
      ])
      for (const s of out.sources) expect(s.file).toBe(join(cacheDir(), `${s.name}.ndjson`))
      const sum = Object.fromEntries(COUNT_KEYS.map((k) => [k, out.sources.reduce((total, s) => total + (s.records[k] ?? 0), 0)]))
      expect(sum).toEqual(out.records)
    })

    it('phases add up to the total (within rounding to 0.1 ms)', () => {
      const { phases } = report()
      const parts = phases.dbInit + phases.read + phases.transform + phases.write + phases.maintenance + phases.finalize
      expect(Math.abs(parts - phases.total)).toBeLessThanOrEqual(0.4)
    })

    it('agrees with the run recorded in the database', () => {
      const out = report()
      const rows = query<Record<string, number | string>>(
        join(tmp(), `${mode}.db`),
        'SELECT id, mode, chunk, workers, records_read, inserted, updated, unchanged, deleted, rejected, total_ms, outcome FROM sync_runs',
      )
      expect(rows).toHaveLength(1)
      const row = rows[0] as Record<string, number | string>
      expect(row).toMatchObject({
        id: out.runId,
        mode: out.mode,
        chunk: out.chunk,
        workers: out.workers,
        records_read: out.records.read,
        inserted: out.records.inserted,
        updated: out.records.updated,
        unchanged: out.records.unchanged,
        deleted: out.records.deleted,
        rejected: out.records.rejected,
        outcome: 'ok',
      })
      // The row is written before the run's last step (writing that row) ends: its total can only be smaller.
      expect(row.total_ms as number).toBeGreaterThan(0)
      expect(row.total_ms as number).toBeLessThanOrEqual(out.phases.total + 0.05)
    })

    it('the logs go to stderr, as JSON lines (not a terminal), and name the mode chosen', () => {
      const lines = run()
        .stderr.split('\n')
        .filter((line) => line.trim() !== '')
      expect(lines.length).toBeGreaterThan(0)
      const entries = lines.map((line) => JSON.parse(line) as { msg: string; level: number })
      expect(entries.map((e) => e.msg)).toContain('mode chosen')
      expect(entries.filter((e) => e.msg === 'source synced')).toHaveLength(3)
      expect(run().stdout).not.toContain('"msg"')
    })
  })

  it('a re-run with nothing changed still prints the whole object, sources unchanged', async () => {
    const again = await runCli(['sync', '--db', join(tmp(), 'sequential.db'), '--cache-dir', cacheDir(), '--mode', 'sequential', '--json'])
    expect(again.code).toBe(0)
    expect(again.stdout.trim().split('\n')).toHaveLength(1)
    const out = JSON.parse(again.stdout) as JsonReport
    expect(out.sources.map((s) => s.state)).toEqual(['unchanged', 'unchanged', 'unchanged'])
    expect(out.records).toEqual({ read: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 })
    expect(Object.keys(out.phases).sort()).toEqual([...PHASE_KEYS].sort())
  })
})
