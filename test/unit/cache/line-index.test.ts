import { readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CacheFile } from '../../../src/cache/cache-files.js'
import { readCacheMeta, writeCacheMeta } from '../../../src/cache/cache-meta.js'
import { LINE_INDEX_ENTRY_BYTES, LINE_INDEX_HEADER_BYTES, LineIndexBuilder, lineIndexPathFor } from '../../../src/cache/line-index.js'
import { type LineIndex, linesOf, openLineIndex } from '../../../src/cache/line-index-reader.js'
import { forEachLine } from '../../../src/cache/line-reader.js'
import { generateDmrCache } from '../../../src/generate/dmr-generator.js'
import { loadRowHash, rowHash } from '../../../src/util/row-hash.js'
import { CacheFileWriter } from '../../../src/warm/cache-file-writer.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const dir = useTempDir()
beforeAll(loadRowHash)

async function cacheFile(path: string): Promise<CacheFile> {
  return { path, format: 'ndjson', gzip: false, bytes: statSync(path).size, meta: await readCacheMeta(path) }
}

/** What the sync computes for the file: each line's row hash and the offset after it. */
function syncHashes(path: string): { hash: string; end: number }[] {
  const out: { hash: string; end: number }[] = []
  forEachLine(readFileSync(path), (bytes, _index, after) => out.push({ hash: rowHash(bytes).toString('hex'), end: after }))
  return out
}

function entriesOf(index: LineIndex): { hash: string; end: number }[] {
  const out: { hash: string; end: number }[] = []
  for (let at = 0; at < index.entries.length; at += LINE_INDEX_ENTRY_BYTES) {
    out.push({ hash: index.entries.toString('hex', at, at + 8), end: Number(index.entries.readBigUInt64BE(at + 8)) })
  }
  return out
}

function valid(found: ReturnType<typeof openLineIndex>): LineIndex {
  if (found === undefined || 'ignored' in found) throw new Error(`no valid index: ${found === undefined ? 'none' : found.ignored}`)
  return found
}

const RECORDS = [
  '{"id":1,"name":"Zoë"}',
  '{"id":2,"emoji":"😀","tab":"a\\tb"}',
  `{"id":3,"long":"${'x'.repeat(3_000_000)}"}`,
  '{"id":4,"lone":"\\ud800"}',
  '{"id":5}',
]

