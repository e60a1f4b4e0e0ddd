import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { realRptrsDump, repoRoot } from '../helpers/paths.js'
import { changedBytes, type Rptr, readRealRptrs, reserialise, writeRptrsConfig } from '../helpers/reserialise.js'
import type { Checksums } from '../helpers/sink-checksum.js'
import { requireFile } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type SinkKind, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 10_613
const CHUNK = 500
/** The stop is requested once the streaming sync has read this many records (several chunks committed). */
const STOP_AFTER = 4_000

const needsDump = requireFile(realRptrsDump, `data: ${relative(repoRoot, realRptrsDump)} absent`)

function writeCache(dir: string, records: readonly Rptr[]): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'rptrs.ndjson'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`)
  return dir
}

/**
 * A sync stopped midway leaves its committed chunks, and the next sync resumes after them without
 * writing them again. Rows those chunks left alone (their records re-serialised upstream, the values the
 * same) keep their old `_hash`, which no record's bytes match: the resumed sync must still see them as
 * matched, and delete nothing.
 */
describe.each(SINK_KINDS)('on %s', (kind: SinkKind) => {
  describe('a resume after rows were left alone deletes none of them', { ...requireSink(kind), ...needsDump }, () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const resumed = new Map<Mode, SyncReport>()
    const stopped = new Map<Mode, unknown>()
    const checkpoints = new Map<Mode, number>()
    const sums = new Map<string, Checksums>()
    let reserialised = 0

    const config = (db: TestDatabase, cacheDir: string, mode: Mode) => {
      const target = kind === 'sqlite' ? { db: db.path as string } : { db: join(tmp(), 'unused.db'), sink: db.target, schema: db.schema as string }
      return testConfig({ ...target, cacheDir, mode, chunk: CHUNK }, join(tmp(), 'rptrs.json'))
    }

    beforeAll(async () => {
      writeRptrsConfig(tmp())
      const original = readRealRptrs()
      const again = reserialise(original)
      reserialised = changedBytes(original, again)
      const before = writeCache(join(tmp(), 'original'), original)
      const after = writeCache(join(tmp(), 'reserialised'), again)
      for (const mode of MODES) {
        const db = database(`r_${mode}`)
        await runSync(config(db, before, 'parallel'))
        sums.set(`${mode} before`, db.checksum(['rptrs']))
        const stop = new AbortController()
        const onProgress = (event: { records: number }): void => {
          if (event.records >= STOP_AFTER) stop.abort('test')
        }
        stopped.set(
          mode,
          await runSync(config(db, after, 'streaming'), { signal: stop.signal, onProgress }).then(
            () => undefined,
            (err: { code?: unknown }) => err.code,
          ),
        )
        checkpoints.set(mode, Number(db.query<{ b: number }>("SELECT byte_offset AS b FROM sync_checkpoints WHERE source = 'rptrs'")[0]?.b ?? 0))
        sums.set(`${mode} stopped`, db.checksum(['rptrs']))
        resumed.set(mode, await runSync(config(db, after, mode)))
        sums.set(`${mode} after`, db.checksum(['rptrs']))
      }
    })

    it.each(MODES)('%s mode: the streaming sync stopped with chunks committed, and wrote no row', (mode) => {
      expect(reserialised).toBeGreaterThan(RECORDS / 2)
      expect(stopped.get(mode)).toBe('ERR_ABORTED')
      expect(checkpoints.get(mode)).toBeGreaterThan(0)
      expect(sums.get(`${mode} stopped`)).toEqual(sums.get(`${mode} before`))
    })

    it.each(MODES)('%s mode: the resumed sync deletes and updates nothing, and the table is as it was', (mode) => {
      const report = resumed.get(mode) as SyncReport
      expect(report.ok).toBe(true)
      const source = report.sources[0]
      expect(source?.resumedRecords).toBeGreaterThanOrEqual(CHUNK)
      expect(report.records).toEqual({
        read: RECORDS - (source?.resumedRecords ?? 0),
        inserted: 0,
        updated: 0,
        unchanged: RECORDS - (source?.resumedRecords ?? 0),
        deleted: 0,
        rejected: 0,
      })
      expect(sums.get(`${mode} after`)).toEqual(sums.get(`${mode} before`))
    })
  })
})
