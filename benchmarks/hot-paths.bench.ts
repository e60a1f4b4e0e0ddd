/**
 * Micro-benchmarks of the per-record hot paths, side by side, to justify the design:
 *   npm run bench:hot
 * - hashing the raw line bytes (what an unchanged record costs) against decoding + JSON.parse (+ map + hash: a new one);
 * - decoding line by line against decoding large windows;
 * - a known-hash lookup in the typed set against a Set of strings.
 * The write side (moving rows to the coordinator, the upsert) is in write-paths.bench.ts.
 */
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Bench } from 'tinybench'
import { forEachLine } from '../src/cache/line-reader.js'
import { DMR_SOURCES } from '../src/config/dmr-sources.js'
import { resolveConfig } from '../src/config/resolve-config.js'
import { createRecordMapper, mappingSpecOf } from '../src/engine/record-mapper.js'
import { generateDmrCache } from '../src/generate/dmr-generator.js'
import { HashSet64 } from '../src/util/hash-set64.js'
import { loadRowHash, rowHash } from '../src/util/row-hash.js'

await loadRowHash()

const dir = join(tmpdir(), 'cachesync-hot-paths')
await generateDmrCache({ records: 20_000, cacheDir: dir, seed: 1 })
const buffer = readFileSync(join(dir, 'users.ndjson'))
const lines: Buffer[] = []
forEachLine(buffer, (bytes) => lines.push(bytes))
const texts = lines.map((l) => l.toString('utf8'))
const users = resolveConfig({ env: {} }).sources.find((s) => s.name === 'users')
if (users === undefined || DMR_SOURCES.length === 0) throw new Error('no users source')
const map = createRecordMapper(mappingSpecOf(users))
const hashes = lines.map((l) => rowHash(l))
const typed = new HashSet64(hashes.length)
for (const h of hashes) typed.add(h)
const strings = new Set(hashes.map((h) => h.toString('base64')))

const bench = new Bench({ time: 1000 })
bench
  .add('hash line bytes (unchanged record)', () => {
    for (const line of lines) rowHash(line)
  })
  .add('decode + JSON.parse + map (changed record)', () => {
    for (const line of lines) map(JSON.parse(line.toString('utf8')))
  })
  .add('decode + JSON.parse + map + hash (what a worker does per new record)', () => {
    for (const line of lines) {
      rowHash(line)
      map(JSON.parse(line.toString('utf8')))
    }
  })
  .add('decode per line', () => {
    for (const line of lines) line.toString('utf8')
  })
  .add('decode one 8 MB window + split', () => {
    buffer.toString('utf8').split('\n')
  })
  .add('known lookup: typed 64-bit set', () => {
    for (const h of hashes) typed.markSeen(h)
  })
  .add('known lookup: Set of base64 strings', () => {
    for (const h of hashes) strings.has(h.toString('base64'))
  })
await bench.run()
console.log(`${lines.length} users records a run (${texts.length} lines)`)
console.table(bench.table())
rmSync(dir, { recursive: true, force: true })
