import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { diffSource, expectedCounts } from '../helpers/change-set.js'
import { MODES, testConfig } from '../helpers/config.js'
import { checksumAll } from '../helpers/database.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 10_000
const SEED = 5
const CHUNK = 100

/**
 * Turns a generated `devices.ndjson` into `devices.json`, a bare JSON array as the BrandMeister API sends it,
 * one record a line, and returns its text. The meta file (which describes the NDJSON file) goes too.
 */
function devicesAsJsonArray(cacheDir: string): string {
  const lines = readFileSync(join(cacheDir, 'devices.ndjson'), 'utf8').trimEnd().split('\n')
  const text = `[\n${lines.join(',\n')}\n]\n`
  rmSync(join(cacheDir, 'devices.ndjson'))
  rmSync(join(cacheDir, 'devices.meta.json'))
  writeFileSync(join(cacheDir, 'devices.json'), text)
  return text
}

/** 1-based line of a character position in a text. */
const lineAt = (text: string, position: number): number => text.slice(0, position).split('\n').length

interface Truncation {
  name: string
  cut: (text: string) => number
  /** True when JSON.parse's message for this damage carries no position ("Unexpected end of JSON input"). */
  endOfInput: boolean
}

/** Two realistic ways a download ends early: in the middle of a value, and right after a record's comma. */
const TRUNCATIONS: Truncation[] = [
  {
    name: 'cut inside a string',
    cut: (text) => text.indexOf('"callsign":"', Math.floor(text.length / 2)) + '"callsign":"'.length + 2,
    endOfInput: false,
  },
  {
    name: 'cut after a comma between records',
    cut: (text) => text.indexOf('},\n', Math.floor(text.length / 2)) + 2,
    endOfInput: true,
  },
]

describe.each(TRUNCATIONS)('a truncated JSON cache file fails only its own source ($name)', ({ cut }) => {
  const tmp = useTempDir()
  const dir = (name: string): string => join(tmp(), name)
  let truncatedLine = 0

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: dir('a'), seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: dir('b'), seed: SEED, changeRate: 0.03 })
    devicesAsJsonArray(dir('a'))
    const text = devicesAsJsonArray(dir('b'))
    const at = cut(text)
    expect(at).toBeGreaterThan(text.length / 2)
    writeFileSync(join(dir('b'), 'devices.json'), text.slice(0, at))
    truncatedLine = lineAt(text, at)
  })

  describe.each(MODES)('%s mode', (mode) => {
    const db = (): string => join(tmp(), `${mode}.db`)
    let before: ReturnType<typeof checksumAll>
    let cli: Awaited<ReturnType<typeof runCli>>

    beforeAll(async () => {
      const first = await runSync(testConfig({ db: db(), cacheDir: dir('a'), mode }))
      expect(first.ok).toBe(true)
      expect(first.sources.find((s) => s.name === 'devices')?.file).toBe(join(dir('a'), 'devices.json'))
      before = checksumAll(db())
      // Chunks far smaller than the file: a streaming sync commits several before it meets the damage.
      cli = await runCli(['sync', '--db', db(), '--cache-dir', dir('b'), '--mode', mode, '--chunk', String(CHUNK), '--json'])
    })

    it('exits 1, with a message and no stack trace on stderr', () => {
      expect(cli.stderr).not.toMatch(STACK_LINE)
      expect(cli.stderr).not.toMatch(/this is a bug/)
      expect(cli.signal).toBe(null)
      expect(cli.code).toBe(1)
    })

    it('reports the source failed, naming the file and the line and column', () => {
      expect(cli.stdout.trim(), `stdout is empty; stderr:\n${cli.stderr}`).not.toBe('')
      const out = JSON.parse(cli.stdout) as { ok: boolean; sources: { name: string; state: string; error?: string; code?: string }[] }
      expect(out.ok).toBe(false)
      const devices = out.sources.find((s) => s.name === 'devices')
      expect(devices?.state).toBe('failed')
      expect(devices?.code).toBe('ERR_PARSE')
      expect(devices?.error).toContain(join(dir('b'), 'devices.json'))
      expect(devices?.error).toMatch(new RegExp(`line ${truncatedLine}, column \\d+`))
    })

    it('the other sources still sync the change set', () => {
      expect(cli.stdout.trim(), `stdout is empty; stderr:\n${cli.stderr}`).not.toBe('')
      const out = JSON.parse(cli.stdout) as { sources: { name: string; state: string; records: unknown }[] }
      for (const name of ['rptrs', 'users']) {
        const s = out.sources.find((x) => x.name === name)
        expect(s?.state, name).toBe('synced')
        expect(s?.records, name).toEqual(expectedCounts(diffSource(dir('a'), dir('b'), name)))
      }
      const after = checksumAll(db())
      expect(after.rptrs?.sha256).not.toBe(before.rptrs?.sha256)
      expect(after.users?.sha256).not.toBe(before.users?.sha256)
    })

    it("the failed source's table keeps its previous rows, untouched", () => {
      expect(checksumAll(db(), ['devices'])).toEqual({ devices: before.devices })
    })
  })
})
