import { statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/sink/sqlite/sqlite-driver.js'
import { SqliteSink } from '../../../src/sink/sqlite/sqlite-sink.js'
import { WalCheckpointer } from '../../../src/sink/sqlite/wal-checkpointer.js'
import { silentLogger } from '../../../src/util/logger.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const autocheckpoint = (db: ReturnType<typeof openDatabase>): number => Number(db.pragma('wal_autocheckpoint', { simple: true }))

describe('WAL checkpoints on a thread of their own during a bulk write', () => {
  const tmp = useTempDir()

  it('checkpoints what the writer commits while its own automatic checkpoints are off, and gives them back', async () => {
    const path = join(tmp(), 'bulk.db')
    const db = openDatabase(path)
    db.pragma('journal_mode = WAL')
    db.pragma('wal_autocheckpoint = 777')
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')
    const checkpointer = WalCheckpointer.start(db, path, 777, silentLogger)
    expect(autocheckpoint(db)).toBe(0)
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    for (let batch = 0; batch < 20; batch++) {
      db.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run('x'.repeat(200))
      })()
    }
    // The writer never checkpointed: what reaches the database file is the thread's doing.
    const before = statSync(path).size
    for (let waited = 0; statSync(path).size === before && waited < 100; waited++) await sleep(100)
    expect(statSync(path).size).toBeGreaterThan(before)
    await checkpointer.stop()
    expect(autocheckpoint(db)).toBe(777)
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(40_000)
    db.close()
  })

  it('starts for a sync once its log holds a bulk write, and stops before the database closes', async () => {
    const path = join(tmp(), 'sink.db')
    const sink = await SqliteSink.openForSync(path, { dryRun: false })
    sink.tune({ lowMemory: false, writes: true })
    sink.db.exec('CREATE TABLE t (v TEXT)')
    sink.afterWrite()
    // A small write keeps the writer's own checkpoints: the thread would cost more than it saves.
    expect(autocheckpoint(sink.db)).toBeGreaterThan(0)
    sink.db.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) INSERT INTO t SELECT printf('%.1000c', 'x') FROM n").run()
    sink.afterWrite()
    expect(autocheckpoint(sink.db)).toBe(0)
    await sink.close()
    // A sync with nothing to load, or one short of memory, never moves them.
    for (const tuning of [
      { lowMemory: false, writes: false },
      { lowMemory: true, writes: true },
    ]) {
      const again = await SqliteSink.openForSync(path, { dryRun: false })
      again.tune(tuning)
      again.db
        .prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) INSERT INTO t SELECT printf('%.1000c', 'x') FROM n")
        .run()
      again.afterWrite()
      expect(autocheckpoint(again.db)).toBeGreaterThan(0)
      await again.close()
    }
  })
})
