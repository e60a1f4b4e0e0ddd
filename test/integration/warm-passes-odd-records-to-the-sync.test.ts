import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { runWarm } from '../../src/warm/run-warm.js'
import type { WarmReport } from '../../src/warm/warm-report.js'
import { testConfig } from '../helpers/config.js'
import { query } from '../helpers/database.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { itemsSource, startServer, type TestServer } from '../helpers/warm.js'

/**
 * The warm copies records; judging them is the sync's job. A body that starts with a byte-order mark,
 * a record nested 100,000 levels deep (too deep for JSON.stringify) and `__proto__` keys must all reach
 * the cache file as they were sent, so that the sync rejects the deep record alone.
 */

const DEEP = `{"id":2,"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
const RECORDS = ['{"id":1,"name":"n1"}', DEEP, '{"id":3,"__proto__":{"name":"polluted"},"data":{"__proto__":{"x":1}}}', '{"id":4,"name":"n4"}']
const BODY = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"items":[\r\n${RECORDS.join(',\r\n')}\r\n]}`)])
const COLUMNS = { id: 'integer', name: 'text', data: 'json' }

describe('the warm passes odd records on to the sync, which rejects only the bad one', () => {
  const tmp = useTempDir()
  let server: TestServer
  let warm: WarmReport
  let sync: SyncReport

  beforeAll(async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(BODY)
    })
    const configFile = join(tmp(), 'items.json')
    writeFileSync(configFile, JSON.stringify({ sources: [itemsSource('items', `${server.url}/items`, { columns: COLUMNS })] }))
    const config = testConfig({ db: join(tmp(), 'items.db'), cacheDir: join(tmp(), 'cache'), mode: 'sequential' }, configFile)
    warm = await runWarm(config)
    sync = await runSync(config)
  })
  afterAll(async () => {
    await server?.close()
  })

  it('the warm fetches all four records', () => {
    const source = warm.sources[0]
    expect(source?.outcome, source?.outcome === 'failed' ? source.error : '').toBe('fetched')
    expect(source?.records).toBe(RECORDS.length)
  })

  it('the cache file holds each record as it was sent, one a line, __proto__ keys and the deep record included', () => {
    expect(readFileSync(join(tmp(), 'cache', 'items.ndjson'), 'utf8')).toBe(`${RECORDS.join('\n')}\n`)
  })

  it('the sync rejects the deep record at its line and syncs the three others', () => {
    expect(sync.sources.find((s) => s.name === 'items')?.records).toMatchObject({ read: 4, inserted: 3, rejected: 1 })
    const db = join(tmp(), 'items.db')
    expect(query(db, 'SELECT id, name, data FROM items ORDER BY id')).toEqual([
      { id: 1, name: 'n1', data: null },
      { id: 3, name: null, data: '{"__proto__":{"x":1}}' },
      { id: 4, name: 'n4', data: null },
    ])
    expect(query(db, 'SELECT line, reason FROM sync_rejects')).toEqual([{ line: 2, reason: 'nested deeper than 1000 levels of arrays and objects' }])
  })
})
