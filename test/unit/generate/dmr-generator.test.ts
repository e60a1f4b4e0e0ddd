import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GenerateReport, generateDmrCache } from '../../../src/generate/dmr-generator.js'

const packageVersion = (JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version

const KEYS: Record<string, string> = { rptrs: 'id', users: 'radio_id', devices: 'id' }
const WEIGHTS: Record<string, number> = { rptrs: 10_600, users: 233_000, devices: 33_000 }

let root: string
let runs = 0

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cachesync-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function generate(records: number, seed = 1, changeRate = 0): Promise<GenerateReport> {
  runs += 1
  return generateDmrCache({ records, seed, changeRate, cacheDir: join(root, `run-${runs}`) })
}

async function lines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8')
  expect(text.endsWith('\n') || text === '').toBe(true)
  return text.split('\n').slice(0, -1)
}

/** key → line, for one source of a report. */
async function linesByKey(report: GenerateReport, name: string): Promise<Map<string, string>> {
  const source = report.sources.find((s) => s.name === name)
  if (source === undefined) throw new Error(`no source ${name}`)
  const byKey = new Map<string, string>()
  for (const line of await lines(source.file)) byKey.set(String(JSON.parse(line)[KEYS[name] ?? '']), line)
  return byKey
}

describe('generateDmrCache', () => {
  it('splits the records over the three sources in the real proportions', async () => {
    const report = await generate(10_000)
    expect(report.sources.map((s) => s.name)).toEqual(['rptrs', 'users', 'devices'])
    expect(report.records).toBe(10_000)
    expect(report.sources.reduce((sum, s) => sum + s.records, 0)).toBe(10_000)
    for (const source of report.sources) {
      expect(Math.abs(source.records - (10_000 * (WEIGHTS[source.name] ?? 0)) / 276_600)).toBeLessThanOrEqual(1)
      expect(await lines(source.file)).toHaveLength(source.records)
    }
    expect(report.bytes / report.records).toBeGreaterThan(300)
    expect(report.bytes / report.records).toBeLessThan(500)
  })

  it('gives every source at least one record from three records on', async () => {
    const report = await generate(3)
    expect(report.sources.map((s) => s.records)).toEqual([1, 1, 1])
  })

  it('writes one JSON object per line, no blank lines', async () => {
    const report = await generate(5_000)
    for (const source of report.sources) {
      for (const line of await lines(source.file)) {
        expect(line).not.toBe('')
        const record: unknown = JSON.parse(line)
        expect(typeof record === 'object' && record !== null && !Array.isArray(record)).toBe(true)
        expect((record as Record<string, unknown>)[KEYS[source.name] ?? '']).toBeDefined()
      }
    }
  })

  it('is deterministic per seed', async () => {
    const [first, second, other] = [await generate(3_000, 7), await generate(3_000, 7), await generate(3_000, 8)]
    expect(second.sources.map((s) => s.sha256)).toEqual(first.sources.map((s) => s.sha256))
    for (const [i, source] of other.sources.entries()) expect(source.sha256).not.toBe(first.sources[i]?.sha256)
  })

  it('writes meta files matching the bytes on disk', async () => {
    const report = await generate(2_000, 42)
    for (const source of report.sources) {
      const bytes = await readFile(source.file)
      const meta = JSON.parse(await readFile(join(root, `run-${runs}`, `${source.name}.meta.json`), 'utf8'))
      expect(meta.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
      expect(meta.sha256).toBe(source.sha256)
      expect(meta.bytes).toBe((await stat(source.file)).size)
      expect(meta.bytes).toBe(source.bytes)
      expect(meta.records).toBe(source.records)
      expect(meta.source).toBe('generated:seed=42')
      expect(meta.version).toBe(packageVersion)
      expect(Number.isNaN(Date.parse(meta.fetchedAt))).toBe(false)
    }
  })

  it('derives a change set of removed, altered and added records from the base', async () => {
    const n = 30_000
    const [base, changed] = [await generate(n, 3, 0), await generate(n, 3, 0.03)]
    let removed = 0
    let altered = 0
    let added = 0
    for (const name of Object.keys(KEYS)) {
      const [before, after] = [await linesByKey(base, name), await linesByKey(changed, name)]
      // Devices have 6-digit (repeater) and 9-digit (hotspot) ids: new keys lie beyond the base range of their kind.
      const maxBaseKey = new Map<number, number>()
      for (const key of before.keys()) maxBaseKey.set(key.length, Math.max(maxBaseKey.get(key.length) ?? 0, Number(key)))
      for (const [key, line] of before) {
        const now = after.get(key)
        if (now === undefined) removed++
        else if (now !== line) altered++
      }
      for (const key of after.keys()) {
        if (before.has(key)) continue
        added++
        expect(Number(key)).toBeGreaterThan(maxBaseKey.get(key.length) ?? Number.POSITIVE_INFINITY)
      }
    }
    // Everything not counted here is byte-identical to the base line.
    for (const count of [removed, altered, added]) {
      expect(count).toBeGreaterThan(n * 0.007)
      expect(count).toBeLessThan(n * 0.013)
    }
    expect(changed.records).toBe(n)
  })

  it('shows the upstream shape drift', async () => {
    const report = await generate(20_000)
    const rptrs = [...(await linesByKey(report, 'rptrs')).values()].map((line) => JSON.parse(line))
    expect(rptrs.some((r) => typeof r.id === 'string' && typeof r.locator === 'string')).toBe(true)
    expect(rptrs.some((r) => typeof r.id === 'number')).toBe(true)
    expect(rptrs.some((r) => Array.isArray(r.trustee))).toBe(true)
    expect(rptrs.some((r) => typeof r.trustee === 'string')).toBe(true)
    expect(rptrs.some((r) => r.lat === null)).toBe(true)
    const spellings = new Set(rptrs.map((r) => r.ipsc_network).filter((s) => /^(bm|brandmeister)$/i.test(s)))
    expect(spellings.size).toBeGreaterThanOrEqual(4)
  })

  it('rejects invalid options', async () => {
    await expect(generateDmrCache({ records: -1, cacheDir: root })).rejects.toMatchObject({ code: 'ERR_USAGE' })
    await expect(generateDmrCache({ records: 10, cacheDir: root, changeRate: 2 })).rejects.toMatchObject({ code: 'ERR_USAGE' })
  })
})
