import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gzipSync } from 'node:zlib'
import Pick from 'stream-json/filters/Pick.js'
import Parser from 'stream-json/Parser.js'
import StreamArray from 'stream-json/streamers/StreamArray.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { snapshotDir, startServer, type TestServer } from '../helpers/warm.js'

/**
 * The warm splits a single body's records array at the byte level instead of tokenizing it (issue 16 §2).
 * A big pretty-printed body must still give the cache file the tokenizer (stream-json) gave, byte for
 * byte, plain or gzipped; and a body cut short must still leave the previous cache as it was.
 */

const RECORDS = Array.from({ length: 30_000 }, (_, i) => ({
  id: i + 1,
  callsign: `K${i}XY`,
  name: i % 7 === 0 ? 'Zoë "Quote" [brackets] {braces} back\\slash\ttab' : `Name ${i}`,
  tags: i % 3 === 0 ? ['a', 'b', { nested: [i, i * 2.5, null, true] }] : [],
  location: { lat: (i % 180) - 90.25, lon: -(i % 360) / 3, city: i % 11 === 0 ? '東京 😀' : 'Tijuana' },
  active: i % 2 === 0,
}))
const BODY = Buffer.from(JSON.stringify({ meta: { count: RECORDS.length }, items: RECORDS }, null, 2))

const dir = useTempDir()
let server: TestServer

beforeAll(async () => {
  server = await startServer((_req, res, url) => {
    if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(BODY))
      return
    }
    // A body that ends cleanly half-way through: only the JSON shows that it is cut.
    const body = url.pathname === '/cut' ? BODY.subarray(0, Math.floor(BODY.length / 2)) : BODY
    res.writeHead(200, { 'content-type': 'application/json' })
    // Sent in uneven pieces, so that chunk boundaries fall anywhere.
    let at = 0
    for (let size = 1; at < body.length; size = (size * 7 + 3) % 70_000) {
      res.write(body.subarray(at, at + size))
      at += size
    }
    res.end()
  })
})
afterAll(() => server?.close())

/** What the stream-json tokenizer made of the body: each record re-serialised, one a line. */
async function tokenizerCacheFile(): Promise<string> {
  const lines: string[] = []
  await pipeline(Readable.from([BODY]), new Parser(), new Pick({ filter: 'items' }), new StreamArray(), async (values: AsyncIterable<{ value: unknown }>) => {
    for await (const { value } of values) lines.push(JSON.stringify(value))
  })
  return `${lines.join('\n')}\n`
}

function warm(path: string, cacheDir: string) {
  const config = join(dir(), `items-${path.slice(1)}.json`)
  writeFileSync(
    config,
    JSON.stringify({ sources: [{ name: 'items', url: `${server.url}${path}`, recordsPath: 'items', key: 'id' }], warm: { retry: { attempts: 1 } } }),
  )
  return runCli(['warm', '--config', config, '--cache-dir', cacheDir, '--json', '--log-level', 'silent', '--allow-shrink'])
}

describe('a big pretty-printed body warms through the CLI to the cache file the tokenizer wrote', () => {
  it('plain and gzipped, byte for byte', async () => {
    const expected = await tokenizerCacheFile()
    expect(expected.split('\n')).toHaveLength(RECORDS.length + 1)
    for (const path of ['/plain', '/gzip']) {
      const cacheDir = join(dir(), `cache${path}`)
      const result = await warm(path, cacheDir)
      expect(result.code, result.stderr).toBe(0)
      expect(JSON.parse(result.stdout).sources[0]).toMatchObject({ outcome: 'fetched', records: RECORDS.length })
      expect(readFileSync(join(cacheDir, 'items.ndjson'), 'utf8')).toBe(expected)
    }
  })

  it('a body cut short leaves the previous cache untouched', async () => {
    const cacheDir = join(dir(), 'cache-kept')
    expect((await warm('/plain', cacheDir)).code).toBe(0)
    const before = snapshotDir(cacheDir)
    const result = await warm('/cut', cacheDir)
    expect(result.code).toBe(1)
    const source = JSON.parse(result.stdout).sources[0]
    expect(source).toMatchObject({ outcome: 'failed', code: 'ERR_PARSE' })
    expect(source.error).toMatch(/the body is not valid JSON: it ends at byte \d+ inside the records array, before its JSON is complete \(cut short\?\)$/)
    expect(result.stderr).not.toMatch(STACK_LINE)
    expect(snapshotDir(cacheDir)).toEqual(before)
  })
})
