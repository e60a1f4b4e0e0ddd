import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { DUPLICATE_KEY_LINES, DUPLICATE_KEY_RECORDS, ITEMS_CONFIG } from '../helpers/duplicate-keys.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { type Checksums, pgChecksums, sqliteChecksums } from '../helpers/sink-checksum.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * A table that is empty when a sync begins is loaded by COPY straight into it, with no staging table
 * and no upsert; a key met again (later in the file, or already in the table) must still come out as
 * a row-by-row upsert would leave it. Key 3 comes back near the end of the file, chunks and worker
 * ranges after its first record; a second table starts with soft-deleted rows only (not empty: they
 * must be revived, not collide).
 */
const RECORDS = DUPLICATE_KEY_RECORDS
const lines = DUPLICATE_KEY_LINES
const CONFIG = ITEMS_CONFIG
const DB = 'bulk'

describe('PostgreSQL: the first sync loads an empty table by COPY, and a key met twice still ends as an upsert', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const reports = new Map<string, SyncReport>()
  const sums = new Map<string, Checksums>()

  beforeAll(async () => {
    pg.cluster().createDatabase(DB)
    const configFile = join(tmp(), 'items.json')
    writeFileSync(configFile, JSON.stringify(CONFIG))
    const cacheDir = join(tmp(), 'cache')
    mkdirSync(cacheDir)
    writeFileSync(join(cacheDir, 'items.ndjson'), `${lines.join('\n')}\n`)
    for (const mode of MODES) {
      const db = join(tmp(), `${mode}.db`)
      reports.set(`sqlite ${mode}`, await runSync(testConfig({ db, cacheDir, mode, chunk: 50 }, configFile)))
      sums.set(`sqlite ${mode}`, sqliteChecksums(db, ['items']))
      const config = testConfig({ db, cacheDir, mode, chunk: 50, sink: pg.cluster().url(DB), schema: `b_${mode}` }, configFile)
      reports.set(`pg ${mode}`, await runSync(config))
      sums.set(`pg ${mode}`, pgChecksums(pg.cluster(), DB, `b_${mode}`, ['items']))
    }
    // Every row soft-deleted, then the same file again: the table is not empty, its rows come back.
    pg.cluster().psql(`UPDATE b_streaming.items SET _deleted_at = now(); DELETE FROM b_streaming.sync_sources`, DB)
    const config = testConfig(
      { db: join(tmp(), 'unused.db'), cacheDir, mode: 'streaming', chunk: 50, sink: pg.cluster().url(DB), schema: 'b_streaming' },
      configFile,
    )
    reports.set('pg revived', await runSync(config))
    sums.set('pg revived', pgChecksums(pg.cluster(), DB, 'b_streaming', ['items']))
  })

  it.each(MODES)('%s mode: one row per key, the last record of key 3, the very table of the SQLite sink', (mode: Mode) => {
    expect(reports.get(`pg ${mode}`)?.ok).toBe(true)
    expect(pg.cluster().psql(`SELECT count(*) || ' ' || (SELECT v FROM b_${mode}.items WHERE id = 3) FROM b_${mode}.items`, DB).trim()).toBe(
      `${RECORDS} last 3`,
    )
    expect(sums.get(`pg ${mode}`)).toEqual(sums.get(`sqlite ${mode}`))
  })

  it.each(MODES)('%s mode: the counts of the SQLite sink', (mode: Mode) => {
    expect(reports.get(`pg ${mode}`)?.records).toEqual(reports.get(`sqlite ${mode}`)?.records)
  })

  it('sequential and streaming count 400 inserts and the 2 later records of key 3 as updates', () => {
    for (const mode of ['sequential', 'streaming'] as const) {
      expect(reports.get(`pg ${mode}`)?.records, mode).toEqual({ read: RECORDS + 2, inserted: RECORDS, updated: 2, unchanged: 0, deleted: 0, rejected: 0 })
    }
  })

  it('a table holding only soft-deleted rows is merged, not bulk-loaded: every row is revived and counted as updated', () => {
    expect(reports.get('pg revived')?.ok).toBe(true)
    expect(reports.get('pg revived')?.records).toMatchObject({ inserted: 0, updated: RECORDS + 2 })
    expect(pg.cluster().psql('SELECT count(*) FROM b_streaming.items WHERE _deleted_at IS NOT NULL', DB).trim()).toBe('0')
    expect(sums.get('pg revived')).toEqual(sums.get('pg streaming'))
  })
})
