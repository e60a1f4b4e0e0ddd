import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ConfigOptions } from '../../src/config/resolve-config.js'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import type { Logger } from '../../src/util/logger.js'
import { diffSource, expectedCounts } from '../helpers/change-set.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { DMR_TABLES } from '../helpers/database.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/**
 * A re-sync that reads the cache file's line index (`<cache>.lines`) leaves the tables and counts a re-sync
 * that reads every line leaves, in every mode on both sinks; and an index that does not describe its file
 * (replaced by hand, truncated, its header naming another size) is ignored, said so, and the sync is right.
 */

const RECORDS = 8000
const SEED = 11

/** A logger that keeps its messages, to see whether the index was used or ignored. */
function recordingLogger(): Logger & { lines: { msg: string; obj: object }[] } {
  const lines: { msg: string; obj: object }[] = []
  const keep = (obj: object, msg: string): void => void lines.push({ msg, obj })
  return { lines, info: keep, warn: keep, error: keep, debug: keep }
}

/** The cache directory without its line indexes: the sync reads every line. */
function withoutIndexes(from: string, to: string): string {
  mkdirSync(to, { recursive: true })
  for (const name of readdirSync(from)) if (!name.endsWith('.lines')) copyFileSync(join(from, name), join(to, name))
  return to
}

/** The changed cache with one defect in users' index (or its file). */
const DEFECTS: { name: string; apply(cacheDir: string): void; reason: RegExp }[] = [
  {
    name: 'the cache file replaced by hand, meta and index left stale',
    apply: (cacheDir) => writeFileSync(join(cacheDir, 'users.ndjson'), readFileSync(join(cacheDir, 'users.ndjson'))),
    reason: /modified at another time/,
  },
  {
    name: 'a truncated index',
    apply: (cacheDir) => {
      const path = join(cacheDir, 'users.ndjson.lines')
      writeFileSync(path, readFileSync(path).subarray(0, -16))
    },
    reason: /truncated/,
  },
  {
    name: 'an index naming another size',
    apply: (cacheDir) => {
      const path = join(cacheDir, 'users.ndjson.lines')
      const bytes = readFileSync(path)
      bytes.writeBigUInt64BE(bytes.readBigUInt64BE(8) - 1n, 8)
      writeFileSync(path, bytes)
    },
    reason: /made for a cache file of/,
  },
]

describe.each(SINK_KINDS)('a re-sync with a line index (%s sink)', (kind) => {
  describe(kind, requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const reports = new Map<string, SyncReport>()
    const logs = new Map<string, ReturnType<typeof recordingLogger>>()
    const dirs = { base: '', changed: '', plain: '' }

    const sync = async (target: TestDatabase, cacheDir: string, mode: Mode, logger?: Logger): Promise<SyncReport> => {
      const flags: ConfigOptions & { db: string; cacheDir: string } = {
        db: target.path ?? join(tmp(), 'unused.db'),
        cacheDir,
        mode,
        ...(target.schema === undefined ? {} : { sink: target.target, schema: target.schema }),
      }
      return runSync(testConfig(flags), logger === undefined ? {} : { logger })
    }

    beforeAll(async () => {
      dirs.base = join(tmp(), 'base')
      dirs.changed = join(tmp(), 'changed')
      await generateDmrCache({ records: RECORDS, cacheDir: dirs.base, seed: SEED })
      await generateDmrCache({ records: RECORDS, cacheDir: dirs.changed, seed: SEED, changeRate: 0.03 })
      dirs.plain = withoutIndexes(dirs.changed, join(tmp(), 'plain'))
      for (const mode of MODES) {
        for (const [name, cacheDir] of [
          ['indexed', dirs.changed],
          ['plain', dirs.plain],
        ] as const) {
          const target = database(`${name}_${mode}`)
          expect((await sync(target, dirs.base, mode)).ok).toBe(true)
          const logger = recordingLogger()
          logs.set(`${name} ${mode}`, logger)
          reports.set(`${name} ${mode}`, await sync(target, cacheDir, mode, logger))
        }
      }
      for (const [i, defect] of DEFECTS.entries()) {
        // Made afresh, not copied: a copy has another mtime, which no index is trusted for.
        const cacheDir = join(tmp(), `defect-${i}`)
        await generateDmrCache({ records: RECORDS, cacheDir, seed: SEED, changeRate: 0.03 })
        defect.apply(cacheDir)
        const target = database(`defect_${i}`)
        expect((await sync(target, dirs.base, 'parallel')).ok).toBe(true)
        const logger = recordingLogger()
        logs.set(`defect ${i}`, logger)
        reports.set(`defect ${i}`, await sync(target, cacheDir, 'parallel', logger))
      }
    }, 600_000)

    it('the parallel mode reads the index, and says so', () => {
      const used = logs.get('indexed parallel')?.lines.filter((line) => line.msg.startsWith('line index matches'))
      expect(used?.map((line) => (line.obj as { source: string }).source).sort()).toEqual([...DMR_TABLES].sort())
      expect(logs.get('plain parallel')?.lines.some((line) => line.msg.startsWith('line index'))).toBe(false)
    })

    it.each(MODES)('%s mode: the same tables and counts with the index as without, and the counts of the change set', (mode) => {
      const indexed = reports.get(`indexed ${mode}`) as SyncReport
      const plain = reports.get(`plain ${mode}`) as SyncReport
      expect(indexed.ok).toBe(true)
      expect(indexed.sources.map((s) => s.records)).toEqual(plain.sources.map((s) => s.records))
      expect(database(`indexed_${mode}`).checksum(DMR_TABLES)).toEqual(database(`plain_${mode}`).checksum(DMR_TABLES))
      for (const table of DMR_TABLES) {
        expect(indexed.sources.find((s) => s.name === table)?.records, table).toEqual(expectedCounts(diffSource(dirs.base, dirs.changed, table)))
      }
      // Rows the change set removed are deleted (soft), as without the index.
      const deleted = indexed.sources.reduce((sum, s) => sum + s.records.deleted, 0)
      expect(deleted).toBeGreaterThan(0)
    })

    it.each(DEFECTS.map((defect, i) => ({ ...defect, i })))('$name: ignored, said so, and the sync is right', ({ i, reason }) => {
      const log = logs.get(`defect ${i}`)
      const ignored = log?.lines.filter((line) => line.msg.startsWith('line index ignored')) ?? []
      expect(ignored.map((line) => (line.obj as { source: string }).source)).toEqual(['users'])
      // The other sources' indexes match and are read.
      expect(log?.lines.filter((line) => line.msg.startsWith('line index matches')).length).toBe(2)
      expect((ignored[0]?.obj as { reason?: string } | undefined)?.reason).toMatch(reason)
      const report = reports.get(`defect ${i}`) as SyncReport
      expect(report.ok).toBe(true)
      expect(report.sources.map((s) => s.records)).toEqual((reports.get('plain parallel') as SyncReport).sources.map((s) => s.records))
      expect(database(`defect_${i}`).checksum(DMR_TABLES)).toEqual(database('plain_parallel').checksum(DMR_TABLES))
    })
  })
})
