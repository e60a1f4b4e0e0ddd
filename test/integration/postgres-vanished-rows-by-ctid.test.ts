import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ResolvedConfig } from '../../src/config/resolve-config.js'
import { runSync } from '../../src/engine/sync.js'
import { PgSink } from '../../src/sink/postgres/pg-sink.js'
import { testConfig } from '../helpers/config.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * A re-sync reads each live row's hash with its ctid, and removes the rows no record matched by that
 * ctid (a TID lookup), only where the row there still has the hash. A row another writer moved after
 * the read (an UPDATE gives it a new ctid) must still be removed, by its hash; a row another writer
 * changed (a new hash) must be left alone, as before.
 */
const DB = 'vanished'
const ROWS = 40

describe('PostgreSQL: vanished rows are removed by the ctid read with their hash, and a moved row by its hash', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  let config: (schema: string) => ResolvedConfig

  beforeAll(() => {
    pg.cluster().createDatabase(DB)
    const configFile = join(tmp(), 'items.json')
    writeFileSync(configFile, JSON.stringify({ sources: [{ name: 'items', key: 'id', columns: { id: 'integer', v: 'text' } }] }))
    const cacheDir = join(tmp(), 'cache')
    mkdirSync(cacheDir)
    writeFileSync(join(cacheDir, 'items.ndjson'), Array.from({ length: ROWS }, (_, i) => `${JSON.stringify({ id: i + 1, v: `v${i + 1}` })}\n`).join(''))
    config = (schema) => testConfig({ db: join(tmp(), 'unused.db'), cacheDir, mode: 'streaming', sink: pg.cluster().url(DB), schema }, configFile)
  })

  for (const soft of [false, true]) {
    it(`${soft ? 'soft' : 'hard'} delete: rows in place by ctid, a moved row by its hash, a changed row left alone`, async () => {
      const schema = soft ? 'soft_items' : 'hard_items'
      const base = config(schema)
      const source = { ...(base.sources[0] as ResolvedConfig['sources'][number]), delete: soft ? ('soft' as const) : ('hard' as const) }
      const resolved = { ...base, sources: [source] }
      expect((await runSync(resolved)).ok).toBe(true)
      const psql = (sql: string): string => pg.cluster().psql(sql, DB).trim()
      const sink = await PgSink.open(resolved.sink as Extract<ResolvedConfig['sink'], { kind: 'postgres' }>, { dryRun: false })
      try {
        const items = sink.createSourceSink(source, { rewrite: false })
        const known = await items.loadLiveHashes()
        expect(known.size).toBe(ROWS)
        // After the read, another writer moves row 1 (same values, same hash, a new ctid) and changes row 2.
        const before = psql(`SELECT ctid FROM ${schema}.items WHERE id = 1`)
        psql(`UPDATE ${schema}.items SET v = v WHERE id = 1; UPDATE ${schema}.items SET v = 'theirs', _hash = '\\x0000000000000001' WHERE id = 2`)
        expect(psql(`SELECT ctid FROM ${schema}.items WHERE id = 1`)).not.toBe(before)
        // No record was met: every row read is unseen, and goes.
        const rows = known.unseen()
        const done = await items.finish({
          runId: 0,
          clearRejects: false,
          rejects: [],
          remove: { rows, deletedAt: new Date().toISOString(), byRowid: false },
          synced: undefined,
          live: undefined,
        })
        expect(done.deleted).toBe(ROWS - 1)
        const live = soft ? `WHERE _deleted_at IS NULL` : ''
        expect(psql(`SELECT string_agg(id || ':' || v, ',') FROM ${schema}.items ${live}`)).toBe('2:theirs')
        if (soft) expect(psql(`SELECT count(*) FROM ${schema}.items WHERE _deleted_at IS NOT NULL`)).toBe(String(ROWS - 1))
      } finally {
        await sink.close()
      }
    })
  }
})