describe('line index', () => {
  it('a warm writes one that holds, line by line, the hash and end the sync computes (a rolled-back page dropped)', async () => {
    const target = join(dir(), 'a.ndjson')
    const writer = await CacheFileWriter.open(target)
    writer.writeLine(RECORDS[0] as string)
    const mark = await writer.mark()
    writer.writeRecord(Buffer.from('{"id":99,"dropped":true}'))
    await writer.rollback(mark)
    // The warm hands on each record's bytes as they came (writeRecord); both ways index alike.
    for (const record of RECORDS.slice(1)) writer.writeRecord(Buffer.from(record))
    await writer.commit({ source: 'test' })
    const index = valid(openLineIndex(await cacheFile(target)))
    expect(index.lines).toBe(RECORDS.length)
    expect(entriesOf(index)).toEqual(syncHashes(target))
  })

  it('a warm that hands records on as runs of lines, short and long, gets one entry a line', async () => {
    const target = join(dir(), 'runs.ndjson')
    const writer = await CacheFileWriter.open(target)
    writer.writeRecords(Buffer.from(RECORDS.slice(0, 2).join('\n')), 2)
    const mark = await writer.mark()
    writer.writeRecords(Buffer.from('{"id":98}\n{"id":99}'), 2)
    await writer.rollback(mark)
    // A run long enough to be written from where it lies (a part of its own), then a short one, then one by one.
    const long = Array.from({ length: 400 }, (_, i) => `{"id":${100 + i},"pad":"${'p'.repeat(i % 50)}"}`)
    writer.writeRecords(Buffer.from(long.join('\n')), long.length)
    writer.writeRecords(Buffer.from(RECORDS[2] as string), 1)
    for (const record of RECORDS.slice(3)) writer.writeRecord(Buffer.from(record))
    const written = await writer.commit({ source: 'test' })
    const index = valid(openLineIndex(await cacheFile(target)))
    expect(written.records).toBe(RECORDS.length + long.length)
    expect(index.lines).toBe(written.records)
    expect(entriesOf(index)).toEqual(syncHashes(target))
  })

  it('keeps end offsets past 4 GiB whole, as big-endian u64s', async () => {
    const target = join(dir(), 'big.ndjson')
    writeFileSync(target, '{}\n')
    const builder = new LineIndexBuilder()
    const ends = [3, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 2 ** 31 + 7, Number.MAX_SAFE_INTEGER]
    for (const end of ends) builder.add(Buffer.from('{}'), end)
    await builder.write(target, '0'.repeat(64))
    const bytes = readFileSync(lineIndexPathFor(target))
    const read = ends.map((_, i) => Number(bytes.readBigUInt64BE(LINE_INDEX_HEADER_BYTES + i * LINE_INDEX_ENTRY_BYTES + 8)))
    expect(read).toEqual(ends)
  })

  it('the generator writes one that holds the hashes the sync computes', async () => {
    const cacheDir = join(dir(), 'generated')
    await generateDmrCache({ records: 3000, cacheDir, seed: 3, changeRate: 0.05 })
    for (const name of ['rptrs', 'users', 'devices']) {
      const path = join(cacheDir, `${name}.ndjson`)
      expect(entriesOf(valid(openLineIndex(await cacheFile(path)))), name).toEqual(syncHashes(path))
    }
  })

  describe('is ignored, with the reason, when it does not describe the file', () => {
    async function indexed(name: string): Promise<string> {
      const target = join(dir(), `${name}.ndjson`)
      const writer = await CacheFileWriter.open(target)
      for (const record of RECORDS) writer.writeLine(record)
      await writer.commit({ source: 'test' })
      return target
    }
    const ignored = async (target: string): Promise<string> => {
      const found = openLineIndex(await cacheFile(target))
      if (found === undefined || !('ignored' in found)) throw new Error('the index was not ignored')
      return found.ignored
    }

    it('a cache file replaced by hand (same size, meta left stale)', async () => {
      const target = await indexed('replaced')
      const bytes = readFileSync(target)
      bytes[bytes.indexOf('Zo')] = 'z'.charCodeAt(0)
      writeFileSync(target, bytes)
      expect(await ignored(target)).toMatch(/modified at another time/)
    })

    it('a cache file replaced by another warm that was killed before its index was written (meta of the new file)', async () => {
      const target = await indexed('killed')
      const old = readFileSync(lineIndexPathFor(target))
      const writer = await CacheFileWriter.open(target)
      for (const record of RECORDS.slice(0, 2)) writer.writeLine(record)
      const written = await writer.commit({ source: 'test' })
      // What a kill after the rename and the meta, before the new index, would leave had the old one not been removed.
      writeFileSync(lineIndexPathFor(target), old)
      expect((await readCacheMeta(target))?.sha256).toBe(written.sha256)
      expect(await ignored(target)).toMatch(/made for a cache file of \d+ bytes/)
    })

    it('a cache file whose mtime alone changed (touched): cheap checks cannot tell, so it is not trusted', async () => {
      const target = await indexed('touched')
      utimesSync(target, new Date(), new Date(Date.now() + 5000))
      expect(await ignored(target)).toMatch(/modified at another time/)
    })

    it('a meta file that names another sha256', async () => {
      const target = await indexed('meta')
      const meta = await readCacheMeta(target)
      await writeCacheMeta(target, { ...meta, sha256: '0'.repeat(64) })
      expect(await ignored(target)).toMatch(/sha256/)
    })

    it('a truncated index', async () => {
      const target = await indexed('truncated')
      truncateSync(lineIndexPathFor(target), statSync(lineIndexPathFor(target)).size - 5)
      expect(await ignored(target)).toMatch(/truncated or overlong/)
    })

    it('an index whose header names another size', async () => {
      const target = await indexed('size')
      const bytes = readFileSync(lineIndexPathFor(target))
      bytes.writeBigUInt64BE(bytes.readBigUInt64BE(8) + 1n, 8)
      writeFileSync(lineIndexPathFor(target), bytes)
      expect(await ignored(target)).toMatch(/made for a cache file of/)
    })

    it('an index with a damaged entry', async () => {
      const target = await indexed('damaged')
      const bytes = readFileSync(lineIndexPathFor(target))
      bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 1
      writeFileSync(lineIndexPathFor(target), bytes)
      expect(await ignored(target)).toMatch(/checksum/)
    })

    it('a file that is not an index', async () => {
      const target = await indexed('garbage')
      writeFileSync(lineIndexPathFor(target), 'not an index')
      expect(await ignored(target)).toMatch(/not a line index/)
    })
  })

  it('maps a byte range on line ends to its lines, and a range that is not on them to none', async () => {
    const target = join(dir(), 'ranges.ndjson')
    const writer = await CacheFileWriter.open(target)
    for (const record of RECORDS) writer.writeLine(record)
    await writer.commit({ source: 'test' })
    const index = valid(openLineIndex(await cacheFile(target)))
    const ends = syncHashes(target).map((line) => line.end)
    const size = statSync(target).size
    expect(linesOf(index, { start: 0, end: size })?.entries.length).toBe(RECORDS.length * LINE_INDEX_ENTRY_BYTES)
    expect(linesOf(index, { start: ends[1] as number, end: ends[3] as number })).toEqual({
      start: ends[1],
      entries: index.entries.subarray(2 * LINE_INDEX_ENTRY_BYTES, 4 * LINE_INDEX_ENTRY_BYTES),
    })
    expect(linesOf(index, { start: 1, end: size })).toBeUndefined()
    expect(linesOf(index, { start: 0, end: size - 1 })).toBeUndefined()
  })
})
