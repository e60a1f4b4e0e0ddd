import { describe, expect, it } from 'vitest'
import type { BenchRun } from '../../../src/bench/bench-results.js'
import { summarize } from '../../../src/bench/bench-results.js'
import { plainTableSql, shellLoadScript } from '../../../src/bench/sqlite-shell-scripts.js'
import { resolveConfig } from '../../../src/config/resolve-config.js'

const sample = (wallMs: number, innerMs?: number) => ({ wallMs, rssMb: 10, rows: 100, ...(innerMs === undefined ? {} : { innerMs }) })

describe('summarize', () => {
  it('reports a real run as the median (the slower middle of an even count) with min and max', () => {
    const run: BenchRun = { id: 'x', label: 'x', records: 1000, samples: [sample(400), sample(100), sample(300), sample(200)] }
    expect(summarize(run)).toMatchObject({ ms: 300, minMs: 100, maxMs: 400, recordsPerSec: 1000 / 0.3 })
  })

  it('uses the time measured inside the process where there is one', () => {
    expect(summarize({ id: 'c', label: 'c', records: 500, samples: [sample(900, 50)] })).toMatchObject({ ms: 50, recordsPerSec: 10_000 })
  })

  it('gives no figure for a failed or unavailable run, even with samples', () => {
    expect(summarize({ id: 'f', label: 'f', records: 1, samples: [sample(1)], failed: 'left 0 rows' })).toBeUndefined()
    expect(summarize({ id: 'u', label: 'u', records: 1, samples: [], unavailable: 'not installed' })).toBeUndefined()
  })
})

describe('the sqlite3 shell script', () => {
  const sources = resolveConfig({ env: {} }).sources
  const users = sources.find((s) => s.name === 'users')
  const devices = sources.find((s) => s.name === 'devices')
  if (users === undefined || devices === undefined) throw new Error('built-in sources missing')

  it('creates the configured columns and types with the key as primary key', () => {
    expect(plainTableSql(users)).toMatch(/^CREATE TABLE "users" \("radio_id" INTEGER PRIMARY KEY, "id" INTEGER, "callsign" TEXT,/)
  })

  it('reads each column from its source field, renamed ones included, in one transaction', () => {
    const script = shellLoadScript([{ file: "/tmp/it's.ndjson", spec: devices }], 'import')
    expect(script).toContain(`json_extract(line, '$.lastKnownMaster')`)
    expect(script).toContain('.import --schema temp "/tmp/it\'s.ndjson" staging0')
    expect(script.indexOf('BEGIN;')).toBeLessThan(script.indexOf('.import'))
    expect(script.trim().endsWith('COMMIT;')).toBe(true)
    expect(shellLoadScript([{ file: "/tmp/it's.ndjson", spec: devices }], 'json-each')).toContain("readfile('/tmp/it''s.ndjson')")
  })
})
