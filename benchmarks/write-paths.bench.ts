/**
 * Micro-benchmarks of the write side, side by side, to justify the parallel mode's shape:
 *   npm run bench:write
 * - moving mapped rows from a worker to the coordinator: structured clone (what postMessage does), JSON text,
 *   or a staging SQLite file the coordinator attaches;
 * - the upsert: row by row with the prepared statements of SqliteSourceSink.upsert, against one INSERT … SELECT
 *   merge of a staging file (SqliteSourceSink.mergeStaging), both into an empty table in one transaction.
 */
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Bench } from 'tinybench'
import { forEachLine } from '../src/cache/line-reader.js'
import { type ResolvedSource, resolveConfig } from '../src/config/resolve-config.js'
import { createRecordMapper, mappingSpecOf, type RowValues } from '../src/engine/record-mapper.js'
import { generateDmrCache } from '../src/generate/dmr-generator.js'
import { openDatabase, type SqliteDatabase } from '../src/sink/sqlite/sqlite-driver.js'
import { createTableSql } from '../src/sink/sqlite/sqlite-schema.js'
import { SqliteSourceSink, type SqliteSyncTables } from '../src/sink/sqlite/sqlite-source-sink.js'
import { StagingFile } from '../src/sink/sqlite/staging-file.js'
import { loadRowHash, rowHash } from '../src/util/row-hash.js'

await loadRowHash()

const dir = join(tmpdir(), `cachesync-write-paths-${process.pid}`)
await generateDmrCache({ records: 24_000, cacheDir: dir, seed: 1 })
const found = resolveConfig({ env: {} }).sources.find((s) => s.name === 'users')
if (found === undefined) throw new Error('no users source')
const users: ResolvedSource = found
const map = createRecordMapper(mappingSpecOf(users))
const rows: RowValues[] = []
const hashes: Buffer[] = []
forEachLine(readFileSync(join(dir, 'users.ndjson')), (line) => {
  const mapped = map(JSON.parse(line.toString('utf8')))
  if (mapped.ok) {
    rows.push(mapped.values)
    hashes.push(rowHash(line))
  }
})
// One packed buffer: cloning each pooled Buffer would copy its whole 8 KB pool slab.
const packedHashes = Buffer.concat(hashes)
const keyIndexes = users.key.map((k) => users.columns.findIndex((c) => c.name === k))
const staged = join(dir, 'staged.db')

function stage(path: string): void {
  const file = new StagingFile(path, users.columns.length, keyIndexes)
  for (let i = 0; i < rows.length; i++) file.add(rows[i] as RowValues, hashes[i] as Buffer)
  file.finish()
}
stage(staged)

let db: SqliteDatabase | undefined
let target = 0
function emptyTable(): void {
  db?.close()
  const path = join(dir, `target-${target++}.db`)
  rmSync(path, { force: true })
  rmSync(`${path}-wal`, { force: true })
  db = openDatabase(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(createTableSql(users))
}
/** The source sink alone: its sync_ tables are not what this bench times. */
const noTables: SqliteSyncTables = {
  clearRejects() {},
  addRejects() {},
  saveCheckpoint() {},
  clearCheckpoint() {},
  recordSourceSynced() {},
  afterWrite() {},
  savedLiveRows: () => undefined,
  writeLiveRows: () => undefined,
  recordLiveRows() {},
  forgetLiveRows() {},
  pruneLiveRows() {},
}
const sourceSink = (): SqliteSourceSink => new SqliteSourceSink(db as SqliteDatabase, '', noTables, users)

const bench = new Bench({ time: 1500 })
bench
  .add('to the coordinator: structuredClone of the row arrays (postMessage)', () => {
    structuredClone({ rows, hashes: packedHashes })
  })
  .add('to the coordinator: JSON text of the rows', () => {
    JSON.parse(JSON.stringify(rows))
    structuredClone(packedHashes)
  })
  .add('to the coordinator: a staging SQLite file (worker side)', () => stage(join(dir, 'scratch.db')))
  .add('upsert row by row, one transaction', () => void (db as SqliteDatabase).transaction(() => sourceSink().upsert(rows, hashes))(), {
    beforeEach: emptyTable,
  })
  .add('merge a staging file: INSERT … SELECT', () => void sourceSink().mergeStaging(staged, (merge) => (db as SqliteDatabase).transaction(merge)()), {
    beforeEach: emptyTable,
  })
await bench.run()
db?.close()
console.log(`${rows.length} users rows a run`)
console.table(bench.table())
rmSync(dir, { recursive: true, force: true })
